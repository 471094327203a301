"""`clean.runs`: old run folders under `output/scg/`, never one still being written."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks import clock
from perf_tasks.clean import model
from perf_tasks.clean.model import Skip
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection, label
from perf_tasks.fs.scan import scan
from perf_tasks.quantities import format_seconds
from perf_tasks.settings import Settings

DAY = 86400.0


@dataclass(frozen=True)
class RunInfo:
    path: Path
    newest_mtime: float
    marker: str | None  # the name of a marker file that says the run is being written


def select_runs(guard: Guard, settings: Settings, *, now: float) -> Selection:
    ws = guard.workspace
    folder = ws.root / settings.output_path(settings.runs.output)
    sel = Selection(areas=[(label(ws.root, folder), folder)])
    try:
        # One listing: whether an entry is a real folder (not a link to one) comes with it.
        with os.scandir(folder) as entries:
            children = sorted(
                (e.name, e.is_dir(follow_symlinks=False)) for e in entries if e.name != TRASH_DIR
            )
    except FileNotFoundError:
        return sel
    except OSError as exc:
        sel.skipped.append(Skip(folder, f"cannot list: {exc.strerror}"))
        return sel
    runs = [folder / name for name, is_dir in children if is_dir]
    others = [folder / name for name, is_dir in children if not is_dir]
    sel.prescan = scan([*runs, *others], shallow=[folder])
    infos = [
        RunInfo(r, sel.prescan.of(r).newest_mtime, _marker(r, settings.runs.markers)) for r in runs
    ]
    remove, skipped = decide_runs(infos, settings, now=now)
    sel.candidates += [Candidate(path, model.RUNS, reason) for path, reason in remove]
    sel.skipped += skipped
    return sel


def decide_runs(
    runs: Sequence[RunInfo], settings: Settings, *, now: float
) -> tuple[list[tuple[Path, str]], list[Skip]]:
    """Keep the newest N runs and any younger than the age limit; never touch a run in progress.

    A run's age is the newest mtime of anything inside it. A run dated in the future or before
    2000 (a wrong clock wrote it) has no usable age: it is judged by its name, which sorts runs in
    the order they were made. It stays while its name is among the newest N names, and goes after
    that.
    """
    policy = settings.runs
    active_s = policy.active_minutes * 60
    remove: list[tuple[Path, str]] = []
    skipped: list[Skip] = []
    # Within the active window ahead, a few minutes of clock skew (NFS) is a run being written.
    undated = [
        r for r in runs if r.newest_mtime - now > active_s or not clock.plausible(r.newest_mtime)
    ]
    by_name_only = {r.path for r in undated}  # sets and a rank table: linear in the run count
    dated = sorted(
        (r for r in runs if r.path not in by_name_only),
        key=lambda r: r.newest_mtime,
        reverse=True,
    )
    rank_by_name = {
        r.path: rank for rank, r in enumerate(sorted(runs, key=lambda r: r.path.name, reverse=True))
    }
    for run in undated:
        if run.marker is not None:
            skipped.append(Skip(run.path, f"still being written: holds {run.marker}"))
            continue
        if clock.plausible(run.newest_mtime):
            ahead = (
                f"dated in the future ({clock.utc_text(run.newest_mtime)}, "
                f"{format_seconds(run.newest_mtime - now)} ahead of this clock)"
            )
        else:
            ahead = f"dated {clock.utc_text(run.newest_mtime)}, before any real run (a wrong clock)"
        if rank_by_name[run.path] < policy.keep_newest:
            skipped.append(
                Skip(run.path, f"{ahead}: kept while among the newest {policy.keep_newest} by name")
            )
        else:
            remove.append(
                (run.path, f"run {ahead}, and not among the newest {policy.keep_newest} by name")
            )
    for rank, run in enumerate(dated):
        idle_s = now - run.newest_mtime
        if run.marker is not None:
            skipped.append(Skip(run.path, f"still being written: holds {run.marker}"))
            continue
        if idle_s < active_s:
            when = (
                f"changed {format_seconds(idle_s)} ago"
                if idle_s >= 0
                else (f"changed just now (dated {format_seconds(-idle_s)} ahead of this clock)")
            )
            skipped.append(Skip(run.path, f"still being written: {when}"))
            continue
        if rank < policy.keep_newest or idle_s < policy.keep_days * DAY:
            continue
        remove.append(
            (
                run.path,
                f"run last written {format_seconds(idle_s)} ago: older than "
                f"{format_seconds(policy.keep_days * DAY)} and not among the newest "
                f"{policy.keep_newest}",
            )
        )
    return remove, skipped


def _marker(run: Path, patterns: Sequence[str]) -> str | None:
    try:
        names = os.listdir(run)
    except OSError:
        return None
    for name in sorted(names):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return name
    return None
