"""The quarantine: where `apply` moves items before `rm -rf`, and how a later run knows it is ours.

A run makes `<home>/.perf-tasks-trash/<run id>/` and, before anything is moved in, writes a marker
file there that names the run. A later run finishes only a quarantine it can prove this tool made:
the trash folder and the run folder are real directories (not links, not mount points), owned by us,
on the same file system as their home, and the run folder holds our marker naming that very run. A
bind mount of a folder from the same file system has the same `st_dev` as its parent, so mount
points come from the mount table (`fs.mounts`). Anything else under the trash folder is not ours
and is left alone. What a proven quarantine holds still goes through the guard like everything else
(`Guard.with_quarantines`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.clean.model import Skip
from perf_tasks.fs import mounts

TRASH_DIR = ".perf-tasks-trash"
MARKER = ".perf-tasks-quarantine"
_MARKER_MAX = 512


class NotOurs(Exception):
    """A quarantine folder that this tool did not make, or cannot prove it made."""


def _marker_text(run_id: str) -> bytes:
    return f"perf-tasks quarantine\nrun: {run_id}\n".encode()


def make(home: Path, run_id: str) -> Path:
    """A new, marked quarantine folder of this run under `home`. Raises NotOurs or OSError."""
    trash = home / TRASH_DIR
    with contextlib.suppress(FileExistsError):
        os.mkdir(trash, 0o700)
    _check_folder(trash, os.lstat(home).st_dev, mounts.mount_points())
    run = trash / run_id
    os.mkdir(run, 0o700)  # fails if it exists: a run id is never reused
    fd = os.open(run / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, _marker_text(run_id))
    finally:
        os.close(fd)
    return run


@dataclass(frozen=True)
class Found:
    runs: tuple[Path, ...]  # proven ours: their contents are unfinished work
    foreign: tuple[Skip, ...]  # anything else under a trash folder


def find(home: Path) -> Found:
    """The quarantines under `home` that a previous run of this tool left unfinished."""
    trash = home / TRASH_DIR
    points = mounts.mount_points()
    try:
        home_dev = os.lstat(home).st_dev
        _check_folder(trash, home_dev, points)
        names = sorted(os.listdir(trash))
    except FileNotFoundError:
        return Found((), ())
    except (NotOurs, OSError) as exc:
        return Found((), (Skip(trash, f"{_why(exc)}: left alone"),))
    runs: list[Path] = []
    foreign: list[Skip] = []
    for name in names:
        run = trash / name
        try:
            _check_folder(run, home_dev, points)
            _check_marker(run)
        except (NotOurs, OSError) as exc:
            if not _drop_half_made(run, home_dev, points):
                foreign.append(Skip(run, f"{_why(exc)}: left alone"))
            continue
        runs.append(run)
    if not runs and not foreign:
        with contextlib.suppress(OSError):
            os.rmdir(trash)  # only when empty
    return Found(tuple(runs), tuple(foreign))


def _drop_half_made(run: Path, home_dev: int, points: frozenset[Path] | None) -> bool:
    """Remove a quarantine a run was killed while making: our own folder holding nothing but
    (part of) its marker. Nothing was moved into it yet (`make` returns only once the marker is
    written), so removing it loses nothing; rmdir would refuse a folder holding anything else."""
    try:
        _check_folder(run, home_dev, points)
        names = os.listdir(run)
        if names not in ([], [MARKER]):
            return False
        if names:
            fd = os.open(run / MARKER, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                st = os.fstat(fd)
                data = os.read(fd, _MARKER_MAX)
            finally:
                os.close(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
                return False
            if not _marker_text(run.name).startswith(data):
                return False
            os.unlink(run / MARKER)
        os.rmdir(run)
    except (NotOurs, OSError):
        return False
    return True


def tidy(run: Path) -> None:
    """Remove a quarantine folder once nothing but its marker is left (then the trash folder, if
    empty). A folder that still holds something keeps its marker, so the next run finishes it."""
    try:
        if os.listdir(run) != [MARKER]:
            return
        os.unlink(run / MARKER)
        os.rmdir(run)
        os.rmdir(run.parent)
    except OSError:
        return


def _check_folder(path: Path, home_dev: int, points: frozenset[Path] | None) -> None:
    """Raise NotOurs unless `path` is a real folder of ours on its home's file system.

    `points` is the mount table (None where it cannot be read: then `os.path.ismount`).
    """
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise NotOurs("a symlink, not a quarantine this tool made")
    if not stat.S_ISDIR(st.st_mode):
        raise NotOurs("not a folder this tool made")
    if st.st_uid != os.geteuid():
        raise NotOurs("belongs to another user")
    if st.st_dev != home_dev:
        raise NotOurs("on another file system than its workspace folder")
    mounted = os.path.ismount(path) if points is None else path in points
    if mounted:
        raise NotOurs("a mount point, not a quarantine this tool made")


def _check_marker(run: Path) -> None:
    marker = run / MARKER
    try:
        fd = os.open(marker, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise NotOurs("no marker of ours: not a quarantine this tool made") from None
    try:
        st = os.fstat(fd)
        data = os.read(fd, _MARKER_MAX) if stat.S_ISREG(st.st_mode) else b""
    finally:
        os.close(fd)
    if st.st_uid != os.geteuid() or data != _marker_text(run.name):
        raise NotOurs("its marker is not ours or names another run")


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot check it: {exc.strerror or exc}"
    return str(exc)
