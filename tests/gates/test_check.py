"""Gate evaluation, pure: records (as their JSON) and A/B results in, a verdict per gate out."""

from __future__ import annotations

from typing import Any

import pytest

from perf_tasks.ab.stats import PER_TEST, Interval, PerTestRule
from perf_tasks.gates.ab_base import ABResult, MetricVerdict, judged_tests
from perf_tasks.gates.ab_base import TestVerdict as ABTest
from perf_tasks.gates.check import BREACH, PASS, SKIPPED, evaluate, slower_tests
from perf_tasks.gates.contract import ContractError, parse
from perf_tasks.gates.github import ANNOTATION_CAP, error_lines, step_summary
from perf_tasks.measure.read import read_record
from perf_tasks.measure.schema import Record

TEST = "demo-core::core_api slow_path_when_asked"


def stats(median: float, mad: float = 0.0, spread: float = 0.0) -> dict[str, Any]:
    return {"median": median, "min": median - spread, "max": median + spread, "mad": mad}


def record(
    *,
    wall: float = 1.0,
    cpu: float = 2.0,
    mad: float = 0.0,
    target: int = 80_000_000,
    tests: dict[str, tuple[float, float, float]] | None = None,  # id -> (min, median, max)
    ranged: bool = True,
    cpu_model: str = "CPU",
) -> Record:
    tests = {TEST: (0.004, 0.005, 0.006)} if tests is None else tests
    durations: dict[str, dict[str, float]] = {}
    ranges: dict[str, dict[str, list[float]]] = {}
    for test_id, (low, median, high) in tests.items():
        binary, name = test_id.split(" ")
        durations.setdefault(binary, {})[name] = median
        ranges.setdefault(binary, {})[name] = [low, high]
    data: dict[str, Any] = {
        "schema_version": 1,
        "started_at": "2026-11-30T01:00:00Z",
        "environment": {
            "cpu_model": cpu_model,
            "git": {"commit": "abc1234def5678", "dirty": False},
        },
        "tests": {
            "runs": 3,
            "wall_s": stats(wall, mad, 0.01),
            "cpu_s": stats(cpu, mad),
            "durations": durations,
            **({"durations_range": ranges} if ranged else {}),
        },
        "build": {"runs": 3, "wall_s": stats(0.02), "incremental": {"cpu_s": stats(0.3)}},
        "disk": {"target": {"bytes": target}},
    }
    return read_record(data, source="r.json")


def contract(*rows: str) -> Any:
    table = "\n".join(f"| {row} |" for row in rows)
    return parse(f"# c\n\n| metric | bound | note |\n|---|---|---|\n{table}\n", source="C.md")


def test_absolute_bounds_hold_the_median_and_the_bytes() -> None:
    c = contract("tests.wall_s | ≤ 1.5 s", "tests.cpu_s | ≤ 1.5 s", "disk.target.bytes | ≤ 50 MB")
    report = evaluate(c, record(), None)
    verdicts = {r.gate.metric: r for r in report.rows}
    assert verdicts["tests.wall_s"].verdict == PASS
    assert verdicts["tests.wall_s"].evidence == "median 1.00 s over 3 runs (max 1.01 s)"
    assert verdicts["tests.cpu_s"].verdict == BREACH
    assert verdicts["disk.target.bytes"].verdict == BREACH
    assert verdicts["disk.target.bytes"].shown == "80.0 MB"
    assert [r.gate.metric for r in report.breaches] == ["tests.cpu_s", "disk.target.bytes"]
    assert int(report.exit_code) == 1
    assert report.as_json()["breaches"] == ["tests.cpu_s", "disk.target.bytes"]


def test_a_relative_bound_against_a_record_needs_the_change_outside_the_noise_and_the_bound() -> (
    None
):
    c = contract("tests.wall_s | ≤ +10%")
    base = record(wall=1.0, mad=0.05)  # noise band: 3 x 0.05 = 0.15 s
    assert evaluate(c, record(wall=1.12, mad=0.05), base).rows[0].verdict == PASS  # in the noise
    assert evaluate(c, record(wall=1.2, mad=0.05), base).rows[0].verdict == BREACH
    quiet = record(wall=1.0)
    assert evaluate(c, record(wall=1.08), quiet).rows[0].verdict == PASS  # outside noise, in bound
    row = evaluate(c, record(wall=1.2), quiet).rows[0]
    assert row.verdict == BREACH
    assert row.evidence == "1.20 s vs base 1.00 s: +20.0% (noise ±150 ms)"


