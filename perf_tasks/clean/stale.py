"""The stale sweep: remove what the configured cargo commands no longer build, and nothing else.

`select_stale` asks cargo for the keep-set (perf_tasks.cargo.probe: the commands, run so that they
may not compile), then lists the units of every profile dir those commands use and selects the ones
whose hash is not kept, the uplifted files that still link to them, and the incremental sessions no
live unit uses. `select_target` adds, when the target dir is over its budget, whole profile and
triple dirs the commands do not use, largest first. docs/stale-sweep.md explains every rule.

Nothing here deletes; the selections go through `build_plan` and `apply` like every other mode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks.cargo import incremental, layout
from perf_tasks.cargo import keepset as keepset_mod
from perf_tasks.cargo import probe as probe_mod
from perf_tasks.cargo.dirs import build_in_progress, profile_dirs
from perf_tasks.cargo.keepset import KeepSet
from perf_tasks.cargo.messages import check_command
from perf_tasks.cargo.probe import StatusFn
from perf_tasks.clean import model
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection, label
from perf_tasks.quantities import plural
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace

SWEPT = "swept"
OFF = "off"  # no commands configured; the probe's statuses (not-up-to-date, ...) are kept as is

_UP_TO_DATE_HINT = "build not up to date: build first, or pass `--build`"


@dataclass(frozen=True)
class Options:
    build: bool = False  # run the commands first and let them compile
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    on_status: StatusFn | None = None  # cargo's status lines while --build compiles


@dataclass(frozen=True)
class Sweep:
    """The stale sweep's candidates, the keep-set they were judged by, and the facts to report."""

    selection: Selection
    keepset: KeepSet | None
    facts: dict[str, object]


def commands_of(settings: Settings) -> list[list[str]]:
    """The configured commands, checked: a bad one is a ConfigError naming it."""
    for i, argv in enumerate(settings.stale.commands):
        check_command(argv, where=f"{settings.source}: stale.commands[{i}]")
    return [list(argv) for argv in settings.stale.commands]


# ------------------------------------------------------------------------------- stale units


def select_stale(guard: Guard, settings: Settings, options: Options) -> Sweep:
    ws = guard.workspace
    commands = commands_of(settings)
    sel = Selection(areas=[(label(ws.root, d), d) for d in ws.cargo_areas])
    facts: dict[str, object] = {"commands": commands, "build": options.build, "profiles": {}}
    if not commands:
        sel.notes.append("stale sweep off: [stale] commands is empty")
        return Sweep(sel, None, {**facts, "status": OFF, "detail": "no commands"})
    busy = [p for d in ws.cargo_dirs for p in profile_dirs(d) if build_in_progress(p)]
    if busy:
        detail = f"a cargo build holds {label(ws.root, busy[0])}: run again when it ends"
        sel.notes.append(f"stale sweep skipped: {detail}")
        return Sweep(sel, None, {**facts, "status": probe_mod.BUSY, "detail": detail})
    result = probe_mod.run_commands(
        commands, cwd=ws.root, env=options.env, build=options.build, on_status=options.on_status
    )
    if not result.ok:
        sel.notes.append(_skip_note(result))
        return Sweep(sel, None, {**facts, "status": result.status, "detail": result.detail})
    keep = keepset_mod.build(result.outputs, ws)
    if keep.untrusted:  # cargo's plan does not agree with what it reported: no sweep at all
        detail = f"{result.detail}; {keep.untrusted}"
        sel.notes.append(f"stale sweep skipped: {_UP_TO_DATE_HINT} ({detail})")
        return Sweep(sel, None, {**facts, "status": probe_mod.NOT_UP_TO_DATE, "detail": detail})
    per_profile: dict[str, object] = {}
    stale_hashes: set[str] = set()
    for area in keep.areas:
        swept = _sweep_area(area, keep, guard, settings)
        per_profile[label(ws.root, area)] = swept.report
        sel.candidates += swept.candidates
        stale_hashes |= swept.stale_hashes
        if swept.note:
            sel.notes.append(swept.note)
    live = len(keep.hashes)
    swept_areas = [name for name, r in per_profile.items() if isinstance(r, dict) and r["swept"]]
    if swept_areas:  # where every area was skipped, its own note says why; no "0 stale" after it
        planned = (
            f" (from cargo's plan, without compiling: {result.detail})" if keep.from_plan else ""
        )
        sel.notes.append(
            f"stale sweep: kept {plural(live, 'unit')} built by "
            f"{plural(len(commands), 'configured command')}{planned}; "
            f"{plural(len(stale_hashes), 'stale unit')} in {', '.join(swept_areas)}"
        )
    facts.update(
        status=SWEPT,
        detail=result.detail if keep.from_plan else "",
        from_plan=keep.from_plan,
        profiles=per_profile,
        live_units=live,
        stale_units=len(stale_hashes),
    )
    return Sweep(sel, keep, facts)


def _skip_note(result: probe_mod.Probe) -> str:
    if result.status == probe_mod.NOT_UP_TO_DATE:
        return f"stale sweep skipped: {_UP_TO_DATE_HINT} ({result.detail})"
    if result.status == probe_mod.BUSY:
        return f"stale sweep skipped: {result.detail}; run again when it ends"
    return f"stale sweep skipped: no keep-set, since a configured command failed: {result.detail}"


