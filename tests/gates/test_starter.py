"""contract.init's starter: the documented formula, rounding up, and Markdown that parses back."""

from __future__ import annotations

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
        "tests.cpu_s": "≤ 1.8 s",
        "tests.doc.cpu_s": "≤ 750 ms",
        "disk.target.bytes": "≤ 5 GB",
    }
