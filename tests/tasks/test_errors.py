"""Every failure is one clear line with the right exit code: the real CLI on real folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import tiny_workspace, write


def perf(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perf_tasks", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The run failed with `code` and said why in exactly one line on stderr, with no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    "value",
    [
        '"1' + "0" * 400 + ' B"',  # OverflowError in units.py before
        "1" + "0" * 400,  # a bare TOML integer of 400 digits
        '"1e999 GB"',
        "inf",
        "nan",
        '"-5 GB"',
        "-5",
    ],
)
def test_an_absurd_budget_is_one_line_exit_2(tmp_path: Path, value: str) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "perf-tasks.toml", f"[budgets]\ntarget = {value}\n")
    line = one_line(perf("clean.target", "--dry-run", "--root", str(root)), 2)
    assert "budgets.target" in line and len(line) < 300


@pytest.mark.parametrize(
    "pyproject",
    [
        "[tool]\nperf-tasks = 5\n",  # AttributeError in settings.parse before
        "tool = 5\n",
        'tool = "perf-tasks"\n',
        '[tool]\nperf-tasks = "runs"\n',
        "[tool]\nperf-tasks = [1, 2]\n",
        "[[tool.perf-tasks]]\nruns = 1\n",
    ],
)
def test_a_pyproject_table_of_the_wrong_shape_is_one_line_exit_2(
    tmp_path: Path, pyproject: str
) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "pyproject.toml", pyproject)
    line = one_line(perf("clean.runs", "--dry-run", "--root", str(root)), 2)
    assert "pyproject.toml" in line and "must be a table" in line


def test_a_pyproject_of_other_tools_only_means_defaults(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    proc = perf("clean.runs", "--dry-run", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
