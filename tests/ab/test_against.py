"""`baseline.compare --against REF` on a real crate: quiet on unchanged code, names a slower test,
and leaves the work tree exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import git, package, perf, work_tree_files

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

LIB = """//! A small crate for the A/B tests.

/// Adds.
///
/// ```
/// assert_eq!(abtiny::add(2, 2), 4);
/// ```
pub fn add(a: u64, b: u64) -> u64 {
    a + b
}
"""
TESTS = """#[test]
fn adds() {
    assert_eq!(abtiny::add(1, 2), 3);
}

#[test]
fn adds_zero() {
    assert_eq!(abtiny::add(0, 0), 0);
}
"""


@pytest.fixture(scope="module")
def crate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = package(tmp_path_factory.mktemp("ab") / "abtiny", "abtiny", LIB, tests={"api": TESTS})
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    return root


def against(root: Path, scratch: Path) -> tuple[int, dict]:
    proc = perf(
        "baseline.compare",
        "--root",
        str(root),
        "--against",
        "HEAD",
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(scratch)},
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_unchanged_code_is_no_regression_and_the_work_tree_is_untouched(
    crate: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scratch = tmp_path_factory.mktemp("scratch")
    before = work_tree_files(crate)
    code, result = against(crate, scratch)
    assert code == 0, result["regressions"]
    # The first pair screens everything; only what it leaves in doubt is paired again.
    assert result["order"].startswith("AB") and 1 <= result["pairs"] <= 12
    assert result["each_pair"][0] == {"phases": None, "tests": None, "tests_run": 2}
    for m in result["metrics"]:
        # cleared by the screen, settled once no verdict was in reach, or paired to the floor
        assert m["screened"] or m["settled"] or m["pairs"] >= 6 or m["verdict"] == "shown", m
    metrics = {m["metric"] for m in result["metrics"]}
    assert {"build.rebuild.cpu_s", "tests.wall_s", "tests.doc.cpu_s"} <= metrics
    assert result["per_test"] is True and result["tests"] == []
    after = work_tree_files(crate)
    after.pop(".perf-tasks.lock", None)
    if "Cargo.lock" not in before:
        after.pop("Cargo.lock")  # cargo writes one where there is none, as any build does
    assert after == before  # not a byte, not an mtime: the A/B rebuilds with cargo clean -p
    assert not (crate / "target").exists()  # both arms build in their own target dirs


def test_a_test_made_slower_is_named_with_its_times(
    crate: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scratch = tmp_path_factory.mktemp("scratch")
    api = crate / "tests" / "api.rs"
    api.write_text(
        TESTS.replace(
            "fn adds_zero() {\n",
            "fn adds_zero() {\n    std::thread::sleep(std::time::Duration::from_millis(1000));\n",
        )
    )
    try:
        code, result = against(crate, scratch)
    finally:
        git("checkout", "--", ".", cwd=crate)
    assert code == 1
    assert "test:abtiny::api adds_zero" in result["regressions"], result["regressions"]
    (slow,) = [t for t in result["tests"] if t["id"] == "abtiny::api adds_zero"]
    assert slow["change"] == "regression"
    assert slow["after_min_s"] >= 1.0 and slow["before_max_s"] < 0.5
    # After the screen, each pair ran the tests alone: no build, no doctests. The whole suite,
    # since a 1 s test doubles this suite's own time (`tests.wall_s` is in doubt too).
    later = result["each_pair"][1:]
    assert len(later) >= 5
    for each in later:
        assert each["phases"] == ["tests"], each


def test_the_gate_against_a_revision_fails_on_a_slower_test_and_names_it(
    crate: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scratch = tmp_path_factory.mktemp("scratch")
    contract = tmp_path_factory.mktemp("contract") / "CONTRACT.md"
    contract.write_text(
        "# Gates\n\n"
        "| metric | bound | note |\n"
        "|---|---|---|\n"
        "| tests.each | ≤ +50% and +100 ms | no test got slower |\n"
        "| build.incremental.cpu_s | ≤ +50% | judged on build.rebuild |\n"
    )
    api = crate / "tests" / "api.rs"
    api.write_text(
        TESTS.replace(
            "fn adds() {\n",
            "fn adds() {\n    std::thread::sleep(std::time::Duration::from_millis(700));\n",
        )
    )
    try:
        proc = perf(
            "gate",
            "--root",
            str(crate),
            "--contract",
            str(contract),
            "--against",
            "HEAD",
            "--runs",
            "1",
            "--json",
            env={"PERF_TASKS_SCRATCH": str(scratch)},
            timeout=600,
        )
    finally:
        git("checkout", "--", ".", cwd=crate)
    assert proc.returncode == 1, proc.stderr
    assert "abtiny::api adds" in proc.stdout
    rows = {g["metric"]: g for g in json.loads(proc.stdout)["gates"]}
    assert rows["tests.each"]["verdict"] == "breach"
    assert rows["build.incremental.cpu_s"]["verdict"] == "pass"


def test_a_version_bump_in_the_work_tree_is_compared_not_refused(
    crate: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Each arm cleans its own `name@version`: A's is 0.1.0, B's 0.2.0 (cargo clean -p abtiny@0.2.0
    # in A's tree says "did not match any packages").
    scratch = tmp_path_factory.mktemp("scratch")
    manifest = crate / "Cargo.toml"
    manifest.write_text(manifest.read_text().replace('"0.1.0"', '"0.2.0"'))
    try:
        code, result = against(crate, scratch)
    finally:
        git("checkout", "--", ".", cwd=crate)
    assert code == 0, result["regressions"]
    assert result["pairs"] >= 1 and result["metrics"]


WIDE_TESTS = """#[test]
fn steady() {
    std::thread::sleep(std::time::Duration::from_millis(3000));
}

#[test]
fn adds() {
    assert_eq!(abwide::add(1, 2), 3);
}

#[test]
fn adds_zero() {
    assert_eq!(abwide::add(0, 0), 0);
}
"""


def test_a_slower_test_that_leaves_the_suite_time_alone_re_runs_alone(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The suite's time is its 3 s test's: a 1 s sleep elsewhere moves no figure, so the screen
    clears every figure and the pairs run the suspect test alone, by a filterset."""
    lib = "pub fn add(a: u64, b: u64) -> u64 {\n    a + b\n}\n"
    root = package(
        tmp_path_factory.mktemp("ab") / "abwide", "abwide", lib, tests={"api": WIDE_TESTS}
    )
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    api = root / "tests" / "api.rs"
    api.write_text(
        WIDE_TESTS.replace(
            "fn adds_zero() {\n",
            "fn adds_zero() {\n    std::thread::sleep(std::time::Duration::from_millis(1000));\n",
        )
    )
    code, result = against(root, tmp_path_factory.mktemp("scratch"))
    assert code == 1
    assert "test:abwide::api adds_zero" in result["regressions"], result["regressions"]
    first, *later = result["each_pair"]
    assert first == {"phases": None, "tests": None, "tests_run": 3}
    assert len(later) == 5  # 6 runs in all find it slower: decided at the floor
    for each in later:
        assert each["tests"] == ["abwide::api adds_zero"] and each["tests_run"] == 1, each
        assert "tests" in each["phases"]
