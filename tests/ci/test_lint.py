"""The workflows ci.init writes, as GitHub's linters see them: actionlint (syntax, expressions,
and the run scripts through shellcheck) and zizmor (security: pins, injection, permissions,
credentials).

All three come with the test dependency group. A missing one skips locally, and fails in CI (`CI`
set).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import REPO_ROOT, perf, write

from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE

DEMO = REPO_ROOT / "examples" / "demo-workspace"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is missing: it comes with the test dependency group"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module", params=["defaults", "settings"])
def workflows(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """ci.init run on a copy of the demo workspace: with the defaults, and with every setting."""
    root = tmp_path_factory.mktemp(request.param) / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "docs"))
    if request.param == "settings":
        write(
            root / "perf-tasks.toml",
            '[baseline]\ndir = "perf"\n[ci]\ninstall = "./wheels/perf_tasks-0.1.0-py3-none-any.whl"\n'
            'python = "3.13"\nbranches = ["main", "release/1.x"]\ncron = "0 5 * * 1-5"\n'
            'rust_paths = ["*.rs", "crates/*", "Cargo.*"]\n'
            '[monitor]\ndir = "perf/monitor"\nchart = "trend.png"\n',
        )
    proc = perf("ci.init", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    return [root / CI_FILE, root / MONITORING_FILE]


def test_actionlint_accepts_them(workflows: list[Path]) -> None:
    tool("shellcheck")  # actionlint checks run scripts only when it finds shellcheck
    proc = subprocess.run(
        [tool("actionlint"), *map(str, workflows)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing(workflows: list[Path]) -> None:
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", *map(str, workflows)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout
