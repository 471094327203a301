"""Report.ok: anything that could not be read or removed makes a run not ok, dry or not; through
the CLI that is exit 1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, age, tiny_workspace, write

from perf_tasks.clean.model import Failure, Item, Plan, Report

ITEM = Item(Path("/ws/cache"), 10, 1, "output", "generated output cache (nuke)")


def plan(*, scan_errors: tuple[Failure, ...] = ()) -> Plan:
    return Plan("nuke", Path("/ws"), (ITEM,), (), 10, (), scan_errors=scan_errors)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_folder_that_could_not_be_read_is_not_ok(dry_run: bool) -> None:
    # The same scan error as `Permission denied` on an unreadable folder, which root cannot make.
    denied = plan(scan_errors=(Failure(Path("/ws/cache/private"), "Permission denied"),))
    removed = () if dry_run else (ITEM,)
    assert not Report(denied, dry_run=dry_run, removed=removed).ok


def test_a_dry_run_removes_nothing_and_is_ok() -> None:
    assert Report(plan(), dry_run=True).ok


def test_a_real_run_is_ok_only_when_every_item_went() -> None:
    assert Report(plan(), dry_run=False, removed=(ITEM,)).ok
    assert not Report(plan(), dry_run=False).ok
    failed = (Failure(ITEM.path, "Operation not permitted"),)
    assert not Report(plan(), dry_run=False, removed=(ITEM,), errors=failed).ok


def _can_drop_to_a_user_namespace() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-U", "-r", "true"], check=False).returncode == 0


@pytest.mark.skipif(
    not _can_drop_to_a_user_namespace(),
    reason="needs root and `unshare -U -r`: root reads a chmod 000 folder, root of a user "
    "namespace does not when the folder's owner is not mapped into it",
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_unreadable_folder_is_exit_1_through_the_cli(tmp_path: Path, dry_run: bool) -> None:
    # Root of a new user namespace keeps root's files but has no power over a folder whose owner
    # is not mapped into the namespace: `Permission denied`, as any user would get it.
    root = tiny_workspace(tmp_path / "ws")
    write(root / "perf-tasks.toml", "[runs]\nkeep_newest = 0\n")
    locked = root / "output" / "scg" / "old1" / "locked"
    secret = write(locked / "secret")
    other = write(root / "output" / "scg" / "old2" / "log")
    age(root / "output", 30)
    os.chown(locked, 4321, 4321)
    locked.chmod(0)
    try:
        flags = ["--dry-run"] * dry_run
        argv = [sys.executable, "-m", "perf_tasks", "clean.runs", "--json", *flags]
        proc = subprocess.run(
            ["unshare", "-U", "-r", *argv, "--root", str(root)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        report = json.loads(proc.stdout)
        assert report["ok"] is False
        assert {"path": str(locked), "error": "Permission denied"} in report["errors"]
    finally:
        locked.chmod(0o755)
    assert secret.exists()
    assert other.exists() is dry_run
