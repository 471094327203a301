"""The `perf-tasks` program itself: its flags, its exit codes on bad usage, its configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import perf, tiny_workspace, write


@pytest.mark.parametrize(
    "argv",
    [
        ["clean", "--bogus"],
        ["no-such-task"],
        ["--bogus"],
        ["clean.nuke", "--dry"],
        ["-f", "x.yaml"],
    ],
)
def test_bad_usage_exits_2_with_one_message(argv: list[str]) -> None:
    proc = perf(*argv)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("No idea what")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_help_offers_no_invoke_configuration_flag() -> None:
    out = perf("--help").stdout
    assert "--config" not in out and "-f " not in out and "--command-timeout" not in out


def test_no_invoke_configuration_is_read(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "output" / "scg" / "run" / "log")
    home = tmp_path / "home"
    # A user config and variables that would point the run elsewhere and turn on invoke's --dry.
    write(home / ".invoke.yaml", f"perf:\n  root: {tmp_path / 'elsewhere'}\nrun:\n  dry: true\n")
    env = {
        "HOME": str(home),
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo")),
        "INVOKE_RUN_DRY": "1",
        "INVOKE_PERF_ROOT": str(tmp_path / "elsewhere"),
    }
    proc = perf("clean.runs", "--dry-run", "--json", "--root", str(root), env=env)
    assert proc.returncode == 0, proc.stderr
    assert f'"root": "{root}"' in proc.stdout
