"""The old scripts keep working as one-line shims over the tasks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, age, tiny_workspace, write

from perf_tasks.legacy import UsageError, translate


@pytest.mark.parametrize(
    ("script", "flags", "argv"),
    [
        ("auto_cleanup", [], ["clean"]),
        ("auto_cleanup", ["--target"], ["clean.target"]),
        ("auto_cleanup", ["--nuke"], ["clean.nuke", "--yes"]),
        ("auto_cleanup", ["--nuke", "--dry-run"], ["clean.nuke", "--dry-run"]),
        ("cleanup_old_runs", ["--dry-run"], ["clean.runs", "--dry-run"]),
        ("clean_build_cache", [], ["clean.cache"]),
    ],
)
def test_translate(script: str, flags: list[str], argv: list[str]) -> None:
    assert translate(script, flags) == argv


def test_unknown_flags_and_conflicts_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown option '--all'"):
        translate("auto_cleanup", ["--all"])
    with pytest.raises(UsageError, match="exclude each other"):
        translate("auto_cleanup", ["--target", "--nuke"])


def shim(name: str, *flags: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PERF_TASKS_PYTHON": sys.executable}
    return subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / f"{name}.sh"), *flags],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_cleanup_old_runs_shim_removes_old_runs_from_the_current_dir(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    for i in range(12):
        write(root / "output" / "scg" / f"run{i:02}" / "out.json")
        age(root / "output" / "scg" / f"run{i:02}", 20 + i)
    dry = shim("cleanup_old_runs", "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    assert "would remove output/scg/run10" in dry.stdout
    real = shim("cleanup_old_runs", cwd=root)
    assert real.returncode == 0, real.stderr
    assert sorted(p.name for p in (root / "output" / "scg").iterdir())[-1] == "run09"


def test_shim_with_a_bad_flag_exits_2(tmp_path: Path) -> None:
    proc = shim("auto_cleanup", "--everything", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: auto_cleanup.sh: unknown option")
