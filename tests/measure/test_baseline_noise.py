"""What a baseline tells about its own noise: which way an outlier points, what else ran on the
machine during each run, and which test was flaky. Real nextest on the demo, with a test file
added to a copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from measure.test_baseline_cargo import (
    VENV_BIN,
    needs_nextest,
    perf_with_nextest,
    python_without_nextest,
)

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

EXTRA_RS = """
use std::{env, fs, path::Path, thread, time::Duration};

/// DEMO_FLAKY names a file: absent, the test creates it and passes; present, removes it and fails.
#[test]
fn alternates() {
    if let Some(flag) = env::var_os("DEMO_FLAKY") {
        let flag = Path::new(&flag);
        if flag.exists() {
            fs::remove_file(flag).unwrap();
            panic!("every other run fails");
        }
        fs::write(flag, b"").unwrap();
    }
}

/// DEMO_FAST_AFTER names a file counting the runs: the first two sleep 2 s, the others do not.
#[test]
fn slow_then_fast() {
    if let Some(path) = env::var_os("DEMO_FAST_AFTER") {
        let n: u32 = fs::read_to_string(&path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        fs::write(&path, (n + 1).to_string()).unwrap();
        if n < 2 {
            thread::sleep(Duration::from_secs(2));
        }
    }
}
"""
FLAKY = "demo-core::extra alternates"
JSON_RUNS_3 = ("--runs", "3", "--json")  # with --json, progress goes to stderr as it comes


@pytest.fixture
def extra(demo_copy: Path) -> Path:
    (demo_copy / "crates" / "demo-core" / "tests" / "extra.rs").write_text(EXTRA_RS)
    return demo_copy


def test_a_fast_outlier_is_not_blamed_on_the_machine_and_a_flaky_test_is_named(
    extra: Path, tmp_path: Path
) -> None:
    needs_nextest()
    env = {"DEMO_FLAKY": str(tmp_path / "flag"), "DEMO_FAST_AFTER": str(tmp_path / "count")}
    proc = perf_with_nextest("baseline", "--root", str(extra), "--runs", "3", "--json", env=env)
    assert proc.returncode == 1, proc.stderr  # run 2 failed a test
    record = json.loads(proc.stdout)
    tests = record["tests"]
    assert tests["varied"] == [FLAKY] and tests["counts_varied"] is True
    assert any(FLAKY in w and "flaky" in w for w in record["warnings"]), record["warnings"]
    fast = [w for w in record["warnings"] if w.startswith("tests: run 3 took")]
    assert len(fast) == 1 and "far below the median" in fast[0], record["warnings"]
    assert "busy" not in fast[0].replace("not a sign of a busy machine", "")


def test_without_nextest_a_flaky_test_is_named_from_cargo_tests_output(
    extra: Path, tmp_path: Path
) -> None:
    path = [d for d in os.environ["PATH"].split(os.pathsep) if d and d != VENV_BIN]
    path = [d for d in path if not Path(d, "cargo-nextest").exists()]
    proc = perf_with_nextest(
        "baseline", "--root", str(extra), "--runs", "2", "--json",
        env={"PATH": os.pathsep.join(path), "DEMO_FLAKY": str(tmp_path / "flag")},
        python=python_without_nextest(tmp_path / "py"),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # run 2 failed a test
    record = json.loads(proc.stdout)
    tests = record["tests"]
    assert tests["runner"] == "cargo-test" and tests["counts_varied"] is True
    assert tests["varied"] == ["alternates"], tests["varied"]
    assert any("flaky tests: alternates)" in w for w in record["warnings"]), record["warnings"]


def test_other_processes_using_the_cpu_during_a_run_are_measured_and_warned_of(
    demo_copy: Path, tmp_path: Path
) -> None:
    needs_nextest()
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], cwd=tmp_path) for _ in range(2)
    ]
    try:
        proc = perf_with_nextest(
            "baseline", "--root", str(demo_copy), "--runs", "1", "--json",
            env={"DEMO_SLOW_MS": "2000"},
        )  # fmt: skip
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    others = record["tests"]["others_cpu_s"]
    assert len(others) == 1 and others[0] > 1.0, others  # two hogs over a 2-second run
    assert len(record["tests"]["load_1m"]) == 1
    assert any(
        w.startswith("tests: other processes used") and "during run 1" in w
        for w in record["warnings"]
    ), record["warnings"]


def test_a_source_edited_during_the_run_marks_the_record_and_is_named(demo_copy: Path) -> None:
    needs_nextest()
    edited = demo_copy / "crates" / "demo-cli" / "src" / "main.rs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", "baseline", "--root", str(demo_copy), *JSON_RUNS_3],
        env={**os.environ, "PATH": os.pathsep.join([VENV_BIN, os.environ["PATH"]])},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress lines, as they come
        if "] build: run 2 of 3" in line:
            with edited.open("a") as f:
                f.write("// edited while the baseline ran\n")
            break
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    record = json.loads((demo_copy / "docs" / "performance" / "baseline.json").read_text())
    files = [f for change in record["sources_changed"] for f in change["files"]]
    assert files == ["crates/demo-cli/src/main.rs"], record["sources_changed"]
    assert any(
        "the sources changed while it ran: crates/demo-cli/src/main.rs" in w
        for w in record["warnings"]
    ), record["warnings"]
    # The edit made cargo rebuild: no build script is blamed for it, and a slow run is put down
    # to the edit, not to the machine (other processes' CPU is still reported, as measured).
    build = [w for w in record["warnings"] if w.startswith("build:")]
    assert not any("rerun-if-changed" in w for w in build), build
    slow = [w for w in build if w.startswith("build: run ") and "far above" in w]
    assert all(w.endswith("the sources changed while this phase ran") for w in slow), slow