def test_a_relative_bound_against_an_ab_result_needs_a_confirmed_ratio() -> None:
    c = contract("tests.wall_s | ≤ +10%")

    def ab(low: float, median: float, high: float) -> ABResult:
        ratio = Interval(median=median, low=low, high=high, confidence=0.95, pairs=6)
        verdict = MetricVerdict("tests.wall_s", (1.0,) * 6, (median,) * 6, ratio, 0.1, "same")
        return ABResult(metrics=(verdict,), tests=(), label="main vs the work tree")

    noisy = evaluate(c, None, ab(0.95, 1.3, 1.8)).rows[0]  # one slow sample: not confirmed
    assert noisy.verdict == PASS
    confirmed = evaluate(c, None, ab(1.31, 1.42, 1.55))
    assert confirmed.rows[0].verdict == BREACH
    assert (
        confirmed.rows[0].evidence
        == "tests.wall_s: median pair ratio 1.42 [1.31, 1.55] over 6 pairs (95% CI)"
    )
    assert confirmed.base == "main vs the work tree"


def test_the_per_test_rule_needs_both_floors() -> None:
    before = {"a": 0.004, "b": 0.5, "c": 0.004}
    after = {"a": 1.01, "b": 0.7, "c": 0.05}
    # a: x250 and +1 s; b: +100 ms... but only x1.4; c: x12 but only +46 ms
    slower = slower_tests(before, after, relative=0.5, floor=0.1)
    assert [(s.id, str(s)) for s in slower] == [("a", "a 4.00 ms → 1.01 s")]


def test_each_against_a_record_compares_fastest_new_with_slowest_old() -> None:
    c = contract("tests.each | ≤ +50% and +100 ms")
    base = record(tests={TEST: (0.004, 0.005, 0.006), "b other": (0.1, 0.1, 0.2)})
    same = evaluate(c, record(tests={TEST: (0.005, 0.2, 0.3), "b other": (0.2, 0.2, 0.2)}), base)
    assert same.rows[0].verdict == PASS  # TEST's fastest new run is not slow enough
    slow = record(tests={TEST: (1.005, 1.006, 1.01), "b other": (0.1, 0.1, 0.1)})
    row = evaluate(c, slow, base).rows[0]
    assert row.verdict == BREACH
    assert row.evidence == f"1 of 2 tests: test slowed {TEST} 6.00 ms → 1.00 s"
    assert row.shown == "1 slower"
    assert row.as_json()["slower"] == [{"test": TEST, "before_s": 0.006, "after_s": 1.005}]


def test_each_falls_back_to_medians_and_says_so() -> None:
    c = contract("tests.each | ≤ +50% and +100 ms")
    old = record(tests={TEST: (0.001, 0.005, 0.009)}, ranged=False)
    report = evaluate(c, record(tests={TEST: (0.2, 0.3, 0.4)}), old)
    assert report.rows[0].verdict == BREACH  # 0.2 > 0.005 x 1.5 and > 0.005 + 0.1
    assert report.notes == (
        "tests.each: the base record has no per-test min and max (tests.durations_range, "
        "older records): its medians stand in",
    )


def test_each_against_an_ab_result_uses_its_per_test_figures() -> None:
    c = contract("tests.each | ≤ +50% and +100 ms")
    ab = ABResult(
        metrics=(),
        tests=(
            ABTest(TEST, 0.006, 1.005, "regression"),
            ABTest("b gone", 0.1, None, "disappeared"),
        ),
        label="main vs the work tree",
    )
    row = evaluate(c, None, ab).rows[0]
    assert row.verdict == BREACH and TEST in row.evidence


