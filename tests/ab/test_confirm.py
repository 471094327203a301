"""Confirmation: a record comparison's time regressions count only when the A/B confirms them."""

from __future__ import annotations

from typing import Any

from perf_tasks.ab import confirm, stats
from perf_tasks.ab.engine import Design, Sample, judge
from perf_tasks.context import RunContext
from perf_tasks.measure import comparison as cmp

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

    done = confirm.confirm(
        RunContext(tmp_path, {}), suspected, read_record(old, source="old"), max_pairs=6
    )
    assert done.outcome is None
    assert [r.metric for r in done.comparison.regressions] == ["build.cpu_s"]  # it stands
    assert any("uncommitted changes" in n for n in done.comparison.notes)
    assert stats.MIN_PAIRS == 6


def cold_records(old_cpu: float, new_cpu: float) -> tuple[dict[str, Any], dict[str, Any]]:
    old = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    new = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    old["build"]["cold"] = {"wall_s": stat(1.0), "cpu_s": stat(old_cpu)}
    new["build"]["cold"] = {"wall_s": stat(1.0), "cpu_s": stat(new_cpu)}
    return old, new


def cold_outcome(rebuild_ratio: float, cold_ratio: float | None) -> Any:
    values_a = {"build.rebuild.cpu_s": 10.0, "tests.wall_s": 2.0}
    values_b = {"build.rebuild.cpu_s": 10.0 * rebuild_ratio, "tests.wall_s": 2.0}
    if cold_ratio is not None:
        values_a["build.cold.cpu_s"] = 0.8
        values_b["build.cold.cpu_s"] = 0.8 * cold_ratio
    design = Design(dict(confirm.arms.THRESHOLDS))
    return judge([Sample(values_a)] * 6, [Sample(values_b)] * 6, design, a_label="aaaa")


def test_a_cold_build_suspicion_is_confirmed_only_by_cold_builds() -> None:
    suspected = cmp.compare(*cold_records(0.808, 1.545))
    assert [r.metric for r in suspected.regressions] == ["build.cold.cpu_s"]
    assert confirm.suspected_phases(suspected) == {"build.cold"}
    # a rebuild that did not move clears nothing: the A/B did not measure the cold build
    stands = confirm.settle(suspected, cold_outcome(rebuild_ratio=1.0, cold_ratio=None))
    assert [r.metric for r in stands.regressions] == ["build.cold.cpu_s"]
    assert any("did not measure build.cold.cpu_s" in n for n in stands.notes)
    # cold builds in both arms, 1.9x slower: confirmed
    confirmed = confirm.settle(suspected, cold_outcome(rebuild_ratio=1.0, cold_ratio=1.9))
    assert [r.metric for r in confirmed.regressions] == ["build.cold.cpu_s"]
    assert confirmed.exit_code == 1
    # cold builds in both arms, the same: cleared, and the note names what it measured
    cleared = confirm.settle(suspected, cold_outcome(rebuild_ratio=1.3, cold_ratio=1.0))
    assert cleared.regressions == () and cleared.exit_code == 0
    assert any("build.cold.cpu_s (measured as build.cold)" in n for n in cleared.notes)


def test_a_slower_test_alone_is_confirmed_by_re_running_it_not_the_suite() -> None:
    """The 35-minute confirmation of one noisy test: every pair re-ran every phase. Now only the
    suspect runs again, and no figure of the suite decides."""
    old = record(tests_wall=2.0, build_cpu=10.0, fast_test=0.004, disk=100 * MIB)
    new = record(tests_wall=2.0, build_cpu=10.0, fast_test=1.2, disk=100 * MIB)
    doubt = confirm.in_doubt(cmp.compare(old, new))
    assert doubt.metrics == frozenset() and doubt.tests == frozenset({"core fast"})
    scope = doubt.scope()
    assert scope.phases == frozenset({"tests"}) and scope.tests == frozenset({"core fast"})
    from perf_tasks.ab.against import Request, design_of

    assert design_of(Request(ref="HEAD", start=doubt)).thresholds == {}
    # A suspected suite time pairs the whole suite, with the suspect build phase.
    both = cmp.compare(old, record(tests_wall=3.0, build_cpu=13.0, fast_test=1.2, disk=100 * MIB))
    scope = confirm.in_doubt(both).scope()
    assert scope.phases == frozenset({"tests", "build.rebuild"}) and scope.tests is None
