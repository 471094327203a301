"""The test job's script, run by bash in a real workspace in git: a pull request runs nextest over
the packages its change can affect (`tests.affected`), a push runs every test, and a base that
cannot be told runs every test too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import git, write
from rust_workspaces import generated

from perf_tasks.ci.workflows import CI_FILE, Options, render


def script() -> str:
    job = yaml.safe_load(render(Options(install="x"))[CI_FILE])["jobs"]["test"]
    step = next(s for s in job["steps"] if s.get("name") == "cargo nextest run")
    assert step["env"]["PR_BASE"] == "${{ github.event.pull_request.base.sha }}"
    return step["run"]  # type: ignore[no-any-return]


@pytest.fixture
def pr(tmp_path: Path) -> tuple[Path, str]:
    """The generated workspace on a branch that changed `leaf`; and main's commit."""
    ws = generated(tmp_path / "ws")
    base = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ws, capture_output=True, text=True, check=True
    ).stdout.strip()
    git("switch", "-q", "-c", "feature", cwd=ws)
    write(ws / "crates" / "leaf" / "src" / "lib.rs", "pub fn leaf() {}\n// changed\n")
    git("commit", "-q", "-am", "leaf", cwd=ws)
    return ws, base


def run_step(ws: Path, *, event: str, base: str) -> list[str]:
    """The step as GitHub runs it (bash -e), with a `cargo` that records what nextest is asked
    and a real one for perf-tasks (`$CARGO`)."""
    real_cargo = shutil.which("cargo")
    assert real_cargo is not None
    stub = ws.parent / "bin"
    write(stub / "cargo", f'#!/bin/sh\nprintf "%s\\n" "$@" > "{ws.parent}/nextest-args"\n')
    (stub / "cargo").chmod(0o755)
    env = {
        **os.environ,
        "EVENT": event,
        "PR_BASE": base,
        "CARGO": real_cargo,
        "PATH": f"{stub}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(["bash", "-e", "-c", script()], cwd=ws, env=env, check=True, timeout=300)
    return (ws.parent / "nextest-args").read_text().splitlines()


def test_a_pull_request_runs_the_affected_packages(pr: tuple[Path, str]) -> None:
    ws, base = pr
    args = run_step(ws, event="pull_request", base=base)
    assert args == [
        "nextest", "run", "--workspace", "--profile", "ci", "--no-tests=pass", "-E", "rdeps(=leaf)"
    ]  # fmt: skip


def test_a_push_runs_every_test(pr: tuple[Path, str]) -> None:
    ws, _ = pr
    assert run_step(ws, event="push", base="")[-2:] == ["-E", "all()"]


@pytest.mark.parametrize("base", ["", "0" * 40])
def test_a_base_that_cannot_be_told_runs_every_test(pr: tuple[Path, str], base: str) -> None:
    ws, _ = pr
    assert run_step(ws, event="pull_request", base=base)[-2:] == ["-E", "all()"]