@dataclass(frozen=True)
class _AreaSweep:
    report: dict[str, object]
    candidates: list[Candidate] = field(default_factory=list)
    note: str | None = None
    stale_hashes: set[str] = field(default_factory=set)


def _sweep_area(area: Path, keep: KeepSet, guard: Guard, settings: Settings) -> _AreaSweep:
    """The candidates of one profile dir of the build dir, with what to report about it."""
    ws = guard.workspace
    name = label(ws.root, area)
    listing = layout.list_units(area)
    report: dict[str, object] = {
        "path": str(area),
        "layouts": sorted(listing.layouts),
        "swept": False,
    }
    problem = keep.problems.get(area) or next(iter(listing.problems), None)
    if problem is not None:
        report["why_not"] = f"layout not understood: {problem}"
        return _AreaSweep(
            report, note=f"stale sweep skipped for {name}: layout not understood: {problem}"
        )
    if guard.leaves_alone(area) is not None:  # the guard would refuse every candidate anyway
        why = (
            f"{area} is outside the workspace root and may hold other workspaces' units: "
            "pass --shared to sweep it anyway"
        )
        report["why_not"] = why
        return _AreaSweep(report, note=f"stale sweep skipped for {name}: {why}")
    stale = [e for e in listing.entries if e.hash not in keep.hashes and _holds_files(e.path)]
    candidates = [
        Candidate(
            e.path,
            model.STALE,
            f"stale unit {e.name}-{e.hash}: not built by the configured commands",
        )
        for e in stale
    ]
    candidates += _stale_uplifts(area, ws, stale)
    if settings.stale.incremental:
        candidates += _stale_incremental(area, keep, settings.stale.incremental_keep)
    hashes = {e.hash for e in stale}
    report.update(swept=True, live_units=len(keep.live_in(area)), stale_units=len(hashes))
    note = None
    if not area.is_relative_to(ws.root):
        note = (
            f"swept {name} although it is outside the workspace root (--shared): units of other "
            "workspaces there count as stale and will be rebuilt when those build"
        )
    return _AreaSweep(report, candidates, note, hashes)


def _holds_files(path: Path) -> bool:
    """Whether removing `path` frees anything: cargo pre-creates empty unit dirs (new layout) for
    units the commands plan but do not build, and makes them again on the next run."""
    if not path.is_dir() or path.is_symlink():
        return True
    return any(files for _dirpath, _dirs, files in os.walk(path))


def _stale_uplifts(area: Path, ws: Workspace, stale: Sequence[layout.UnitEntry]) -> list[Candidate]:
    """Uplifted files (`debug/foo`, `debug/examples/foo`) that are hard links of stale units: no
    configured command makes them (it would have re-linked them), and they hold the bytes."""
    stale_ids: dict[tuple[int, int], str] = {}
    for entry in stale:
        files = [entry.path]
        if entry.layout == layout.NEW:
            out = entry.path / "out"
            files = [out / n for n in _names(out)]
        for f in files:
            try:
                st = os.lstat(f)
            except OSError:
                continue
            if st.st_nlink > 1 and not f.is_dir():
                stale_ids[(st.st_dev, st.st_ino)] = entry.hash
    if not stale_ids:
        return []
    twin = ws.target_dir / area.relative_to(ws.build_dir)
    found: list[Candidate] = []
    for profile in dict.fromkeys((area, twin)):
        for folder in (profile, profile / "examples"):
            for name in _names(folder):
                path = folder / name
                if layout.split_hashed(name) is not None:
                    continue
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                unit = stale_ids.get((st.st_dev, st.st_ino))
                if unit is not None:
                    found.append(
                        Candidate(path, model.STALE, f"uplifted file of stale unit {unit}")
                    )
    return found


def _stale_incremental(area: Path, keep: KeepSet, keep_sessions: int) -> list[Candidate]:
    sessions = incremental.list_sessions(area / "incremental")
    if not sessions:
        return []
    live = [(u.crate_name, u.mtime) for u in keep.live_in(area)]
    verdict = incremental.decide(sessions, live, keep=keep_sessions, newest_only=keep.from_plan)
    found = [
        Candidate(
            v,
            model.INCREMENTAL,
            f"incremental cache of a {v.name.rsplit('-', 1)[0]} variant no live unit uses",
        )
        for v in verdict.variants
    ]
    for s in verdict.sessions:
        reason = f"incremental session of {s.crate} that no live unit's build matches"
        found.append(Candidate(s.path, model.INCREMENTAL, reason))
        if s.lock is not None:
            found.append(Candidate(s.lock, model.INCREMENTAL, reason))
    return found


# ----------------------------------------------------------------------------- target budget


def dirs_of(folder: Path) -> list[Path]:
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return []
    return [c for c in children if c.is_dir() and not c.is_symlink() and c.name != TRASH_DIR]


def _names(folder: Path) -> list[str]:
    try:
        return sorted(c.name for c in folder.iterdir())
    except OSError:
        return []
