"""Comparing two records: what counts as a change, in which direction, and when it is advisory."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from perf_tasks.errors import ExitCode
from perf_tasks.measure import comparison as cmp
from perf_tasks.measure import environment

MIB = 2**20


def stat(median: float, mad: float = 0.0) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "mad": mad, "samples": [median]}


def record(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": "2026-01-01T00:00:00Z",
        "environment": {
            "cpu_model": "Test CPU",
            "cpu_cores": 8,
            "os": "Linux",
            "rustc": "rustc 1.95.0",
            "cargo": "cargo 1.95.0",
            "nextest": "cargo-nextest 0.9",
            "git": {"commit": "a" * 40, "dirty": False},
        },
        "build": {
            "command": "cargo build --workspace",
            "wall_s": stat(10.0, 0.1),
            "cpu_s": stat(18.0, 0.1),
            "peak_tree_rss_bytes": stat(800 * MIB, 5 * MIB),
            "peak_process_rss_bytes": stat(300 * MIB, 2 * MIB),
            "units": {"compiled": 0, "fresh": 40},
            "incremental": {
                "command": "cargo build --workspace",
                "wall_s": stat(2.0, 0.02),
                "units": {"compiled": 3, "fresh": 37},
            },
            "cold": None,
        },
        "tests": {
            "command": "cargo nextest run",
            "runner": "nextest",
            "wall_s": stat(4.0, 0.05),
            "passed": 100,
            "failed": 0,
            "skipped": 0,
            "ignored": 2,
            "doc": None,
        },
        "disk": {"target": {"bytes": 1_000 * MIB}, "cache": {"bytes": 0}},
    }
    for path, value in over.items():
        node = base
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return base


def row(c: cmp.Comparison, metric: str) -> cmp.Row:
    return next(r for r in c.rows if r.metric == metric)


def test_identical_records_are_quiet() -> None:
    c = cmp.compare(record(), record())
    assert c.regressions == () and c.exit_code == ExitCode.OK
    assert {r.verdict for r in c.rows} == {cmp.SAME}
    assert not c.advisory


def test_wall_time_must_pass_fifteen_percent_and_three_mads() -> None:
    # 10.0 s with MAD 0.1: the band is max(1.5 s, 0.3 s, 50 ms) = 1.5 s.
    within = cmp.compare(record(), record(build__wall_s=stat(11.4, 0.1)))
    assert row(within, "build.wall_s").verdict == cmp.SAME
    beyond = cmp.compare(record(), record(build__wall_s=stat(11.6, 0.1)))
    r = row(beyond, "build.wall_s")
    assert r.verdict == cmp.REGRESSION and r.counts and r.threshold == 1.5
    assert beyond.exit_code == ExitCode.INCOMPLETE
    assert [x.metric for x in beyond.regressions] == ["build.wall_s"]


def test_a_noisy_record_widens_the_band() -> None:
    # New MAD 0.6 s: band 1.8 s, so +1.7 s is noise; +1.9 s is not.
    noisy = cmp.compare(record(), record(build__wall_s=stat(11.7, 0.6)))
    assert row(noisy, "build.wall_s").verdict == cmp.SAME
    assert row(noisy, "build.wall_s").threshold == 1.7999999999999998
    worse = cmp.compare(record(), record(build__wall_s=stat(11.9, 0.6)))
    assert row(worse, "build.wall_s").verdict == cmp.REGRESSION


def test_wall_time_within_the_spread_of_the_runs_is_noise() -> None:
    slower = {"median": 12.0, "min": 9.8, "max": 12.5, "mad": 0.1, "samples": [9.8, 12, 12.5]}
    old = {"median": 10.0, "min": 9.9, "max": 10.2, "mad": 0.1, "samples": [9.9, 10, 10.2]}
    c = cmp.compare(record(build__wall_s=old), record(build__wall_s=slower))
    assert row(c, "build.wall_s").verdict == cmp.SAME  # one new run was as fast as the old ones


def test_a_busier_machine_keeps_wall_time_from_counting_but_not_cpu() -> None:
    # Other processes kept 1.5 cores busy during the new tests (6 CPU s over a 4 s run).
    busy = record(
        tests__wall_s=stat(7.0, 0.05), tests__others_cpu_s=[9.0, 10.5, 12.0], tests__cpu_s=stat(3)
    )
    c = cmp.compare(record(tests__others_cpu_s=[0.1, 0.1, 0.1], tests__cpu_s=stat(3)), busy)
    wall = row(c, "tests.wall_s")
    assert wall.verdict == cmp.REGRESSION and not wall.counts
    assert any("1.48 cores" in n and "does not count" in n for n in c.notes), c.notes
    assert c.exit_code == ExitCode.OK
    burning = copy.deepcopy(busy)
    burning["tests"]["cpu_s"] = stat(4.0)  # +33% CPU: the code does more, busy or not
    assert [r.metric for r in cmp.compare(record(tests__cpu_s=stat(3)), burning).regressions] == [
        "tests.cpu_s"
    ]


def test_the_per_test_rule_names_a_test_from_the_records() -> None:
    old = record(
        tests__durations={"core": {"fast": 0.004, "big": 2.0}},
        tests__durations_range={"core": {"fast": [0.003, 0.006], "big": [1.9, 2.1]}},
    )
    new = record(
        tests__durations={"core": {"fast": 1.01, "big": 2.3}},
        tests__durations_range={"core": {"fast": [1.005, 1.02], "big": [2.2, 2.4]}},
    )
    c = cmp.compare(old, new)
    assert [(t.id, t.old_s, t.new_s) for t in c.slower_tests] == [("core fast", 0.006, 1.005)]
    assert c.exit_code == ExitCode.INCOMPLETE
    assert c.as_json()["regressions"] == ["test:core fast"]


def test_faster_is_an_improvement_and_never_fails() -> None:
    c = cmp.compare(record(), record(tests__wall_s=stat(3.0, 0.05)))
    r = row(c, "tests.wall_s")
    assert r.verdict == cmp.IMPROVEMENT and r.delta == -1.0 and r.delta_pct == -25.0
    assert c.exit_code == ExitCode.OK


def test_disk_band_is_one_percent_or_one_mib() -> None:
    # 1000 MiB: 1% = 10 MiB.
    assert (
        row(
            cmp.compare(record(), record(disk__target__bytes=1_009 * MIB)), "disk.target.bytes"
        ).verdict
        == cmp.SAME
    )
    grown = cmp.compare(record(), record(disk__target__bytes=1_011 * MIB))
    assert (
        row(grown, "disk.target.bytes").verdict == cmp.REGRESSION
        and grown.exit_code == ExitCode.INCOMPLETE
    )
    # An empty cache may grow by up to 1 MiB without a word.
    assert (
        row(cmp.compare(record(), record(disk__cache__bytes=MIB)), "disk.cache.bytes").verdict
        == cmp.SAME
    )
    assert (
        row(cmp.compare(record(), record(disk__cache__bytes=MIB + 1)), "disk.cache.bytes").verdict
        == cmp.REGRESSION
    )


def test_test_counts_always_count_with_direction() -> None:
    c = cmp.compare(record(), record(tests__failed=1, tests__passed=99, tests__ignored=3))
    assert row(c, "tests.failed").verdict == cmp.REGRESSION
    assert row(c, "tests.passed").verdict == cmp.REGRESSION
    assert row(c, "tests.ignored").verdict == cmp.CHANGED  # neither better nor worse
    assert {r.metric for r in c.regressions} == {"tests.failed", "tests.passed"}
    more = cmp.compare(record(), record(tests__passed=101))
    assert row(more, "tests.passed").verdict == cmp.IMPROVEMENT and more.exit_code == ExitCode.OK


def test_a_test_failing_in_both_records_still_fails_the_comparison() -> None:
    failing = ["demo-core::core_api panics"]
    c = cmp.compare(
        record(tests__failed=1, tests__failing=failing),
        record(tests__failed=1, tests__failing=failing),
    )
    assert not c.regressions  # the count did not change ...
    assert c.outcomes == ("tests: 1 failed: demo-core::core_api panics",)
    assert c.exit_code == ExitCode.INCOMPLETE  # ... but a failing test is never a pass


def test_a_failing_doctest_or_an_advisory_comparison_still_fails() -> None:
    doc = {"command": "cargo test --doc", "wall_s": stat(1.0), "passed": 3, "failed": 0}
    bad_doc = {**doc, "passed": 2, "failed": 1, "failing": ["src/lib.rs - f (line 3)"]}
    other = record(tests__doc=bad_doc, environment__cpu_model="Other CPU")
    c = cmp.compare(record(tests__doc=doc), other)
    assert c.advisory  # another machine: times do not count; a failing doctest does
    assert c.outcomes == ("tests.doc: 1 failed: src/lib.rs - f (line 3)",)
    assert c.exit_code == ExitCode.INCOMPLETE


def test_a_newly_flaky_or_newly_ignored_test_fails_the_comparison() -> None:
    flaky = cmp.compare(record(), record(tests__varied=["b t"]))
    assert flaky.outcomes == ("tests: 1 flaky: b t",) and flaky.exit_code == ExitCode.INCOMPLETE
    already = cmp.compare(record(tests__varied=["b t"]), record(tests__varied=["b t"]))
    assert already.outcomes == () and already.exit_code == ExitCode.OK
    old = record(tests__durations={"b": {"t": 0.1, "u": 0.1}})
    ignored = cmp.compare(old, record(tests__ignored=3, tests__durations={"b": {"t": 0.1}}))
    assert ignored.outcomes == ("tests: 1 newly ignored: b u",)
    assert ignored.exit_code == ExitCode.INCOMPLETE


def test_cpu_counts_and_ram_explains() -> None:
    c = cmp.compare(
        record(),
        record(build__cpu_s=stat(30.0, 0.1), build__peak_tree_rss_bytes=stat(2000 * MIB, 5 * MIB)),
    )
    assert row(c, "build.cpu_s").verdict == cmp.REGRESSION and row(c, "build.cpu_s").counts
    within = cmp.compare(record(), record(build__cpu_s=stat(21.5, 0.1)))  # +19%: band 20%
    assert row(within, "build.cpu_s").verdict == cmp.SAME
    ram = row(c, "build.peak_tree_rss_bytes")
    assert ram.verdict == cmp.REGRESSION and not ram.counts
    assert [r.metric for r in c.regressions] == ["build.cpu_s"]


def test_ram_band_is_at_least_one_mib() -> None:
    small = stat(10 * MIB)
    c = cmp.compare(
        record(build__peak_process_rss_bytes=small),
        record(build__peak_process_rss_bytes=stat(10.9 * MIB)),
    )
    assert row(c, "build.peak_process_rss_bytes").threshold == MIB
    assert row(c, "build.peak_process_rss_bytes").verdict == cmp.SAME


def test_a_warm_build_that_starts_compiling_is_a_regression() -> None:
    c = cmp.compare(record(), record(build__units={"compiled": 2, "fresh": 38}))
    assert (
        row(c, "build.units.compiled").verdict == cmp.REGRESSION
        and c.exit_code == ExitCode.INCOMPLETE
    )
    # The incremental build compiling more is shown, not judged.
    inc = copy.deepcopy(record())
    inc["build"]["incremental"]["units"]["compiled"] = 5
    assert (
        row(cmp.compare(record(), inc), "build.incremental.units.compiled").verdict == cmp.CHANGED
    )


def test_other_toolchain_makes_it_advisory_but_failed_tests_still_count() -> None:
    new = record(build__wall_s=stat(20.0, 0.1))
    new["environment"]["rustc"] = "rustc 1.96.0"
    c = cmp.compare(record(), new)
    assert c.advisory == ("rustc: 'rustc 1.95.0' -> 'rustc 1.96.0'",)
    r = row(c, "build.wall_s")
    assert r.verdict == cmp.REGRESSION and not r.counts
    assert c.exit_code == ExitCode.OK
    new["tests"]["failed"] = 1
    assert cmp.compare(record(), new).exit_code == ExitCode.INCOMPLETE


def test_other_cpu_or_runner_is_advisory_too() -> None:
    cpu = record()
    cpu["environment"]["cpu_model"] = "Other CPU"
    assert cmp.compare(record(), cpu).advisory
    runner = record(tests__runner="cargo-test")
    assert any("test runner" in a for a in cmp.compare(record(), runner).advisory)
    later = record()
    later["environment"]["git"] = {"commit": "b" * 40, "dirty": True}  # expected to differ
    assert not cmp.compare(record(), later).advisory


def test_a_busy_machine_is_noted() -> None:
    busy = record()
    busy["environment"]["load_average"] = [7.5, 3.0, 1.0]
    notes = cmp.compare(record(), busy).notes
    assert notes == (
        "the new record was measured on a busy machine (load 7.50 on 8 cores): a time change "
        "may be noise",
    )
    busy["environment"]["load_average"] = [3.9, 3.0, 1.0]
    assert cmp.compare(record(), busy).notes == ()


def test_a_phase_only_one_record_has_is_shown_not_judged() -> None:
    new = record()
    new["build"]["cold"] = {"command": "cargo build", "wall_s": stat(60.0)}
    c = cmp.compare(record(), new)
    r = row(c, "build.cold.wall_s")
    assert r.verdict == cmp.ADDED and r.old is None and r.new == 60.0 and not r.counts
    assert c.exit_code == ExitCode.OK


def test_changed_command_is_noted() -> None:
    new = record()
    new["build"]["command"] = "cargo build --workspace --release"
    notes = cmp.compare(record(), new).notes
    assert len(notes) == 1 and notes[0].startswith("build: the command changed")


def test_json_names_every_row() -> None:
    data = cmp.compare(record(), record(tests__failed=2)).as_json()
    assert data["regressions"] == ["tests.failed", "tests.outcomes"]
    assert data["outcomes"] == ["tests: 2 failed: (the record does not name them)"]
    failed = next(r for r in data["rows"] if r["metric"] == "tests.failed")
    assert failed == {
        "metric": "tests.failed",
        "group": "tests",
        "key": "failed",
        "kind": "count",
        "old": 0,
        "new": 2,
        "delta": 2,
        "delta_pct": None,
        "threshold": 0,
        "verdict": "regression",
        "counts": True,
        "uncounted": None,
    }


# Display settings: they change what is printed, never what is built or run.
DISPLAY = {
    "NEXTEST_HIDE_PROGRESS_BAR": "1",  # the case
    "NEXTEST_STATUS_LEVEL": "all",
    "NEXTEST_SHOW_PROGRESS": "none",
    "NEXTEST_FINAL_STATUS_LEVEL": "flaky",
    "CARGO_TERM_COLOR": "always",
    "CARGO_TERM_QUIET": "true",
    "CARGO_TERM_PROGRESS_WHEN": "never",
    "NEXTEST_RETRIES": "3",  # overridden by the tool's own `--retries 0`
}


@pytest.mark.parametrize("name", sorted(DISPLAY))
@pytest.mark.parametrize("side", ["new", "old"])
def test_a_display_setting_never_makes_a_verdict_advisory(name: str, side: str) -> None:
    slower = record(tests__wall_s=stat(12.0, 0.05))  # 3x slower tests
    with_setting = {"environment__build_env": {name: DISPLAY[name]}}
    old, new = (
        (record(), record(**with_setting)) if side == "new" else (record(**with_setting), record())
    )
    new["tests"]["wall_s"] = slower["tests"]["wall_s"]
    c = cmp.compare(old, new)
    assert not c.advisory, c.advisory
    assert row(c, "tests.wall_s").counts and c.exit_code == ExitCode.INCOMPLETE


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RUSTFLAGS", "-C target-cpu=native"),
        ("CARGO_PROFILE_DEV_OPT_LEVEL", "1"),
        ("CARGO_BUILD_JOBS", "1"),
        ("NEXTEST_TEST_THREADS", "1"),
        ("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", "clang"),
        ("CARGO_BUILD_TARGET", "x86_64-unknown-linux-musl"),
    ],
)
def test_what_changes_the_build_or_the_run_still_makes_it_advisory(name: str, value: str) -> None:
    new = record(tests__wall_s=stat(12.0, 0.05), environment__build_env={name: value})
    c = cmp.compare(record(), new)
    assert any(name in a for a in c.advisory), c.advisory
    assert c.exit_code == ExitCode.OK


def test_the_recorded_build_environment_is_the_allowlist(tmp_path: Path) -> None:
    env = {**DISPLAY, "RUSTFLAGS": "-Dwarnings", "NEXTEST_TEST_THREADS": "2", "HOME": "/h"}
    env |= {"CARGO_REGISTRY_TOKEN": "s3cret", "CARGO_PROFILE_RELEASE_LTO": "fat"}
    assert environment.build_env(env, root=tmp_path) == {
        "CARGO_PROFILE_RELEASE_LTO": "fat",
        "NEXTEST_TEST_THREADS": "2",
        "RUSTFLAGS": "-Dwarnings",
    }
