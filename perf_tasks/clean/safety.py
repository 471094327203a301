"""The guards every deletion goes through.

`Guard.refuse(path)` says why a path must not be removed, or None. The planner uses `Guard.split` to
turn a folder that holds something we must keep (a tracked file, a cargo lock, a CACHEDIR.TAG) into
its removable parts, and `apply` asks `refuse` again for every item just before it goes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks.clean.model import Skip
from perf_tasks.errors import ToolMissing
from perf_tasks.workspace import Workspace

# cargo's build locks, at the top of each profile dir (`target/debug/.cargo-lock`). Newer cargo
# splits
# the lock in two; we hold every one that exists.
LOCK_NAMES = (".cargo-lock", ".cargo-build-lock", ".cargo-artifact-lock")
CACHEDIR_TAG = "CACHEDIR.TAG"
# https://bford.info/cachedir/ : the file must start with exactly this line.
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
TRASH_DIR = ".perf-tasks-trash"


def has_cachedir_tag(directory: Path) -> bool:
    try:
        with (directory / CACHEDIR_TAG).open("rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


@dataclass(frozen=True)
class GitIndex:
    """Every file git tracks under some folders, and every folder that holds one."""

    files: frozenset[Path] = frozenset()
    folders: frozenset[Path] = frozenset()

    def holds_tracked(self, path: Path) -> bool:
        return path in self.files or path in self.folders

    @classmethod
    def load(cls, areas: Iterable[Path]) -> GitIndex:
        files: set[Path] = set()
        for area in areas:
            files.update(_tracked_under(area))
        folders: set[Path] = set()
        for f in files:
            for parent in f.parents:
                if parent in folders:
                    break
                folders.add(parent)
        return cls(frozenset(files), frozenset(folders))


def _tracked_under(area: Path) -> list[Path]:
    if not area.is_dir() or not _inside_git_repo(area):
        return []
    git = shutil.which("git")
    if git is None:
        raise ToolMissing(
            f"{area} is in a git repository but git is not on PATH: install git, which we need to "
            "leave tracked files alone"
        )
    proc = subprocess.run(
        [git, "-C", str(area), "ls-files", "-z", "--cached"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise ToolMissing(f"`git ls-files` failed in {area}: {' '.join(message)}")
    return [area / os.fsdecode(name) for name in proc.stdout.split(b"\0") if name]


def _inside_git_repo(path: Path) -> bool:
    return any((p / ".git").exists() for p in (path, *path.parents))


@dataclass
class Guard:
    """What may be removed in one workspace."""

    workspace: Workspace
    git: GitIndex = field(default_factory=GitIndex)
    # Paths that stay whatever the mode: cargo's locks and CACHEDIR.TAGs, our own quarantine.
    keep: frozenset[Path] = frozenset()
    _holding_keep: frozenset[Path] = frozenset()

    @classmethod
    def for_workspace(cls, ws: Workspace) -> Guard:
        areas = (ws.root, *ws.cargo_dirs)
        keep: set[Path] = set()
        for area in areas:
            keep.add(area / TRASH_DIR)
        for cargo_dir in ws.cargo_dirs:
            keep.add(cargo_dir / CACHEDIR_TAG)
            keep.update(lock for profile in profile_dirs(cargo_dir) for lock in locks_of(profile))
        holding = {parent for k in keep for parent in k.parents}
        return cls(ws, GitIndex.load(areas), frozenset(keep), frozenset(holding))

    def area_of(self, path: Path) -> Path | None:
        """The allowed place `path` is in: the deepest of root, target dir and build dir."""
        best: Path | None = None
        for area in (self.workspace.root, *self.workspace.cargo_dirs):
            if path.is_relative_to(area) and (best is None or area.is_relative_to(best)):
                best = area
        return best

    def refuse(self, path: Path) -> str | None:
        """Why `path` must not be removed, or None when it may go."""
        if not path.is_absolute() or ".." in path.parts or os.path.normpath(path) != str(path):
            return "not a plain absolute path"
        area = self.area_of(path)
        if area is None:
            return "outside the workspace root and cargo's target and build dirs"
        if area in self.workspace.cargo_dirs and not has_cachedir_tag(area):
            return f"{area} has no valid {CACHEDIR_TAG}, so it may not be cargo's: left alone"
        if path == area:
            return "is the workspace root or a cargo dir itself"
        if os.path.realpath(path.parent) != str(path.parent):
            return "reached through a symlink"
        if path.name in LOCK_NAMES:
            return "cargo lock file: never removed"
        if path in self.keep:
            return "kept by design"
        if path in self._holding_keep:
            return "holds a cargo lock or CACHEDIR.TAG"
        if self.git.holds_tracked(path):
            return "tracked by git" if path in self.git.files else "holds files tracked by git"
        return None

    def split(self, path: Path) -> tuple[list[Path], list[Skip]]:
        """The removable parts of `path`: itself, or its children when it holds something we keep.

        Skips are reported only where the user would care (tracked files, unsafe places); our own
        kept files (locks, tags, quarantine) are silent.
        """
        holds = path in self._holding_keep or path in self.git.folders
        if not holds or path.is_symlink():
            reason = self.refuse(path)
            if reason is None:
                return [path], []
            silent = path in self.keep or path.name in LOCK_NAMES
            return [], [] if silent else [Skip(path, reason)]
        base = self.refuse_place(path)
        if base is not None:
            return [], [Skip(path, base)]
        allowed: list[Path] = []
        skipped: list[Skip] = []
        try:
            children = sorted(path.iterdir())
        except OSError as exc:
            return [], [Skip(path, f"cannot list: {exc.strerror}")]
        for child in children:
            a, s = self.split(child)
            allowed += a
            skipped += s
        return allowed, skipped

    def refuse_place(self, path: Path) -> str | None:
        """The checks of `refuse` that are about where `path` is, not what it holds."""
        reason = self.refuse(path)
        if reason in (None, "holds a cargo lock or CACHEDIR.TAG", "holds files tracked by git"):
            return None
        if reason == "is the workspace root or a cargo dir itself":
            return None  # we may still remove what is inside
        return reason

    def profile_of(self, path: Path) -> Path | None:
        """The cargo profile dir (one holding a build lock) that `path` is in, if any."""
        for parent in (path, *path.parents):
            if any((parent / name) in self.keep for name in LOCK_NAMES):
                return parent
        return None


def profile_dirs(cargo_dir: Path) -> list[Path]:
    """Profile dirs of a target or build dir: `debug/`, `release/`, `<triple>/debug/`, ..."""
    found = []
    for pattern in ("*", "*/*"):
        for candidate in cargo_dir.glob(pattern):
            if candidate.is_dir() and not candidate.is_symlink() and locks_of(candidate):
                found.append(candidate)
    return sorted(found)


def locks_of(profile: Path) -> list[Path]:
    return [profile / name for name in LOCK_NAMES if (profile / name).is_file()]


class BuildLocks:
    """Exclusive, non-blocking holds on cargo's locks of profile dirs, released on exit."""

    def __init__(self) -> None:
        self._fds: list[int] = []

    def try_hold(self, profile: Path) -> bool:
        """Hold every lock of `profile`; False (holding none of them) if a build has one."""
        taken: list[int] = []
        for lock in locks_of(profile):
            try:
                # Read-only and no create: we never make or change a lock file, only flock it.
                fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                for held in taken:
                    os.close(held)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return False
                raise
            taken.append(fd)
        self._fds += taken
        return True

    def release(self) -> None:
        for fd in self._fds:
            os.close(fd)  # closing the last fd drops the flock
        self._fds.clear()

    def __enter__(self) -> BuildLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def build_in_progress(profile: Path) -> bool:
    """Is a cargo build holding this profile right now? Probes and lets go at once."""
    with BuildLocks() as locks:
        return not locks.try_hold(profile)
