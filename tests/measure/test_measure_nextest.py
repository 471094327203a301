"""Reading what the test runners leave: nextest's JUnit and list, cargo test's summary lines."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from perf_tasks.measure import nextest_runs

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="5" failures="1" errors="0">
  <testsuite name="core" tests="3" failures="1">
    <testcase name="tests::ok" classname="core" time="0.012"/>
    <testcase name="tests::broken" classname="core" time="0.250">
      <failure type="test failure">assertion failed</failure>
      <rerunFailure type="test failure">again</rerunFailure>
    </testcase>
    <testcase name="tests::wobbly" classname="core" time="0.040">
      <flakyFailure type="test failure">once</flakyFailure>
    </testcase>
  </testsuite>
  <testsuite name="core::api" tests="2">
    <testcase name="crashes" classname="core::api" time="0.001"><error/></testcase>
    <testcase name="fine" classname="core::api" time="bad"/>
  </testsuite>
</testsuites>
"""


def test_junit_statuses_and_times() -> None:
    cases = nextest_runs.parse_junit(JUNIT)
    got = {(c.binary, c.name): (c.status, c.time_s) for c in cases}
    assert got == {
        ("core", "tests::ok"): ("passed", 0.012),
        ("core", "tests::broken"): ("failed", 0.25),
        ("core", "tests::wobbly"): ("flaky", 0.04),
        ("core::api", "crashes"): ("failed", 0.001),
        ("core::api", "fine"): ("passed", 0.0),
    }


def test_counts_split_not_run_tests_into_ignored_and_skipped() -> None:
    cases = nextest_runs.parse_junit(JUNIT)
    # The list knows 9 tests, 2 of them #[ignore]: 5 ran, so 2 more were skipped (a filter).
    counts = nextest_runs.counts_from_junit(cases, nextest_runs.Listing(total=9, ignored=2))
    assert counts == nextest_runs.Counts(passed=3, failed=2, skipped=2, ignored=2, flaky=1)
    assert nextest_runs.counts_from_junit(cases, None).ignored == 0


def test_garbage_is_not_a_report() -> None:
    with pytest.raises(ValueError):
        nextest_runs.parse_junit("<testsuites><oops")


def test_list_counts_ignored_tests() -> None:
    text = """{"rust-suites": {
      "core": {"testcases": {"a": {"ignored": false}, "b": {"ignored": true}}},
      "core::bin/x": {"testcases": {}},
      "cli": {"testcases": {"c": {"ignored": false}}}
    }}"""
    assert nextest_runs.parse_list(text) == nextest_runs.Listing(total=3, ignored=1)


def test_cargo_test_summary_lines_add_up() -> None:
    out = """
running 4 tests
test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

running 3 tests
test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 2 filtered out; finished in 0.01s
"""
    assert nextest_runs.parse_cargo_test(out) == nextest_runs.Counts(
        passed=5, failed=1, skipped=2, ignored=1
    )
    assert nextest_runs.parse_cargo_test("error: could not compile `x`") is None


def test_median_durations_skip_what_did_not_run() -> None:
    run = nextest_runs.Case
    runs = [
        (run("core", "a", 0.010, "passed"), run("core", "b", 0.0, "skipped")),
        (run("core", "a", 0.030, "passed"),),
        (run("core", "a", 0.020, "failed"), run("cli", "c", 1.0, "passed")),
    ]
    assert nextest_runs.median_durations(runs) == {"cli": {"c": 1.0}, "core": {"a": 0.02}}
    assert nextest_runs.duration_ranges(runs) == {
        "cli": {"c": [1.0, 1.0]},
        "core": {"a": [0.01, 0.03]},
    }


def test_our_tool_config_is_the_profile_the_issue_asks_for() -> None:
    data = tomlkit.parse(nextest_runs.tool_config("ci", store_dir="target/nextest")).unwrap()
    assert data == {
        "store": {"dir": "target/nextest"},
        "profile": {
            "ci": {
                "retries": 0,
                "fail-fast": False,
                "slow-timeout": {"period": "60s", "terminate-after": 10},
                "junit": {"path": "junit.xml"},
            }
        },
    }


def test_junit_path_follows_the_workspace_config(tmp_path: Path) -> None:
    target = tmp_path / "target"
    store = target / "nextest"
    assert nextest_runs.junit_path({}, profile="ci", root=tmp_path, store_dir=store) == (
        target / "nextest" / "ci" / "junit.xml"
    )
    config = {
        "store": {"dir": "build/nx"},
        "profile": {"ci": {"junit": {"path": "out/report.xml"}}},
    }
    assert nextest_runs.junit_path(config, profile="ci", root=tmp_path, store_dir=store) == (
        tmp_path / "build" / "nx" / "ci" / "out" / "report.xml"
    )


def test_workspace_profile_is_found_in_its_config(tmp_path: Path) -> None:
    assert nextest_runs.workspace_config(tmp_path) == {}
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "nextest.toml").write_text("[profile.ci]\nretries = 2\n")
    config = nextest_runs.workspace_config(tmp_path)
    assert nextest_runs.has_profile(config, "ci") and not nextest_runs.has_profile(
        config, "nightly"
    )


@pytest.mark.parametrize("time", ["NaN", "-1", "1e309", "soon"])
def test_a_time_that_is_no_duration_keeps_its_outcome_and_gives_no_duration(time: str) -> None:
    # A record's durations (tests.merge's, a baseline's) are measured figures: never a 0 s made up.
    report = (
        '<testsuites time="2.0"><testsuite name="core">'
        '<testcase name="ok" classname="core" time="0.5"/>'
        f'<testcase name="odd" classname="core" time="{time}"><failure/></testcase>'
        "</testsuite></testsuites>"
    )
    cases = nextest_runs.parse_junit(report)
    assert nextest_runs.failing([cases]) == ("core odd",)
    assert nextest_runs.median_durations([cases]) == {"core": {"ok": 0.5}}
    assert nextest_runs.duration_ranges([cases]) == {"core": {"ok": [0.5, 0.5]}}
