"""The tasks as users run them: a real process, exit codes, stdout/stderr discipline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, du, perf, tiny_workspace, write


def test_json_mode_puts_only_json_on_stdout(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    before = du(root / "target")
    proc = perf("clean.nuke", "--dry-run", "--json", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["schema_version"] == 1 and report["dry_run"] is True
    assert {"path", "bytes", "files", "category", "reason", "removed"} <= set(report["items"][0])
    target = next(a for a in report["areas"] if a["label"] == "target/")
    assert target["bytes_before"] == before
    assert "dry run:" in proc.stderr and "nothing was removed" in proc.stderr
    assert "removing" not in proc.stderr.lower()
    assert du(root / "target") == before


def test_closing_line_reports_a_fresh_scan(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    proc = perf("clean.cache", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("target/ ") and " \u2192 " in last
    assert last.endswith((" ms", " s"))


def test_nuke_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    blob = write(root / "cache" / "blob")
    proc = perf("clean.nuke", "--root", str(root))  # stdin is not a terminal: no prompt, no wait
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: clean.nuke asks before it removes everything, and there is no terminal to ask on: "
        "pass --yes"
    ]
    assert blob.exists()
    proc = perf("clean.nuke", "--yes", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    assert not blob.exists()


def test_bad_config_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "perf-tasks.toml", "[runs]\nkeep_newst = 3\n")
    proc = perf("clean.runs", "--root", str(root))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "perf-tasks.toml" in lines[0] and "runs.keep_newst" in lines[0]


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "pyproject.toml", '[tool.perf-tasks.runs]\nkeep_days = "two weeks"\n')
    proc = perf("clean.runs", "--root", str(root))
    assert (
        proc.returncode == 2 and "runs.keep_days" in proc.stderr and "pyproject.toml" in proc.stderr
    )


def test_not_a_workspace_is_exit_2(tmp_path: Path) -> None:
    proc = perf("clean.nuke", "--yes", "--root", str(tmp_path))
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"error: no Cargo.toml in {tmp_path}: run from a Rust workspace or pass --root PATH"
    )


def test_root_from_the_environment(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    proc = perf(
        "clean.cache", "--dry-run", "--json", env={"PERF_TASKS_ROOT": str(root)}, cwd=tmp_path
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["root"] == str(root)


def test_a_build_in_progress_is_skipped_with_a_message(tmp_path: Path) -> None:
    import fcntl

    root = tiny_workspace(tmp_path / "ws")
    write(root / "target" / "debug" / "deps" / "x")
    # a build holds debug/ while the plan is made and applied: plan-time skip, exit 0
    fd = os.open(root / "target" / "debug" / ".cargo-lock", os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        proc = perf("clean.nuke", "--yes", "--root", str(root))
    finally:
        os.close(fd)
    assert proc.returncode == 0, proc.stderr
    assert "a cargo build holds debug/" in proc.stdout
    assert (root / "target" / "debug" / "deps" / "x").exists()


def test_tasks_load_without_heavy_imports() -> None:
    code = (
        "import sys, tasks\n"
        "heavy = [m for m in ('rich', 'psutil', 'tomlkit') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_an_item_not_removed_is_exit_1_and_the_rest_goes(tmp_path: Path) -> None:
    import pytest

    root = tiny_workspace(tmp_path / "ws")
    stuck = write(root / "cache" / "stuck" / "f")
    free = write(root / "artifacts" / "free")
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True, check=False).returncode:
        pytest.skip("this file system cannot make a file immutable")
    try:
        proc = perf("clean.nuke", "--yes", "--root", str(root))
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=False)
    assert proc.returncode == 1
    assert "Operation not permitted" in proc.stdout and "Traceback" not in proc.stderr
    assert stuck.exists(), "what could not go is back in place"
    assert not free.exists()


def test_no_baseline_while_another_run_holds_the_workspace(tmp_path: Path) -> None:
    from perf_tasks.runlock import run_lock

    root = tiny_workspace(tmp_path / "ws")
    with run_lock(root):
        proc = perf("baseline", "--runs", "1", "--root", str(root))
    assert proc.returncode == 1, proc.stderr
    assert "another perf-tasks run" in proc.stderr and "Traceback" not in proc.stderr
    assert not (root / "docs" / "performance").exists()
