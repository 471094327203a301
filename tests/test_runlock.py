"""The run lock: one file per workspace root, shared, never followed through a link, never split."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import write

from perf_tasks.errors import Busy, WorkspaceError
from perf_tasks.runlock import LOCK_NAME, run_lock


def test_a_second_holder_is_told_who_holds_it(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text() == str(os.getpid())
        busy = pytest.raises(Busy, match=rf"\(pid {os.getpid()}\) is working on {tmp_path}")
        with busy, run_lock(tmp_path):
            pass


def test_a_stale_pid_is_not_named(tmp_path: Path) -> None:
    # The last holder could not write its pid (a read-only open): the file names a dead process.
    with run_lock(tmp_path):
        (tmp_path / LOCK_NAME).write_text("999999999")
        with pytest.raises(Busy, match=r"\(another process\)"), run_lock(tmp_path):
            pass


def test_the_file_is_reused_not_replaced(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        inode = (tmp_path / LOCK_NAME).stat().st_ino
    with run_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).stat().st_ino == inode
    assert (tmp_path / LOCK_NAME).exists(), "never unlinked: that would split the lock"


def test_a_fifo_in_its_place_is_refused_without_hanging(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / LOCK_NAME)
    with pytest.raises(WorkspaceError, match="not a regular file"), run_lock(tmp_path):
        pass


def test_a_hard_linked_lock_is_locked_but_never_written(tmp_path: Path) -> None:
    other = write(tmp_path / "elsewhere", "precious")
    os.link(other, tmp_path / LOCK_NAME)
    with run_lock(tmp_path):
        assert other.read_text() == "precious"
