"""Shared fixtures: real files, real git, real cargo on the demo workspace (built once a session)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import git  # noqa: F401  (re-exported for tests that import it from here)
from processes import wait_none_under

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo-workspace"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No outside setting may steer a test: cargo's target dir, our root; and our A/B scratch
    worktrees stay in the test's own folder."""
    monkeypatch.setenv("PERF_TASKS_SCRATCH", str(tmp_path / "ab-scratch"))
    for name in (
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_BUILD_DIR",
        "PERF_TASKS_ROOT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARGO_NET_OFFLINE", "true")
    monkeypatch.setenv("CARGO_TERM_COLOR", "never")


@pytest.fixture(autouse=True)
def _no_process_left(tmp_path: Path) -> Iterator[None]:
    """Every test ends with no process of its own left: nothing it started (a cargo, a nextest,
    a test binary, a child of one) may outlive it. Found by the test's folder in their command
    line or working dir; what is found is killed, and the test fails."""
    yield
    left = wait_none_under(tmp_path)
    assert not left, f"processes outlived the test: {left}"


def cargo(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    for name in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR"):
        if not env or name not in env:
            full_env.pop(name, None)
    proc = subprocess.run(
        ["cargo", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def copy_tree(src: Path, dst: Path) -> Path:
    """`cp -a`: keeps hard links, symlinks and mtimes, as a real target dir has them."""
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace copied once and built (`cargo build` and `cargo test --no-run`).

    Shared by the whole session: read it, never change it. Take `demo_copy` to change things.
    """
    ws = tmp_path_factory.mktemp("demo") / "demo-workspace"
    shutil.copytree(
        DEMO,
        ws,
        # what the README's main command leaves in a checkout: never part of the fixture
        ignore=shutil.ignore_patterns(
            "target", "output", "cache", "artifacts", "docs", ".perf-tasks.lock"
        ),
    )
    cargo("build", "--workspace", "--quiet", cwd=ws)
    cargo("test", "--workspace", "--no-run", "--quiet", cwd=ws)
    return ws


@pytest.fixture
def demo_copy(demo_built: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the built demo workspace (target dir included) that a test may change."""
    yield copy_tree(demo_built, tmp_path / "ws")