def test_a_test_still_undecided_when_the_ab_ran_out_of_time_passes_and_says_so() -> None:
    # Slower by the row's rule on the runs so far, but fewer runs than a verdict needs: the gate
    # passes it, as it passes a figure still in doubt, and says why.
    ab = ABResult(
        metrics=(),
        tests=(ABTest(TEST, 0.006, 1.005, "undecided"), ABTest("b other", 0.1, 0.1, "same")),
        label="main vs the work tree",
    )
    each = evaluate(contract("tests.each | ≤ +50% and +100 ms"), None, ab).rows[0]
    assert each.verdict == PASS and each.shown == "0 slower"
    assert "1 test undecided when the time allowed ran out" in each.evidence
    one = evaluate(contract(f"test:{TEST} | ≤ +20%"), None, ab).rows[0]
    assert one.verdict == PASS and one.evidence.endswith("undecided when the time allowed ran out")
    decided = ABResult(metrics=(), tests=(ABTest(TEST, 0.006, 1.005, "regression"),), label="x")
    assert evaluate(contract(f"test:{TEST} | ≤ +20%"), None, decided).rows[0].verdict == BREACH


def test_the_contract_s_test_rows_tighten_what_the_ab_screens_and_pairs() -> None:
    c = contract(
        "tests.each | ≤ +20% and +30 ms",
        f"test:{TEST} | ≤ +10%",
        "test:b absolute | ≤ 1 s",
        "tests.wall_s | ≤ +10%",
    )
    judged = judged_tests(c.gates)
    assert judged.rule == PerTestRule(1.2, 0.03)
    assert judged.named == frozenset({TEST})  # an absolute row is read from the work tree
    # A looser row keeps the A/B's own rule: the tightest of both.
    assert judged_tests(contract("tests.each | ≤ +80% and +1 s").gates).rule == PER_TEST


def test_one_test_absolute_and_relative() -> None:
    c = contract(f"test:{TEST} | ≤ 200 ms")
    assert evaluate(c, record(), None).rows[0].verdict == PASS
    assert evaluate(c, record(tests={TEST: (1.0, 1.0, 1.0)}), None).rows[0].verdict == BREACH
    rel = contract(f"test:{TEST} | ≤ +20%")
    row = evaluate(rel, record(tests={TEST: (0.5, 0.6, 0.7)}), record()).rows[0]
    assert (row.verdict, row.evidence) == (BREACH, "fastest 500 ms vs slowest base run 6.00 ms")


