"""`tests.runners` through the real CLI on copies of the built demo workspace."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import package, perf, work_tree_files

pytestmark = [pytest.mark.cargo, pytest.mark.slow]


def runners(root: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """`tests.runners` on `root` with the fewest pairs, its scratch worktrees in `tmp_path`."""
    return perf(
        "tests.runners",
        "--root",
        str(root),
        "--max-pairs",
        "6",
        *flags,
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        timeout=600,
    )


def test_dry_run_shows_the_commands_and_builds_nothing(demo_copy: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    proc = perf(
        "tests.runners",
        "--root",
        str(demo_copy),
        "--dry-run",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(scratch)},
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["dry_run"] is True
    assert data["a"]["each_run"] == "cargo test --workspace --tests --no-fail-fast"
    assert data["b"]["each_run"].startswith(
        "cargo-nextest nextest run --workspace --tests --no-tests=pass --profile "
    )
    assert "cargo test --doc --workspace --no-fail-fast" in data["before_the_pairs"]
    assert data["max_pairs"] == 12 and data["threshold"]["delta"] == 0.1
    assert not scratch.exists()  # nothing built, nothing claimed


def test_same_outcomes_under_both_runners_and_a_recommendation(
    demo_copy: Path, tmp_path: Path
) -> None:
    before = work_tree_files(demo_copy)
    proc = perf(
        "tests.runners",
        "--root",
        str(demo_copy),
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
    )
    assert proc.returncode == 0, proc.stderr
    # progress says what runs: the estimate first, and the untimed whole run after the build
    # of the tests (it showed "build the tests (untimed)" while it ran the suite)
    said = [line.split("] ", 1)[-1] for line in proc.stderr.splitlines()]
    assert said[0].startswith("estimate: "), said
    # nextest's runs say their tests as they end (cargo test's output is not nextest's)
    assert "nextest: 13 of 13 tests ended" in said, said
    assert not any(s.startswith("cargo test: ") and "ended" in s for s in said), said
    for runner in ("cargo test", "nextest"):
        built = said.index(f"{runner}: build the tests (untimed)")
        assert said[built + 1] == (
            f"{runner}: run the tests once, untimed (the first run warms the caches)"
        ), said
    data = json.loads(proc.stdout)
    assert data["ok"] is True and data["differences"] == []
    same = {"passed": 13, "failed": 0, "ignored": 1, "skipped": 0}
    assert data["runners"]["cargo test"]["totals"] == same
    assert data["runners"]["nextest"]["totals"] == same
    assert data["doctests"]["totals"] == {"passed": 5, "failed": 0, "ignored": 0, "skipped": 0}
    assert data["comparison"]["order"] == "ABBAABBAABBA"
    # The verdict follows the interval of nextest / cargo test: a runner only outside the noise.
    (wall,) = [m for m in data["comparison"]["metrics"] if m["metric"] == "wall_s"]
    low, high = wall["ratio"]["low"], wall["ratio"]["high"]
    if low > 1.1:
        assert data["recommended"] == "cargo test"
    elif high < 1 / 1.1:
        assert data["recommended"] == "nextest"
    else:
        assert data["recommended"] is None and data["verdict"] == "no clear winner"
    # On 14 tiny tests nextest's process per test costs more than it saves (measured: 3-5x).
    assert data["recommended"] == "cargo test", wall
    after = work_tree_files(demo_copy)
    after.pop(".perf-tasks.lock", None)
    assert after == before


def test_a_test_that_fails_under_one_runner_only_is_shown_not_recommended(
    demo_copy: Path, tmp_path: Path
) -> None:
    api = demo_copy / "crates" / "demo-core" / "tests" / "core_api.rs"
    api.write_text(
        api.read_text()
        + "\n#[test]\nfn assumes_cargo_test() {\n"
        + '    assert!(std::env::var_os("NEXTEST").is_none(), "run under nextest");\n}\n'
    )
    proc = perf(
        "tests.runners",
        "--root",
        str(demo_copy),
        "--max-pairs",
        "6",
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-3:] == [
        "test (binary-id test-name)              difference         cargo test  nextest",
        "demo-core::core_api assumes_cargo_test  different outcome  passed      failed",
        "no recommendation: 1 test differs between the runners",
    ]
    assert not any(line.startswith("recommended") for line in lines)


def test_a_build_that_fails_is_an_error_without_a_traceback(
    demo_copy: Path, tmp_path: Path
) -> None:
    lib = demo_copy / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text('compile_error!("broken on purpose");\n' + lib.read_text())
    proc = perf(
        "tests.runners",
        "--root",
        str(demo_copy),
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: `cargo-nextest nextest list --workspace --tests ")
    assert "broken on purpose" in proc.stderr


def test_too_few_pairs_is_bad_usage(demo_copy: Path) -> None:
    proc = perf("tests.runners", "--root", str(demo_copy), "--max-pairs", "4")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --max-pairs 4 is too few: a 95% interval needs at least 6"


def test_a_workspace_without_tests_gets_no_recommendation(tmp_path: Path) -> None:
    # Only the runners' start-up would be compared: cargo test "won" it on a crate with no test.
    root = package(tmp_path / "notests", "notests")
    proc = runners(root, tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["recommended"] is None and data["verdict"] == "no tests"
    assert data["differences"] == []
    text = runners(root, tmp_path)
    assert text.returncode == 0, text.stderr
    assert "no recommendation: neither runner has a test to run" in text.stdout


def test_a_rustc_wrapper_of_a_cargo_config_is_not_used(tmp_path: Path) -> None:
    # Dropping RUSTC_WRAPPER from the environment left a `build.rustc-wrapper` of a cargo config
    # file (sccache's usual setup) in force; an empty one turns it off.
    root = package(
        tmp_path / "wrapped", "wrapped", "#[test]\nfn one() {\n    assert_eq!(1, 1);\n}\n"
    )
    (root / ".cargo").mkdir()
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "wrap.sh"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec "$@"\n')
    wrapper.chmod(0o755)
    (root / ".cargo" / "config.toml").write_text(
        f'[build]\nrustc-wrapper = "{wrapper}"\nrustc-workspace-wrapper = "{wrapper}"\n'
    )
    proc = runners(root, tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    assert not calls.exists(), calls.read_text()[:500]


def test_an_estimate_up_front_from_the_record_and_under_dry_run(
    demo_copy: Path, tmp_path: Path
) -> None:
    from measure.test_measure_compare import record, stat

    env = {"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")}
    args = ("tests.runners", "--root", str(demo_copy), "--dry-run")
    without = perf(*args, env=env)
    assert without.returncode == 0, without.stderr
    assert "estimate: no estimate yet: the workspace has no baseline record" in without.stdout
    folder = demo_copy / "docs" / "performance"
    folder.mkdir(parents=True)
    (folder / "baseline.json").write_text(json.dumps(record(tests__wall_s=stat(4.0))))
    proc = perf(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    # 1 pair (the screen settles it) to 12, and one untimed run before them, of each runner: 2 x 2
    # to 2 x 13 test runs
    assert (
        "estimate: about 16.0 s to 1 min 44 s: the baseline record's test run took 4.00 s with "
        "nextest" in proc.stdout
    ), proc.stdout
    data = json.loads(perf(*args, "--max-pairs", "6", "--json", env=env).stdout)
    assert data["estimate"].startswith("about 16.0 s to 56.0 s: "), data
