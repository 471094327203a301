"""Planning: decide what each mode removes, and measure it with one scan.

A mode returns a `Selection` (candidate paths with a category and a reason, and the folders it works
in). `build_plan` runs every candidate through the guard, then scans the items and the rest of each
folder in one pass, so that item sizes and folder totals agree with `du` and nothing is walked
twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from perf_tasks.clean import model
from perf_tasks.clean.model import Area, Failure, Item, Plan, Skip
from perf_tasks.clean.safety import BusyProfiles, Guard
from perf_tasks.clean.selection import Candidate, Selection
from perf_tasks.fs.partition import scan_with_rest
from perf_tasks.fs.scan import Scan, scan


def build_plan(
    mode: str, guard: Guard, selection: Selection, *, force: bool = False
) -> tuple[Plan, Scan]:
    """Guard every candidate, then size the items and their folders with one scan.

    The scan also finds other repositories (a `.git` inside an item); when it does, the guard
    learns them and the items are split around them and sized again. That is rare.
    """
    ws = guard.workspace
    meta, skipped = _guarded(guard, selection.candidates, force=force)
    result = scan_with_rest(sorted(meta), _folders(selection), prescan=selection.prescan)
    nested = _repos_inside(result.repos, set(meta))
    if nested:
        guard.with_repos(nested)
        meta, skipped = _guarded(guard, selection.candidates, force=force)
        result = scan_with_rest(sorted(meta), _folders(selection))
    skipped = [*selection.skipped, *skipped]
    items = sorted(meta)
    plan_items = tuple(
        Item(
            path=p,
            bytes=result.of(p).bytes,
            files=result.of(p).files,
            category=meta[p].category,
            reason=meta[p].reason,
        )
        for p in items
    )
    areas = tuple(
        Area(name, folder, _area_bytes(result, folder)) for name, folder in selection.areas
    )
    plan = Plan(
        mode=mode,
        root=ws.root,
        items=plan_items,
        skipped=tuple(skipped),
        freed_bytes=result.freed(items),
        freed_by_category={
            c: result.freed(paths) for c, paths in model.by_category(plan_items).items()
        },
        areas=areas,
        notes=(*selection.notes, *_left_alone_notes(guard, selection.candidates)),
        scan_errors=tuple(Failure(Path(p), e) for p, e in result.errors),
    )
    return plan, result


def _guarded(
    guard: Guard, candidates: Sequence[Candidate], *, force: bool
) -> tuple[dict[Path, Candidate], list[Skip]]:
    """The removable parts of every candidate, each with the candidate it came from."""
    meta: dict[Path, Candidate] = {}
    skipped: list[Skip] = []
    for candidate in candidates:
        if not os.path.lexists(candidate.path):
            continue
        allowed, skips = guard.split(candidate.path)
        skipped += skips
        for path in allowed:
            meta.setdefault(path, candidate)
    if not force:
        meta, busy = _without_busy_profiles(guard, meta)
        skipped += busy
    return meta, skipped


def _left_alone_notes(guard: Guard, candidates: Sequence[Candidate]) -> list[str]:
    """One note per cargo dir outside the root that held candidates the guard left alone."""
    notes = []
    for shared in guard.left_alone:
        if any(c.path.is_relative_to(shared) and os.path.lexists(c.path) for c in candidates):
            notes.append(
                f"{shared}/ is outside the workspace root, so other workspaces may build into it "
                "too: nothing in it is removed; pass --shared (or set [stale] shared) to clean "
                "it as well"
            )
    return notes


def _folders(selection: Selection) -> list[Path]:
    return [folder for _, folder in selection.areas]


def _repos_inside(repos: Sequence[Path], items: set[Path]) -> list[Path]:
    """The repositories that are an item or lie inside one."""
    return [r for r in repos if any(p in items for p in (r, *r.parents))]


def _without_busy_profiles(
    guard: Guard, meta: dict[Path, Candidate]
) -> tuple[dict[Path, Candidate], list[Skip]]:
    busy = BusyProfiles(guard)
    kept: dict[Path, Candidate] = {}
    skipped: list[Skip] = []
    for path, candidate in meta.items():
        skip = busy.skip_for(path)
        if skip is None:
            kept[path] = candidate
        else:
            skipped.append(skip)
    return kept, skipped


def _area_bytes(result: Scan, folder: Path) -> int:
    """Bytes of the scanned paths inside `folder` (paths are clean and absolute: a prefix test)."""
    name = os.fspath(folder)
    below = name.rstrip("/") + "/"
    return sum(
        result.of(p).bytes
        for p in result.paths
        if (s := os.fspath(p)) == name or s.startswith(below)
    )


def measure_areas(areas: Sequence[Area]) -> tuple[Area, ...]:
    """A fresh scan of each folder, for the closing line after a run."""
    result = scan([a.path for a in areas])
    return tuple(Area(a.label, a.path, result.of(a.path).bytes) for a in areas)
