"""contract.init's starter: the documented formula, rounding up, and Markdown that parses back."""

from __future__ import annotations

from typing import Any

import pytest

from perf_tasks.gates.contract import parse
from perf_tasks.gates.starter import CPU, bound_for, round_up, starter
from perf_tasks.measure.read import read_record


def test_the_formula_takes_the_largest_of_its_three_terms() -> None:
    assert bound_for(2.0, 2.1, 0.01, CPU) == pytest.approx(3.0)  # median x 1.5
    assert bound_for(0.2, 0.21, 0.0, CPU) == pytest.approx(0.45)  # median + 0.25 s
    assert bound_for(2.0, 2.9, 0.1, CPU) == pytest.approx(3.4)  # max + 5 x MAD


def test_round_up_to_two_significant_digits() -> None:
    assert [round_up(x) for x in (0.4312, 0.45, 1234.0, 2.0, 0.0)] == pytest.approx(
        [0.44, 0.45, 1300.0, 2.0, 0.0]
    )


def test_the_starter_parses_back_and_names_its_source() -> None:
    def stats(median: float) -> dict[str, float]:
        return {"median": median, "min": median, "max": median * 1.02, "mad": 0.001}

    record = read_record(
        {
            "schema_version": 1,
            "started_at": "2026-11-30T01:00:00Z",
            "build": {"wall_s": stats(0.02), "incremental": {"cpu_s": stats(0.2)}},
            "tests": {"wall_s": stats(0.15), "cpu_s": stats(1.2), "doc": {"cpu_s": stats(0.5)}},
            "disk": {"target": {"bytes": 80_000_000}},
        },
        source="r.json",
    )
    text = starter(record, budget=5 * 10**9, source="the record r.json")
    assert "Written by `contract.init` from the record r.json (2026-11-30T01:00:00Z)" in text
    gates = {g.metric: g.bound.text for g in parse(text, source="C.md").gates}
    assert gates == {
        "build.incremental.cpu_s": "≤ 450 ms",
        "tests.cpu_s": "≤ 1.80 s",
        "tests.doc.cpu_s": "≤ 750 ms",
        "disk.target.bytes": "≤ 5 GB",
    }


def timed_tests(ranges: dict[str, list[float]]) -> Any:
    def stats(median: float) -> dict[str, float]:
        return {"median": median, "min": median, "max": median, "mad": 0.0}

    return read_record(
        {
            "schema_version": 1,
            "tests": {
                "wall_s": stats(1.0),
                "cpu_s": stats(0.2),
                "durations": {"core": {name: sum(r) / 2 for name, r in ranges.items()}},
                "durations_range": {"core": ranges},
            },
        },
        source="r.json",
    )


def test_each_test_gets_a_wall_bound_that_a_second_more_breaks() -> None:
    """A sleep costs no CPU: only a test's own wall time sees it, and needs no base."""
    from perf_tasks.gates.check import evaluate

    before = timed_tests({"fast": [0.003, 0.009], "slow": [0.9, 1.2], "long": [3.0, 3.4]})
    text = starter(before, budget=5 * 10**9, source="r")
    contract = parse(text, source="C.md")
    gates = {g.metric: g.bound.text for g in contract.gates}
    assert gates["test:core fast"] == "≤ 510 ms"  # slowest run + 0.5 s
    assert gates["test:core slow"] == "≤ 1.80 s"  # slowest run x 1.5
    assert gates["test:core long"] == "≤ 5.10 s"
    assert evaluate(contract, before, None).breaches == ()
    # each test, 1 s slower (every run): the two under 2 s breach; the 3 s one is +30%
    after = timed_tests({"fast": [1.003, 1.009], "slow": [1.9, 2.2], "long": [4.0, 4.4]})
    breached = [r.gate.metric for r in evaluate(contract, after, None).breaches]
    assert breached == ["test:core fast", "test:core slow"]


def test_a_suite_too_large_for_rows_keeps_its_slowest_and_says_so() -> None:
    from perf_tasks.gates.starter import MAX_TEST_ROWS

    many = {f"t{i:04d}": [0.001 * i, 0.001 * i] for i in range(MAX_TEST_ROWS + 5)}
    text = starter(timed_tests(many), budget=5 * 10**9, source="r")
    rows = [g.metric for g in parse(text, source="C.md").gates if g.test_id]
    assert len(rows) == MAX_TEST_ROWS and "test:core t0000" not in rows
    assert f"5 of {MAX_TEST_ROWS + 5} tests have no row of their own" in text
    untimed = read_record({"schema_version": 1, "tests": {"cpu_s": {"median": 1.0}}}, source="r")
    assert "No test has a row: the record has no per-test times" in starter(
        untimed, budget=5 * 10**9, source="r"
    )
