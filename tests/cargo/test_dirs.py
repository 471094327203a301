"""cargo/dirs.py on real folders and real locks: profile dirs, CACHEDIR.TAG, holding cargo's locks."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from helpers import TAG, write

from perf_tasks.cargo.dirs import (
    BuildLocks,
    build_in_progress,
    has_cachedir_tag,
    locks_of,
    profile_dirs,
)


def test_profile_dirs_are_the_folders_holding_a_build_lock(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write(target / "debug" / ".cargo-lock", b"")
    write(target / "release" / ".cargo-build-lock", b"")
    write(target / "x86_64-unknown-linux-gnu" / "debug" / ".cargo-lock", b"")
    write(target / "doc" / "index.html", "<html>")
    (target / "link").symlink_to(target / "debug")
    assert profile_dirs(target) == [
        target / "debug",
        target / "release",
        target / "x86_64-unknown-linux-gnu" / "debug",
    ]
    assert locks_of(target / "release") == [target / "release" / ".cargo-build-lock"]


def test_only_the_exact_signature_is_a_cachedir_tag(tmp_path: Path) -> None:
    assert not has_cachedir_tag(tmp_path)
    write(tmp_path / "CACHEDIR.TAG", b"Signature: something else\n")
    assert not has_cachedir_tag(tmp_path)
    write(tmp_path / "CACHEDIR.TAG", TAG)
    assert has_cachedir_tag(tmp_path)


def test_a_held_lock_is_a_build_in_progress_and_is_never_taken(tmp_path: Path) -> None:
    lock = write(tmp_path / "debug" / ".cargo-lock", b"")
    assert not build_in_progress(tmp_path / "debug")
    # Another process holds it, as a running cargo build does.
    held_r, held_w = os.pipe()
    release_r, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        fd = os.open(lock, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(held_w, b"x")
        os.read(release_r, 1)  # hold until the parent says so
        os._exit(0)
    os.read(held_r, 1)
    try:
        assert build_in_progress(tmp_path / "debug")
        with BuildLocks() as locks:
            assert not locks.try_hold(tmp_path / "debug")
    finally:
        os.write(release_w, b"x")
        os.waitpid(pid, 0)
    with BuildLocks() as locks:
        assert locks.try_hold(tmp_path / "debug")
    assert not build_in_progress(tmp_path / "debug"), "released when the holder ends"
    assert lock.read_bytes() == b"", "a lock file is never written"
