"""The only code that deletes. It removes what a plan lists, through the guards, and reports what
is really gone.

Each item is first renamed into a quarantine folder on the same file system
(`<cargo dir or root>/.perf-tasks-trash/<run>/`, marked as ours: see `quarantine`), then the
quarantine is removed with `rm -rf`, in parallel batches. A rename is atomic, so an interrupted run
leaves whole items either in place or in the quarantine, and the next run's plan lists what the
quarantine holds as unfinished work. Just before the renames, the mount table is read again and
every item is asked of the guard once more: a rename would carry a mount inside an item along.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.cargo.dirs import BuildLocks
from perf_tasks.clean import quarantine
from perf_tasks.clean.model import TRASH, Failure, Item, Plan, Report, Skip, by_category
from perf_tasks.clean.safety import BusyProfiles, Guard

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)

# Deleting waits on the file system more than on the CPU: a few more processes than cores pay.
_PARALLEL = 2 * max(1, min(2, os.cpu_count() or 1))
_BATCHES = 16  # enough steps for a progress bar, few enough processes to cost nothing
_MAX_ARGS = 2000


@dataclass
class _Moved:
    item: Item
    trash_path: Path


def apply(
    plan: Plan,
    *,
    guard: Guard,
    force: bool = False,
    progress: Progress | None = None,
    freed: Callable[[Sequence[Path]], int] | None = None,
) -> Report:
    """Remove the plan's items. `freed` computes the bytes given back by a set of removed paths."""
    started = time.monotonic()
    skipped: list[Skip] = list(plan.skipped)
    failures: list[Failure] = []
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    moved: list[_Moved] = []
    removed: list[Item] = []
    quarantines: dict[Path, Path | Exception] = {}  # home -> this run's quarantine, or why not
    guard.refresh_mounts()
    with BuildLocks() as locks:
        busy = BusyProfiles(guard, hold=locks)
        for item in plan.items:
            refusal = guard.decide(item.path)
            if refusal is not None:
                skipped.append(refusal.as_skip())
                continue
            skip = None if force else busy.skip_for(item.path)
            if skip is not None:
                skipped.append(skip)
                continue
            outcome = _quarantine(item, guard, quarantines, run_id, len(moved))
            if isinstance(outcome, Failure):
                failures.append(outcome)
            elif outcome is None:  # an item of our own quarantine that is already gone
                removed.append(item)
            else:
                moved.append(_Moved(item, outcome))
        # Still under the cargo locks: nothing may rebuild into what we are deleting.
        errors = _delete(moved, progress)
    for entry in moved:
        error = errors.get(entry.trash_path)
        if error is None and not os.path.lexists(entry.trash_path):
            removed.append(entry.item)
            continue
        error = error or errors.get(Path("?")) or "still present after rm -rf"
        failures.append(Failure(entry.item.path, _restore(entry, error)))
    for run in (*quarantines.values(), *guard.quarantines):
        if isinstance(run, Path):
            quarantine.tidy(run)
    removed_paths = [i.path for i in removed]
    count: Callable[[Sequence[Path]], int] = freed or (lambda paths: _du_sum(removed, paths))
    return Report(
        plan=plan,
        dry_run=False,
        removed=tuple(removed),
        skipped=tuple(skipped),
        errors=tuple(failures),
        freed_bytes=count(removed_paths),
        freed_by_category={c: count(paths) for c, paths in by_category(removed).items()},
        elapsed_s=time.monotonic() - started,
    )


def _du_sum(items: Sequence[Item], paths: Sequence[Path]) -> int:
    chosen = set(paths)
    return sum(i.bytes for i in items if i.path in chosen)


def _quarantine(
    item: Item, guard: Guard, made: dict[Path, Path | Exception], run_id: str, seq: int
) -> Path | Failure | None:
    if item.category == TRASH:
        # Already quarantined by an earlier run: delete it where it is.
        return item.path if os.path.lexists(item.path) else None
    home = guard.trash_home(item.path)
    if home not in made:
        try:
            made[home] = quarantine.make(home, run_id)
        except (quarantine.NotOurs, OSError) as exc:
            made[home] = exc
    trash = made[home]
    if isinstance(trash, Exception):
        why = trash.strerror if isinstance(trash, OSError) else str(trash)
        return Failure(item.path, f"cannot use the quarantine {home / quarantine.TRASH_DIR}: {why}")
    # Numbers only: an item's own name may already be as long as a name can be.
    destination = trash / f"{seq:06d}"
    try:
        os.rename(item.path, destination)
    except FileNotFoundError:
        return Failure(item.path, "vanished before it could be removed")
    except OSError as exc:
        if exc.errno == errno.EXDEV:  # the item's folder is on another file system: in place
            return item.path
        return Failure(item.path, f"cannot move it aside: {exc.strerror}")
    return destination