@pytest.mark.parametrize(
    ("row", "base", "message"),
    [
        (
            "test:nope missing | ≤ 1 s",
            False,
            r"^C\.md:5: test 'nope missing' is not in the measured record",
        ),
        (
            "build.cold.wall_s | ≤ 1 s",
            False,
            r"^C\.md:5: build.cold.wall_s is not in the measured record",
        ),
        (
            "disk.cache.bytes | ≤ 1 GB",
            False,
            r"^C\.md:5: disk.cache.bytes is not in the measured record",
        ),
        (
            "tests.wall_s | ≤ +10%",
            False,
            r"^C\.md:5: tests.wall_s ≤ \+10% is relative: it needs a base",
        ),
        (
            "tests.doc.cpu_s | ≤ +10%",
            True,
            r"^C\.md:5: tests.doc.cpu_s is not in the measured record",
        ),
    ],
)
def test_a_missing_figure_is_an_error_never_a_pass(row: str, base: bool, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        evaluate(contract(row), record(), record() if base else None)


def test_monitor_skips_relative_gates_without_a_base_and_says_so() -> None:
    report = evaluate(
        contract("tests.wall_s | ≤ +10%"), record(), None, skip_relative_without_base=True
    )
    assert report.rows[0].verdict == SKIPPED and not report.breaches


def test_a_base_from_another_machine_is_noted() -> None:
    report = evaluate(contract("tests.wall_s | ≤ +10%"), record(), record(cpu_model="Other"))
    assert "a record describes one machine" in report.notes[0]


def test_github_summary_and_capped_annotations() -> None:
    rows = [f"test:b t{i} | ≤ 1 ms" for i in range(ANNOTATION_CAP + 3)]
    slow = record(tests={f"b t{i}": (0.5, 0.5, 0.5) for i in range(ANNOTATION_CAP + 3)})
    report = evaluate(contract(*rows), slow, None)
    lines = error_lines(report)
    assert len(lines) == ANNOTATION_CAP + 1
    assert lines[0] == (
        "::error file=C.md,line=5,title=gate breached%3A test%3Ab t0::"
        "test:b t0 = 500 ms breaches ≤ 1 ms: median 500 ms over 3 runs (runs 500 ms to 500 ms)"
    )
    assert lines[-1].startswith("::error title=gates breached::3 more gates breached (13 in all)")
    summary = step_summary(report)
    assert summary.startswith("### Performance gates: 13 of 13 gates breached")
    assert "| `test:b t0` | 500 ms | ≤ 1 ms | ❌ breach |" in summary


def test_absolute_gates_the_ab_does_not_time_read_the_fresh_measurement() -> None:
    """`gate --against` (CI): the A/B times builds and tests, never sizes; the starter's
    `disk.target.bytes` row and an absolute test row are read from the fresh measurement."""
    ratio = Interval(median=1.0, low=0.95, high=1.05, confidence=0.95, pairs=6)
    verdict = MetricVerdict("tests.wall_s", (1.0,) * 6, (1.0,) * 6, ratio, 0.1, "same")
    ab = ABResult(metrics=(verdict,), tests=(), label="main vs the work tree")
    c = contract("tests.wall_s | ≤ +10%", "disk.target.bytes | ≤ 50 MB", f"test:{TEST} | ≤ 1 s")
    rows = {r.gate.metric: r for r in evaluate(c, record(), ab).rows}
    assert rows["tests.wall_s"].verdict == PASS
    assert (rows["disk.target.bytes"].verdict, rows["disk.target.bytes"].shown) == (
        BREACH,
        "80.0 MB",
    )
    assert rows[f"test:{TEST}"].verdict == PASS
    with pytest.raises(
        ContractError, match=r"^C\.md:5: disk.target.bytes is not in the A/B result"
    ):
        evaluate(contract("disk.target.bytes | ≤ +10%"), record(), ab)  # relative: needs the A/B
    with pytest.raises(ContractError, match=r"^C\.md:5: test '.*' is not in the A/B result's work"):
        evaluate(contract(f"test:{TEST} | ≤ +10%"), record(), ab)


def ab_outcome(values: dict[str, tuple[float, float]]) -> ABResult:
    """An A/B result as `--against` makes it, from the engine's own outcome: metric -> (A, B)."""
    from perf_tasks.ab import revision_arms as arms
    from perf_tasks.ab.engine import Design, Sample, judge
    from perf_tasks.gates.ab_base import from_outcome

    a = [Sample({m: pair[0] for m, pair in values.items()})] * 6
    b = [Sample({m: pair[1] for m, pair in values.items()})] * 6
    return from_outcome(judge(a, b, Design(dict(arms.THRESHOLDS)), a_label="HEAD"))


def test_a_cold_build_gate_is_never_judged_on_the_rebuild() -> None:
    """The rebuild of one crate is unchanged; the cold build (a slower build script) is not
    measured: the cold row is refused (exit 2), never passed on the rebuild's ratio."""
    rebuild_only = ab_outcome({"build.rebuild.cpu_s": (0.4, 0.4), "tests.wall_s": (1.0, 1.0)})
    for row in ("build.cold.cpu_s | ≤ +10%", "build.cold.wall_s | ≤ +10%"):
        with pytest.raises(ContractError, match=r"^C\.md:5: build.cold.\w+ is not in the A/B"):
            evaluate(contract(row), record(), rebuild_only)


def test_a_cold_build_gate_is_judged_on_cold_builds_and_names_them() -> None:
    slower = ab_outcome({"build.rebuild.cpu_s": (0.4, 0.4), "build.cold.cpu_s": (0.8, 1.5)})
    c = contract("build.cold.cpu_s | ≤ +10%", "build.incremental.cpu_s | ≤ +10%")
    cold, incremental = evaluate(c, record(), slower).rows
    assert cold.verdict == BREACH and cold.value == pytest.approx(1.5)
    assert cold.evidence.startswith("build.cold.cpu_s: median pair ratio 1.88 ")
    # the incremental row is judged on the rebuild, and says so on its line
    assert incremental.verdict == PASS
    assert incremental.evidence.startswith("build.rebuild.cpu_s: median pair ratio 1.00 ")
    # an absolute cold bound, with no cold build in the fresh record: the A/B's own work tree
    absolute = evaluate(contract("build.cold.cpu_s | ≤ 1 s"), record(), slower).rows[0]
    assert absolute.verdict == BREACH
    assert absolute.evidence == "build.cold.cpu_s: median 1.50 s over 6 runs of the work tree"
    # a cold figure that neither the fresh record nor the A/B has: refused, never passed
    with pytest.raises(ContractError, match=r"build\.cold\.wall_s is not in the measured record"):
        evaluate(contract("build.cold.wall_s | ≤ 1 s"), record(), slower)
