"""How `tests.shard` and `tests.merge` look: the three partitions beside the ideal, with exact
text; the first plan without durations says so; the JSON is the result's own."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from perf_tasks.shards.job import MergedRun, Partition, Planned
from perf_tasks.shards.plan import balance
from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render

SECONDS = {("a", "t1"): 3.0, ("a", "t2"): 2.0, ("b::it", "t3"): 1.0}


def outputs(result: Any, *, json_mode: bool = False) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    render(Output(json=json_mode, stdout=stdout, stderr=stderr, width=100), result)
    return stdout.getvalue(), stderr.getvalue()


def planned(sources: tuple[str, ...] = ("junit.xml",)) -> Planned:
    made = balance(SECONDS, SECONDS if sources else {}, 2, sources=sources)
    return Planned(
        plan=made,
        path=Path("/ws/docs/performance/shard-plan.json"),
        partitions=(
            Partition("plan", made.predicted_s()),
            Partition("hash", (6.0, 0.0)),
            Partition("slice", (4.0, 2.0)),
        ),
        tests=3,
        unmeasured=0 if sources else 3,
        root=Path("/ws"),
    )


def test_the_plan_beside_the_ideal_and_nextests_partitions() -> None:
    text, _ = outputs(planned())
    assert text.splitlines() == [
        "partition       shard 1  shard 2  slowest  / ideal",
        "this plan       3.00 s   3.00 s   3.00 s   1.00",
        "nextest hash:   6.00 s   0 s      6.00 s   2.00",
        "nextest slice:  4.00 s   2.00 s   4.00 s   1.33",
        "ideal: 3.00 s (the larger of total / 2 and the longest test)",
        "3 tests from the durations of junit.xml",
        "wrote docs/performance/shard-plan.json",
    ]


def test_a_first_plan_says_every_test_went_by_its_hash() -> None:
    text, _ = outputs(planned(sources=()))
    assert "no durations yet (no baseline record, no --durations): each placed by its hash" in text


def test_the_json_is_the_results_own() -> None:
    stdout, _ = outputs(planned(), json_mode=True)
    data = json.loads(stdout)
    assert data["partitions"]["hash"] == {"predicted_s": [6.0, 0.0], "slowest_s": 6.0}
    assert data["ideal_s"] == 3.0 and data["unmeasured"] == 0


def test_the_merge_names_what_went_wrong() -> None:
    done = MergedRun(
        path=Path("shards/record.json"), shards=2, tests=5, ignored=1,
        failing=("a t1",), missing=("c gone",), duplicated=(), doc_failing=(), doctests=4,
    )  # fmt: skip
    text, _ = outputs(done)
    assert text.splitlines() == [
        "2 shards: 5 tests run, 1 ignored; 4 doctests",
        "  failed: a t1",
        "  run by no shard: c gone",
        "wrote shards/record.json",
    ]
    assert done.exit_code == 1
