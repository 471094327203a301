"""The recommendation from the wall-time interval: a runner only outside the noise, never when the
runners disagree on a test. Samples as plain values, judged by the real engine."""

from __future__ import annotations

from perf_tasks.ab.engine import Design, Sample, judge
from perf_tasks.runners.recommend import (
    NO_CLEAR_WINNER,
    OUTCOMES_DIFFER,
    THRESHOLD,
    recommend,
)

PASSED = {"demo-core tests::a": "passed"}


def samples(walls: list[float], tests: dict[str, str] = PASSED) -> list[Sample]:
    return [Sample(values={"wall_s": w, "cpu_s": w}, test_outcomes=tests) for w in walls]


def decide(a: list[float], b: list[float], b_tests: dict[str, str] = PASSED) -> tuple:
    outcome = judge(samples(a), samples(b, b_tests), Design({"wall_s": THRESHOLD}))
    return recommend(outcome)


def test_nextest_clearly_faster_is_recommended() -> None:
    assert decide([2.0, 2.1, 1.9, 2.0, 2.2, 2.0], [1.0, 1.1, 1.0, 0.9, 1.0, 1.2]) == (
        "nextest",
        "nextest",
    )


def test_cargo_test_clearly_faster_is_recommended() -> None:
    assert decide([0.1, 0.1, 0.12, 0.1, 0.11, 0.1], [0.4, 0.3, 0.35, 0.4, 0.3, 0.33]) == (
        "cargo test",
        "cargo test",
    )


def test_an_interval_that_reaches_into_the_noise_recommends_nothing() -> None:
    # Most pairs say nextest is 20% faster, one says it is slower: the interval reaches past 1/1.1.
    a = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    b = [1.6, 1.6, 1.6, 1.6, 1.6, 2.1]
    assert decide(a, b) == (None, NO_CLEAR_WINNER)


def test_a_difference_under_the_floor_recommends_nothing() -> None:
    # nextest half the time, but 20 ms against 40 ms: under the 50 ms floor.
    assert decide([0.04] * 6, [0.02] * 6) == (None, NO_CLEAR_WINNER)


def test_runners_that_disagree_on_a_test_get_no_recommendation() -> None:
    failed = {"demo-core tests::a": "failed"}
    assert decide([2.0] * 6, [1.0] * 6, failed) == (None, OUTCOMES_DIFFER)