def _delete(moved: Sequence[_Moved], progress: Progress | None) -> dict[Path, str]:
    """`rm -rf` the moved items, several batches at once; returns an error per item that failed."""
    total = sum(m.item.bytes for m in moved)
    jobs = _batches(moved)
    errors: dict[Path, str] = {}
    items = {m.trash_path for m in moved}
    done = 0
    if progress:
        progress(0, total)
    running: list[tuple[subprocess.Popen[bytes], list[Path], int]] = []
    pending = list(jobs)
    while pending or running:
        while pending and len(running) < _PARALLEL:
            paths, weight = pending.pop(0)
            running.append((_rm(paths), paths, weight))
        proc, paths, weight = running.pop(0)
        _, stderr = proc.communicate()
        for line in stderr.decode(errors="replace").splitlines():
            _note_error(line, items, errors)
        done += weight
        if progress:
            progress(min(done, total), total)
    return errors


def _batches(moved: Sequence[_Moved]) -> list[tuple[list[Path], int]]:
    """Split the work into about `_BATCHES` argument lists of even weight (bytes).

    A single item that is most of the work (a whole `deps/`) is split into its children, so that
    both cores delete at once; the emptied folder goes in a last batch.
    """
    total = sum(m.item.bytes for m in moved) or 1
    pieces: list[tuple[Path, int]] = []
    tails: list[tuple[Path, int]] = []
    for m in moved:
        if m.item.bytes > total / 4 and m.trash_path.is_dir() and not m.trash_path.is_symlink():
            try:
                children = [m.trash_path / n for n in os.listdir(m.trash_path)]
            except OSError:
                children = []
            if children:
                share = m.item.bytes // len(children)
                pieces += [(c, share) for c in children]
                tails.append((m.trash_path, 0))
                continue
        pieces.append((m.trash_path, m.item.bytes))
    target = total / _BATCHES
    batches: list[tuple[list[Path], int]] = []
    paths: list[Path] = []
    weight = 0
    for path, w in pieces:
        paths.append(path)
        weight += w
        if weight >= target or len(paths) >= _MAX_ARGS:
            batches.append((paths, weight))
            paths, weight = [], 0
    if paths:
        batches.append((paths, weight))
    if tails:
        batches.append(([p for p, _ in tails], 0))
    return batches


def _rm(paths: Sequence[Path]) -> subprocess.Popen[bytes]:
    rm = shutil.which("rm") or "/bin/rm"
    return subprocess.Popen(
        [rm, "-rf", "--one-file-system", "--", *map(str, paths)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "LC_ALL": "C"},  # messages we can parse
    )


_QUOTED = re.compile(r"'(.+?)'")


def _note_error(line: str, items: set[Path], errors: dict[Path, str]) -> None:
    """`rm: cannot remove '<path>': Permission denied` -> an error for the item holding <path>."""
    message = line.removeprefix("rm: ").strip()
    match = _QUOTED.search(line)
    if match:
        where = Path(match.group(1))
        for candidate in (where, *where.parents):
            if candidate in items:
                errors.setdefault(candidate, message)
                return
    # A message we cannot place: the items of this run that are still there will report it.
    errors.setdefault(Path("?"), message)


def _restore(entry: _Moved, error: str) -> str:
    """Put what is left of a failed item back in place, so nothing stays hidden in quarantine."""
    if entry.trash_path == entry.item.path:
        return error
    if os.path.lexists(entry.trash_path) and not os.path.lexists(entry.item.path):
        try:
            os.rename(entry.trash_path, entry.item.path)
            return f"{error} (what remains is back in place)"
        except OSError:
            return f"{error} (what remains is in {entry.trash_path}; the next run retries)"
    return error
