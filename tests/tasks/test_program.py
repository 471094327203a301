"""The `perf-tasks` program itself: its flags, its exit codes on bad usage, its configuration."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["clean", "--bogus", "--json"], "No idea what '--bogus' is!"),
        (["baseline.compare", "-j", "--max-pairs", "abc"], "--max-pairs takes a whole number"),
        (
            ["baseline.compare", "--json", "--max-minutes=1m"],
            "--max-minutes takes a number, not '1m'",
        ),
    ],
)
def test_bad_usage_with_json_prints_the_json_error_document(argv: list[str], says: str) -> None:
    proc = perf(*argv)
    assert proc.returncode == 2, proc.stderr
    document = json.loads(proc.stdout)
    assert document["ok"] is False and document["error"]["kind"] == "usage"
    assert document["error"]["message"].startswith(says)
    assert proc.stderr.startswith(says) and "Traceback" not in proc.stderr


def test_help_offers_no_invoke_configuration_flag() -> None:
    out = perf("--help").stdout
    assert "--config" not in out and "-f " not in out and "--command-timeout" not in out


def test_no_invoke_configuration_is_read(tmp_path: Path) -> None:
    # Run from the workspace with no --root and no --dry-run: were a configuration read, its
    # perf.root would point the run elsewhere and its run.dry would refuse the (real) run.
    root = tiny_workspace(tmp_path / "ws")
    kept = write(root / "output" / "scg" / "run" / "log")  # one fresh run: clean.runs keeps it
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    config = f"perf:\n  root: {elsewhere}\nrun:\n  dry: true\n"
    write(home / ".invoke.yaml", config)
    write(root / "invoke.yaml", config)
    env = {
        "HOME": str(home),
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo")),
        "INVOKE_RUN_DRY": "1",
        "INVOKE_PERF_ROOT": str(elsewhere),
    }
    proc = perf("clean.runs", "--json", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["root"] == str(root) and report["dry_run"] is False
    assert kept.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["clean.target", "--dry-run", "--budget="],
        ["clean.target", "--dry-run", "--budget", " "],
        ["clean.nuke", "--dry-run", "--root="],
        ["baseline", "--dry-run", "--runs="],
        ["baseline", "--dry-run", "--timeout", ""],
        ["gate", "--contract="],
        ["monitor", "--now="],
        ["ci.init", "--dry-run", "--install="],
        ["profiles.apply", "--dry-run", "--profile="],
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_an_empty_flag_is_one_line_and_exit_2_never_its_default(
    tmp_path: Path, argv: list[str], as_json: bool
) -> None:
    # `--budget "$UNSET"` must not quietly become the settings' budget, as `--root "$UNSET"` never
    # became the current directory: one rule for every flag that takes a value.
    root = tiny_workspace(tmp_path / "ws")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    rooted = [] if "--root=" in argv else ["--root", str(root)]
    proc = perf(*argv, *rooted, *(["--json"] if as_json else []))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    flag = next(a for a in argv[1:] if a.startswith("--") and a != "--dry-run").rstrip("=")
    assert proc.stderr.splitlines() == [
        f"error: {flag} is empty (an unset variable?): give it a value, or leave it out for its "
        "default"
    ]
    if as_json:
        document = json.loads(proc.stdout)
        assert document["ok"] is False and document["error"]["kind"] == "usage"
        assert document["error"]["message"].startswith(f"{flag} is empty")
    else:
        assert proc.stdout == ""
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


@pytest.mark.parametrize("argv", [["--help"], ["-h"], []], ids=["--help", "-h", "no-args"])
def test_help_says_what_perf_tasks_is_its_common_flags_and_where_the_menu_is(
    argv: list[str],
) -> None:
    proc = perf(*argv)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first.startswith("perf-tasks: machine-level performance work for a Rust workspace.")
    assert "measure builds, tests and disks" in second
    for said in (
        "perf-tasks --list            the menu of tasks",
        "perf-tasks <task> --help     a task's own flags",
        "-r PATH, --root=PATH   the workspace (default: $PERF_TASKS_ROOT, else the current dir)",
        "-d, --dry-run          show the full plan",
        "-j, --json             only one JSON document on stdout",
    ):
        assert said in proc.stdout, said
    # invoke's core flags are still listed, and the menu after them.
    core = proc.stdout.index("Core options:")
    for flag in ("--list[=STRING]", "--help[=STRING]", "--version", "--complete"):
        assert flag in proc.stdout[core:], flag
    assert proc.stdout.index("Subcommands:") > core
    assert "Usage: perf-tasks [--core-opts] <subcommand>" not in proc.stdout  # said once, ours


@pytest.mark.parametrize("task", ["clean", "ci.init", "profiles.apply"])
def test_a_tasks_help_is_where_the_help_says_with_the_flags_it_names(task: str) -> None:
    own = perf(task, "--help")
    assert own.returncode == 0, own.stderr
    for flag in ("-r STRING, --root=STRING", "-d, --dry-run", "-j, --json"):
        assert flag in own.stdout, (task, flag)


def test_help_into_a_closed_pipe_ends_quietly() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        f"{sys.executable} -m perf_tasks --help | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.startswith("perf-tasks: ")
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr
