"""`clean.cache`: the caches that only cost a rebuild."""

from __future__ import annotations

from perf_tasks.cargo.dirs import profile_dirs
from perf_tasks.clean import model
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection, label


def select_cache(guard: Guard) -> Selection:
    """Caches that only cost a rebuild: incremental state, nextest's store, generated docs."""
    ws = guard.workspace
    sel = Selection()
    for area in ws.cargo_areas:
        sel.areas.append((label(ws.root, area), area))
    for cargo_dir in ws.cargo_dirs:
        for profile in profile_dirs(cargo_dir):
            sel.candidates.append(
                Candidate(
                    profile / "incremental", model.INCREMENTAL, "incremental compilation cache"
                )
            )
        # `doc/` of the host, and `<triple>/doc/` of cross builds
        for doc in (cargo_dir / "doc", *sorted(cargo_dir.glob("*/doc"))):
            sel.candidates.append(Candidate(doc, model.DOC, "generated documentation"))
        sel.candidates.append(Candidate(cargo_dir / "nextest", model.NEXTEST, "nextest's store"))
    return sel
