"""Every guard of the deletion path, each with a test that fails if the guard goes.

Most tests hand `apply` a plan that breaks a rule, because `apply` must refuse on its own, whatever
the planner decided; the rest check that the planner already leaves such paths out.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import TAG, git, lock_held_elsewhere, tiny_workspace, write

from perf_tasks import workspace
from perf_tasks.clean import quarantine, run
from perf_tasks.clean.apply import apply
from perf_tasks.clean.model import OUTPUT, Item, Plan
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard, Rule
from perf_tasks.errors import Busy, ConfigError, UnsafePathError
from perf_tasks.runlock import run_lock
from perf_tasks.settings import Settings, parse


def plan_of(root: Path, *paths: Path) -> Plan:
    items = tuple(Item(p, 0, 0, OUTPUT, "test") for p in paths)
    return Plan("test", root, items, (), 0, ())


def guard_for(root: Path) -> Guard:
    return Guard.for_workspace(workspace.load(root))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_workspace(tmp_path / "ws")


# ----------------------------------------------------------------------------- allowed places


def test_refuses_paths_outside_the_root_and_cargo_dirs(tiny: Path, tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "precious.txt")
    inside = write(tiny / "output" / "scg" / "old.log")
    report = apply(plan_of(tiny, outside, inside), guard=guard_for(tiny))
    assert outside.exists()
    assert not inside.exists()
    assert [s.reason for s in report.skipped] == [Rule.OUTSIDE.value]


def test_refuses_the_root_itself_and_non_plain_paths(tiny: Path) -> None:
    guard = guard_for(tiny)
    assert guard.refuse(tiny) == Rule.OUTSIDE.value
    assert guard.refuse(tiny / "src") == Rule.OUTSIDE.value
    assert guard.refuse(tiny / "target") == Rule.AREA_ITSELF.value
    assert guard.refuse(tiny / "output" / ".." / "src") == Rule.NOT_PLAIN.value
    report = apply(plan_of(tiny, tiny), guard=guard)
    assert (tiny / "Cargo.toml").exists() and not report.removed


@pytest.mark.parametrize("where", ["/", "home"])
def test_refuses_a_root_of_slash_or_home(where: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    flag = "/" if where == "/" else str(home)
    with pytest.raises(UnsafePathError):
        workspace.resolve_root(flag, env={"HOME": str(home)}, config_root=None, cwd=tmp_path)


@pytest.mark.parametrize("value", ["../elsewhere", "/var/tmp/x", "a/../../b", "."])
def test_configured_paths_may_not_escape_the_root(value: str) -> None:
    with pytest.raises(ConfigError, match=r"outputs\.cache"):
        parse({"outputs": {"cache": value}}, source="perf-tasks.toml")


def test_cargo_dir_without_a_valid_cachedir_tag_is_left_alone(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws", tag=False)
    write(root / "target" / "CACHEDIR.TAG", "Signature: not the right one\n")
    guard = guard_for(root)
    deps = root / "target" / "debug" / "deps"
    report = apply(plan_of(root, deps), guard=guard)
    assert deps.exists() and not report.removed
    plan, _ = run.plan("nuke", guard, Settings(), now=time.time())
    assert not [i for i in plan.items if root / "target" in i.path.parents]
    assert any("CACHEDIR.TAG" in s.reason for s in plan.skipped)


def test_nuke_keeps_cachedir_tag_and_lock_files(tiny: Path) -> None:
    guard = guard_for(tiny)
    plan, scanned = run.plan("nuke", guard, Settings(), now=time.time())
    report = run.execute(plan, scanned, guard, dry_run=False)
    assert report.ok
    left = sorted(p.relative_to(tiny / "target").as_posix() for p in (tiny / "target").rglob("*"))
    assert left == ["CACHEDIR.TAG", "debug", "debug/.cargo-lock", "release", "release/.cargo-lock"]


# ------------------------------------------------------------------------------------ symlinks


def test_a_link_to_outside_is_unlinked_and_its_target_untouched(tiny: Path, tmp_path: Path) -> None:
    precious = write(tmp_path / "precious" / "data.bin", b"p" * 10_000)
    runs = tiny / "output" / "scg"
    runs.mkdir(parents=True)
    (runs / "link").symlink_to(precious.parent)
    inner = write(runs / "run1" / "x")
    (runs / "run1" / "nested-link").symlink_to(precious)
    report = apply(plan_of(tiny, runs / "link", runs / "run1"), guard=guard_for(tiny))
    assert len(report.removed) == 2
    assert not os.path.lexists(runs / "link") and not inner.exists()
    assert precious.read_bytes() == b"p" * 10_000


def test_never_goes_through_a_symlinked_folder(tiny: Path, tmp_path: Path) -> None:
    real = write(tmp_path / "real" / "keep.txt").parent
    (tiny / "cache").symlink_to(real)
    through = tiny / "cache" / "keep.txt"
    report = apply(plan_of(tiny, through), guard=guard_for(tiny))
    assert (real / "keep.txt").exists()
    assert report.skipped[0].reason == "reached through a symlink"


# ----------------------------------------------------------------------------------------- git


def test_tracked_files_are_skipped_and_reported(tiny: Path) -> None:
    tracked = write(tiny / "artifacts" / "golden.json", "{}")
    loose = write(tiny / "artifacts" / "bench.json", "{}")
    git("init", "-q", cwd=tiny)
    git("add", "artifacts/golden.json", "Cargo.toml", cwd=tiny)
    git("commit", "-qm", "init", cwd=tiny)
    guard = guard_for(tiny)
    # apply on its own refuses a tracked file and a folder holding one
    report = apply(plan_of(tiny, tracked, tracked.parent), guard=guard)
    assert tracked.exists() and loose.exists()
    assert {s.reason for s in report.skipped} == {"tracked by git", "holds files tracked by git"}
    # the planner splits the folder: the loose file goes, the tracked one stays and is reported
    plan, scanned = run.plan("nuke", guard, Settings(), now=time.time())
    assert any(s.path == tracked and s.reason == "tracked by git" for s in plan.skipped)
    run.execute(plan, scanned, guard, dry_run=False)
    assert tracked.exists() and not loose.exists()


# ------------------------------------------------------------------------ builds in progress


def hold_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_a_profile_that_a_build_holds_is_skipped_unless_forced(tiny: Path) -> None:
    guard = guard_for(tiny)
    debug_deps = tiny / "target" / "debug" / "deps"
    fd = hold_lock(tiny / "target" / "debug" / ".cargo-lock")
    try:
        report = apply(plan_of(tiny, debug_deps, tiny / "target" / "release" / "deps"), guard=guard)
        assert debug_deps.exists()
        assert not (tiny / "target" / "release" / "deps").exists()
        assert "cargo build holds debug/" in report.skipped[0].reason
        plan, _ = run.plan("nuke", guard, Settings(), now=time.time())
        assert all(tiny / "target" / "debug" not in i.path.parents for i in plan.items)
        forced = apply(plan_of(tiny, debug_deps), guard=guard, force=True)
        assert forced.removed and not debug_deps.exists()
    finally:
        os.close(fd)
    assert (tiny / "target" / "debug" / ".cargo-lock").exists()


def test_lock_files_are_never_unlinked(tiny: Path) -> None:
    lock = tiny / "target" / "debug" / ".cargo-lock"
    report = apply(plan_of(tiny, lock), guard=guard_for(tiny))
    assert lock.exists() and report.skipped[0].reason == "cargo lock file: never removed"


def test_overlapping_runs_do_not_collide(tiny: Path) -> None:
    held = lock_held_elsewhere(tiny)  # within one process the lock is re-entrant
    with held, pytest.raises(Busy, match="another perf-tasks run"), run_lock(tiny):
        pass
    with run_lock(tiny):  # released: the next run goes ahead
        pass


# -------------------------------------------------------------------------------------- errors


def test_a_path_that_vanished_is_reported_and_the_rest_continues(tiny: Path) -> None:
    gone = tiny / "output" / "scg" / "gone"
    here = write(tiny / "output" / "scg" / "here" / "f")
    report = apply(plan_of(tiny, gone, here.parent), guard=guard_for(tiny))
    assert not here.exists()
    assert [(f.path, f.error) for f in report.errors] == [
        (gone, "vanished before it could be removed")
    ]
    assert not report.ok


@pytest.mark.skipif(os.geteuid() != 0, reason="drops to an unprivileged user; needs root to do so")
def test_permission_errors_and_read_only_folders_are_reported() -> None:
    """As an unprivileged user: a read-only folder inside an item, and an item whose parent is
    read-only. Both are reported; the rest goes; nothing is left hidden in the quarantine."""
    nobody = pwd.getpwnam("nobody")
    base = Path(tempfile.mkdtemp(prefix="perf-tasks-perm-"))
    try:
        os.chmod(base, 0o755)
        root = tiny_workspace(base / "ws")
        ro_inside = write(root / "output" / "scg" / "run-ro" / "locked" / "f").parent
        ro_parent = write(root / "cache" / "sealed" / "item" / "g").parent
        free = write(root / "artifacts" / "free" / "h").parent
        subprocess.run(["chown", "-R", f"{nobody.pw_uid}:{nobody.pw_gid}", str(root)], check=True)
        guard = guard_for(root)
        plan = plan_of(root, ro_inside.parent, ro_parent, free)
        ro_inside.chmod(0o555)
        ro_parent.parent.chmod(0o555)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            report = apply(plan, guard=guard)
            summary = repr(
                (
                    [str(i.path) for i in report.removed],
                    [(str(f.path), f.error) for f in report.errors],
                )
            )
            os.write(write_fd, summary.encode())
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            removed, errors = eval(pipe.read())
        os.waitpid(pid, 0)
        assert removed == [str(free)]
        failed = dict(errors)
        assert "Permission denied" in failed[str(ro_inside.parent)]
        assert "Permission denied" in failed[str(ro_parent)]
        assert (ro_inside / "f").exists(), "what could not go is back in place"
        assert ro_parent.exists()
        assert not list(root.rglob(f"{TRASH_DIR}/*/*"))
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)
        shutil.rmtree(base, ignore_errors=True)


# ------------------------------------------------------------------------------- interruption


def test_an_interrupted_run_is_finished_by_the_next(tiny: Path) -> None:
    # What a run killed between its rename and its rm -rf leaves behind.
    run_dir = quarantine.make(tiny / "target", "20260101T000000-1-abcdef")
    left = write(run_dir / "000000" / "f")
    guard = guard_for(tiny)
    plan, scanned = run.plan("runs", guard, Settings(), now=time.time())
    assert [i.category for i in plan.items] == ["unfinished"]
    report = run.execute(plan, scanned, guard, dry_run=False)
    assert report.ok and not left.exists() and not (tiny / "target" / TRASH_DIR).exists()


def test_kill_9_mid_deletion_leaves_work_the_next_run_finishes(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    big = root / "output" / "scg"
    for i in range(60):
        d = big / f"run{i}"
        d.mkdir(parents=True)
        for j in range(300):
            (d / f"f{j}").write_bytes(b"k" * 100)
    trash = root / TRASH_DIR
    cmd = [sys.executable, "-m", "perf_tasks", "clean.nuke", "--yes", "--root", str(root)]
    # Its own process group, so that the stop and the kill reach its `rm -rf` children too.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    quarantined: list[Path] = []
    while proc.poll() is None and not quarantined:
        quarantined = [p for p in trash.glob("*/0*")] if trash.is_dir() else []
    if not quarantined:
        pytest.fail("the run ended before anything was quarantined: the tree is too small")
    os.killpg(proc.pid, signal.SIGSTOP)  # frozen mid-deletion, then killed there
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(trash.glob("*/0*")), "killed mid-deletion: part of the work is in the quarantine"
    again = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert "unfinished" in again.stdout
    assert not big.exists()
    assert not list(root.rglob(TRASH_DIR))
    assert (root / "target" / "CACHEDIR.TAG").read_bytes() == TAG
