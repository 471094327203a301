"""`clean.nuke`: everything the workspace generates."""

from __future__ import annotations

from perf_tasks.clean import model
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection, label
from perf_tasks.settings import Settings


def select_nuke(guard: Guard, settings: Settings) -> Selection:
    """Everything the workspace generates: cargo's target and build dirs, and the listed outputs."""
    ws = guard.workspace
    sel = Selection()
    for name in settings.clean.nuke:
        if name == "target":
            for cargo_dir in ws.cargo_areas:
                category = model.TARGET if cargo_dir == ws.target_dir else model.BUILD
                sel.candidates.append(Candidate(cargo_dir, category, "build output (nuke)"))
                sel.areas.append((label(ws.root, cargo_dir), cargo_dir))
        else:
            path = ws.root / settings.output_path(name)
            sel.candidates.append(Candidate(path, model.OUTPUT, f"generated output {name} (nuke)"))
            sel.areas.append((label(ws.root, path), path))
    return sel
