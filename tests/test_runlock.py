"""The run lock: one file per workspace, shared, never followed through a link, never split; in a
git work tree it lives in the git dir (never in `git status`), named for the workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import held_elsewhere, lock_held_elsewhere, write

from perf_tasks.errors import Busy, WorkspaceError
from perf_tasks.runlock import LOCK_NAME, lock_path, run_lock


def _git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_second_holder_is_told_who_holds_it(tmp_path: Path) -> None:
    with lock_held_elsewhere(tmp_path) as pid:
        assert (tmp_path / LOCK_NAME).read_text() == str(pid)
        busy = pytest.raises(Busy, match=rf"\(pid {pid}\) is working on {tmp_path}")
        with busy, run_lock(tmp_path):
            pass


def test_a_stale_pid_is_not_named(tmp_path: Path) -> None:
    # The last holder could not write its pid (a read-only open): the file names a dead process.
    with lock_held_elsewhere(tmp_path):
        (tmp_path / LOCK_NAME).write_text("999999999")
        with pytest.raises(Busy, match=r"\(another process\)"), run_lock(tmp_path):
            pass


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    # A task that holds it (a clean, a baseline) writes a user's file through the guarded writer,
    # which takes it again: a second flock from another fd would be refused by our own.
    spelled = tmp_path / "link"
    spelled.symlink_to(tmp_path)
    with run_lock(tmp_path), run_lock(tmp_path), run_lock(spelled):
        pass
    with lock_held_elsewhere(tmp_path), pytest.raises(Busy), run_lock(tmp_path):
        pass  # and released on the way out: another process could take it


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


def test_in_a_git_work_tree_the_lock_is_in_the_git_dir_and_not_in_git_status(
    tmp_path: Path,
) -> None:
    _git(tmp_path, "init", "-q")
    with run_lock(tmp_path):
        assert _git(tmp_path, "status", "--porcelain", "--ignored") == ""
    assert not (tmp_path / LOCK_NAME).exists()
    assert lock_path(tmp_path).parent == Path(_git(tmp_path, "rev-parse", "--absolute-git-dir"))


def test_two_workspaces_of_one_repository_have_two_locks(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert len({lock_path(tmp_path), lock_path(tmp_path / "a"), lock_path(tmp_path / "b")}) == 3
    held = lock_held_elsewhere(tmp_path / "a")
    with held, run_lock(tmp_path / "b"), pytest.raises(Busy), run_lock(tmp_path / "a"):
        pass


def test_a_linked_worktree_keeps_its_lock_in_its_own_git_dir(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    _git(main, "init", "-q")
    _git(
        main,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    _git(main, "worktree", "add", "-q", str(tmp_path / "wt"))
    wt = tmp_path / "wt"
    assert lock_path(wt).parent == Path(_git(wt, "rev-parse", "--absolute-git-dir"))
    assert lock_path(wt) != lock_path(main)
    with run_lock(wt):
        assert _git(wt, "status", "--porcelain", "--ignored") == ""


def test_a_hooks_git_dir_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A hook runs with GIT_DIR set to the repository it serves, which may be another one.
    _git(tmp_path, "init", "-q")
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    (tmp_path / "ws").mkdir()
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert lock_path(tmp_path / "ws").parent == tmp_path / ".git"


def test_users_who_cannot_run_git_pick_the_same_lock(tmp_path: Path) -> None:
    # git refuses a repository another user owns ("dubious ownership"): the lock is found by
    # reading .git, so such a user locks the very file the owner locks. Simulated by a git that
    # cannot run at all.
    _git(tmp_path, "init", "-q")
    with lock_held_elsewhere(tmp_path) as pid:
        no_git = {**os.environ, "PATH": "/nonexistent", "GIT_DIR": "/nonexistent"}
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom pathlib import Path\nfrom perf_tasks.runlock import run_lock\n"
                "with run_lock(Path(sys.argv[1])):\n    pass\n",
                str(tmp_path),
            ],
            env=no_git,
            check=False,
            capture_output=True,
            text=True,
        )
        assert proc.returncode != 0 and f"pid {pid}" in proc.stderr


def test_a_lock_in_the_root_from_the_previous_version_is_respected(tmp_path: Path) -> None:
    # The previous version locked `.perf-tasks.lock` in the root, git work tree or not: while one
    # of its runs holds it, this version waits its turn too.
    _git(tmp_path, "init", "-q")
    legacy = tmp_path / LOCK_NAME
    legacy.touch()
    script = (
        "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.read()\n"
    )
    with (
        held_elsewhere(script, str(legacy)),
        pytest.raises(Busy, match="an older perf-tasks run"),
        run_lock(tmp_path),
    ):
        pass
    with run_lock(tmp_path):
        pass
