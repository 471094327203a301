"""Confirmation: a record comparison's time regressions count only when the A/B confirms them."""

from __future__ import annotations

from typing import Any

from perf_tasks.ab import confirm, stats
from perf_tasks.ab.engine import Design, Sample, judge
from perf_tasks.measure import compare as cmp

MIB = 2**20


def stat(median: float) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "mad": 0.0, "samples": [median]}


def record(tests_wall: float, build_cpu: float, fast_test: float, disk: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "environment": {"cpu_model": "X", "cpu_cores": 2, "git": {"commit": "a" * 40}},
        "build": {"command": "cargo build", "wall_s": stat(5.0), "cpu_s": stat(build_cpu)},
        "tests": {
            "command": "cargo nextest run",
            "runner": "nextest",
            "wall_s": stat(tests_wall),
            "cpu_s": stat(1.0),
            "passed": 2,
            "failed": 0,
            "durations": {"core": {"fast": fast_test}},
            "durations_range": {"core": {"fast": [fast_test, fast_test]}},
        },
        "disk": {"target": {"bytes": disk}},
    }


def outcome(build_ratio: float, test_after: float) -> Any:
    design = Design(dict(confirm.arms.THRESHOLDS))
    a = [
        Sample(
            {"build.rebuild.cpu_s": 10.0, "tests.wall_s": 2.0}, {"core fast": 0.004}, per_test=True
        )
    ]
    b = [
        Sample(
            {"build.rebuild.cpu_s": 10.0 * build_ratio, "tests.wall_s": 2.0},
            {"core fast": test_after},
            per_test=True,
        )
    ]
    return judge(a * 6, b * 6, design, a_label="aaaa", b_label="work tree")


def test_unconfirmed_time_regressions_and_tests_stop_counting_but_sizes_stay() -> None:
    old = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    new = record(tests_wall=3.0, build_cpu=13.0, fast_test=1.2, disk=200 * MIB)
    suspected = cmp.compare(old, new)
    assert {r.metric for r in suspected.regressions} == {
        "tests.wall_s",
        "build.cpu_s",
        "disk.target.bytes",
    }
    assert confirm.suspected_phases(suspected) == {"tests", "build.rebuild"}
    settled = confirm.settle(suspected, outcome(build_ratio=1.0, test_after=0.004))
    assert [r.metric for r in settled.regressions] == ["disk.target.bytes"]  # exact: no A/B
    assert settled.slower_tests == ()
    assert any("not confirmed" in n and "test:core fast" in n for n in settled.notes)


def test_a_confirmed_build_regression_and_test_still_count() -> None:
    old = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    new = record(tests_wall=2.0, build_cpu=13.0, fast_test=1.2, disk=100 * MIB)
    settled = confirm.settle(cmp.compare(old, new), outcome(build_ratio=1.3, test_after=1.2))
    assert [r.metric for r in settled.regressions] == ["build.cpu_s"]
    assert [t.id for t in settled.slower_tests] == ["core fast"]
    assert settled.exit_code == 1
    assert any(n.startswith("confirmed by the same-time A/B") for n in settled.notes)


def test_nothing_to_confirm_without_a_clean_revision(tmp_path: Any) -> None:
    old = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    old["environment"]["git"]["dirty"] = True
    new = record(tests_wall=2.0, build_cpu=13.0, fast_test=0.004, disk=100 * MIB)
    suspected = cmp.compare(old, new)
    from perf_tasks.measure.read import read_record

    done = confirm.confirm(tmp_path, suspected, read_record(old, source="old"), env={}, max_pairs=6)
    assert done.outcome is None
    assert [r.metric for r in done.comparison.regressions] == ["build.cpu_s"]  # it stands
    assert any("uncommitted changes" in n for n in done.comparison.notes)
    assert stats.MIN_PAIRS == 6
