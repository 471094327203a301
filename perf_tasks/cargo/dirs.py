"""cargo's own marks in its target and build dirs: the build locks of each profile dir, and the
CACHEDIR.TAG that says a folder is cargo's. Holding the locks keeps a build out while we delete."""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

# cargo's build locks, at the top of each profile dir (`target/debug/.cargo-lock`). Newer cargo
# splits the lock in two; we hold every one that exists.
LOCK_NAMES = (".cargo-lock", ".cargo-build-lock", ".cargo-artifact-lock")
CACHEDIR_TAG = "CACHEDIR.TAG"
# https://bford.info/cachedir/ : the file must start with exactly this line.
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"


def has_cachedir_tag(directory: Path) -> bool:
    try:
        with (directory / CACHEDIR_TAG).open("rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


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
