"""The A/B statistics on synthetic samples: drift, outliers, a bimodal machine, real changes."""

from __future__ import annotations

import math
import random

import pytest

from perf_tasks.ab import stats
from perf_tasks.ab.stats import Threshold

DELTA = Threshold(delta=0.05)


def test_six_pairs_is_the_fewest_for_95_percent() -> None:
    assert stats.rank(5) == (0, 0.0)
    k, covered = stats.rank(6)
    assert k == 1 and covered == pytest.approx(1 - 2 / 64)
    assert stats.rank(9)[0] == 2  # P(B <= 1) = 10/512 < 2.5%
    assert stats.rank(12)[0] == 3
    for n in range(6, 40):
        k, covered = stats.rank(n)
        assert covered >= 0.95
        # the next rank in would cover less than asked: the interval is the tightest one
        inner = 1 - 2 * sum(math.comb(n, j) for j in range(k + 1)) / 2**n
        assert inner < 0.95


def test_too_few_pairs_give_an_unbounded_interval_and_never_a_verdict() -> None:
    verdict, interval = stats.verdict([1.0] * 5, [2.0] * 5, DELTA, final=True)
    assert interval.low == 0.0 and interval.high == math.inf
    assert verdict == stats.SAME


def _machine(rng: random.Random, n: int, speed: list[float], factor: float) -> tuple[list, list]:
    """Pairs of runs of a 10 s job: A, then B `factor` times as long, at each pair's speed."""
    a = [10.0 * speed[i] * rng.uniform(0.97, 1.03) for i in range(n)]
    b = [10.0 * factor * speed[i] * rng.uniform(0.97, 1.03) for i in range(n)]
    return a, b


def test_drift_cancels_pair_by_pair() -> None:
    # The machine slows down to half speed over the pairs; both arms drift together.
    rng = random.Random(1)
    drift = [1.0 + i / 5 for i in range(6)]
    a, b = _machine(rng, 6, drift, 1.0)
    verdict, interval = stats.verdict(a, b, DELTA, final=True)
    assert verdict == stats.SAME
    assert 0.95 < interval.median < 1.05
    # The same drift with a real 20% slowdown is caught.
    a, b = _machine(rng, 6, drift, 1.2)
    verdict, interval = stats.verdict(a, b, DELTA, final=True)
    assert verdict == stats.REGRESSION and interval.low > 1.05


def test_one_outlier_pair_does_not_make_a_regression() -> None:
    a = [10.0, 10.1, 9.9, 10.0, 10.2, 9.8]
    b = [10.1, 9.9, 10.0, 30.0, 10.1, 9.9]  # a hiccup on one B run
    verdict, interval = stats.verdict(a, b, DELTA, final=True)
    assert verdict == stats.SAME
    assert interval.high == pytest.approx(3.0)


def test_a_bimodal_machine_does_not_cry_wolf() -> None:
    # A neighbour's job comes and goes: each run is fast or 60% slower, whatever the arm.
    speeds = [1.0, 1.6]
    flagged = 0
    for seed in range(2000):
        rng = random.Random(seed)
        # When the slow spell lasts a pair (the usual case: a pair takes seconds), it cancels.
        spell = [rng.choice(speeds) for _ in range(12)]
        a = [10.0 * s * rng.uniform(0.98, 1.02) for s in spell]
        b = [10.0 * s * rng.uniform(0.98, 1.02) for s in spell]
        assert stats.verdict(a, b, DELTA, final=True)[0] == stats.SAME
        # When it changes from run to run, a false alarm needs all 6 pairs to draw A fast and B
        # slow: (1/4)^6, about 1 in 4,000.
        a = [10.0 * rng.choice(speeds) for _ in range(6)]
        b = [10.0 * rng.choice(speeds) for _ in range(6)]
        flagged += stats.verdict(a, b, DELTA, final=True)[0] == stats.REGRESSION
    assert flagged / 2000 < 0.005


def test_false_alarms_stay_under_the_confidence_level() -> None:
    # Unchanged code, noisy symmetric machine: at most a few percent of comparisons may flag
    # (2.5% is the one-sided level before delta; delta makes it far rarer).
    flagged = 0
    for seed in range(2000):
        rng = random.Random(seed)
        a = [rng.lognormvariate(0, 0.15) for _ in range(6)]
        b = [rng.lognormvariate(0, 0.15) for _ in range(6)]
        flagged += stats.verdict(a, b, DELTA, final=True)[0] == stats.REGRESSION
    assert flagged / 2000 < 0.025


def test_a_steady_tiny_shift_is_not_a_regression() -> None:
    a = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    b = [10.2, 10.2, 10.2, 10.2, 10.2, 10.2]  # +2%, in every pair: real, but under delta
    verdict, interval = stats.verdict(a, b, DELTA, final=True)
    assert interval.low == pytest.approx(1.02)
    assert verdict == stats.SAME


def test_straddling_the_threshold_is_undecided_until_final() -> None:
    a = [10.0] * 6
    b = [10.3, 10.9, 10.4, 11.0, 10.8, 10.2]  # +2% .. +10%: the interval straddles 1.05
    assert stats.verdict(a, b, DELTA, final=False)[0] == stats.UNDECIDED
    assert stats.verdict(a, b, DELTA, final=True)[0] == stats.SAME


def test_the_absolute_floor_keeps_tiny_metrics_quiet() -> None:
    a = [0.010] * 6
    b = [0.014] * 6  # +40%, but 4 ms
    assert stats.verdict(a, b, Threshold(0.05, floor=0.050), final=True)[0] == stats.SAME
    assert stats.verdict(a, b, Threshold(0.05), final=True)[0] == stats.REGRESSION


def test_an_improvement_is_the_mirror_image() -> None:
    a = [10.0, 10.1, 9.9, 10.0, 10.2, 9.8]
    b = [x * 0.7 for x in a]
    assert stats.verdict(a, b, DELTA, final=True)[0] == stats.IMPROVEMENT


def test_zero_samples_on_a() -> None:
    assert stats.ratios([0.0, 0.0], [0.0, 1.0]) == [1.0, math.inf]


def test_per_test_rule_needs_both_floors() -> None:
    assert stats.slower_test(0.005, 1.005)  # 5 ms -> 1 s: both
    assert not stats.slower_test(0.002, 0.090)  # x45, but only +88 ms: a tiny test's jitter
    assert not stats.slower_test(2.0, 2.2)  # +200 ms, but only x1.1
    assert stats.slower_test(0.300, 0.500)  # x1.67 and +200 ms


def test_test_changes_names_each_kind() -> None:
    before = {"b t_slow": [0.004, 0.006], "b t_same": [0.2, 0.25], "b gone": [0.1]}
    after = {"b t_slow": [1.006, 1.01], "b t_same": [0.21, 0.3], "b new": [0.1]}
    outcomes_before = {"b t_same": {"passed"}, "b flips": {"passed"}}
    outcomes_after = {"b t_same": {"passed"}, "b flips": {"failed"}}
    changes = {
        c.id: c
        for c in stats.test_changes(
            before, after, before_outcomes=outcomes_before, after_outcomes=outcomes_after
        )
    }
    assert set(changes) == {"b t_slow", "b gone", "b new", "b flips"}
    slow = changes["b t_slow"]
    assert slow.change == stats.REGRESSION
    assert (slow.before_max_s, slow.after_min_s) == (0.006, 1.006)
    assert changes["b gone"].change == stats.DISAPPEARED
    assert changes["b new"].change == stats.APPEARED
    assert (changes["b flips"].before, changes["b flips"].after) == ("passed", "failed")


def test_thousands_of_tiny_noisy_tests_flag_none() -> None:
    rng = random.Random(7)
    before = {f"bin t{i}": [rng.uniform(0.001, 0.02) for _ in range(6)] for i in range(5000)}
    after = {f"bin t{i}": [rng.uniform(0.001, 0.02) * 3 for _ in range(6)] for i in range(5000)}
    assert stats.test_changes(before, after) == []


def test_the_screen_clears_within_half_the_threshold_and_never_a_real_regression() -> None:
    wall = stats.Threshold(delta=0.10, floor=0.20)
    assert stats.cleared(10.0, 10.4, wall) and stats.cleared(10.0, 9.6, wall)
    assert not stats.cleared(10.0, 10.6, wall)  # past 1.05: in doubt, though under 1.10
    assert stats.cleared(10.0, 9.2, wall)  # 0.92: no improvement could include this pair
    assert not stats.cleared(10.0, 8.9, wall)  # past 1 / 1.10: perhaps an improvement
    assert stats.cleared(0.30, 0.39, wall)  # +30%, but 90 ms: within half the 200 ms floor
    assert not stats.cleared(0.0, 0.5, wall)  # from nothing to something is never cleared
    # A regression of twice the threshold is cleared only by noise of a sixth against it.
    assert not stats.cleared(10.0, 12.0 * 0.88, wall)


def test_a_suspect_test_is_half_as_slow_as_a_regression() -> None:
    assert stats.suspect_test(0.10, 0.20) and not stats.slower_test(0.10, 0.20)
    assert not stats.suspect_test(0.10, 0.12)  # 1.2x: not a suspect
    assert not stats.suspect_test(0.002, 0.040)  # 20x, but 38 ms: under half the floor
    assert stats.suspect_test(0.004, 1.004) and stats.slower_test(0.004, 1.004)


@pytest.mark.parametrize("max_pairs", [6, 8, 10, 12, 20])
def test_out_of_reach_is_exact_whatever_pairs_come_next(max_pairs: int) -> None:
    # Exact both ways, checked against the verdict itself: when `out_of_reach` says so, the most
    # hostile pairs that could follow (every one 10x slower, or 10x faster) make no verdict at
    # any count up to the cap; when it does not, one of them makes one by the cap.
    threshold = Threshold(delta=0.05)
    rng = random.Random(max_pairs)
    for _ in range(400):
        n = rng.randint(1, max_pairs)
        a = [10.0] * n
        b = [10.0 * rng.choice([0.9, 0.94, 0.96, 1.0, 1.04, 1.06, 1.1]) for _ in range(n)]
        reach = [
            stats.verdict(a + [10.0] * extra, b + [10.0 * factor] * extra, threshold, final=True)[0]
            for factor in (10.0, 0.1)
            for extra in range(max_pairs - n + 1)
        ]
        decided = any(v in (stats.REGRESSION, stats.IMPROVEMENT) for v in reach)
        assert stats.out_of_reach(a, b, threshold, max_pairs=max_pairs) is not decided, (a, b)


def test_out_of_reach_counts_a_ratio_on_the_bound_as_within() -> None:
    a = [10.0] * 3
    on_bounds = [10.0 * 1.05, 10.0 / 1.05, 10.0]
    assert stats.out_of_reach(a, on_bounds * 1, Threshold(0.05), max_pairs=12)
    assert not stats.out_of_reach(a, [10.6, 10.0, 10.0], Threshold(0.05), max_pairs=12)
    # Too few pairs for any interval: never settled early, the pairs decide as they did.
    assert not stats.out_of_reach(a, a, Threshold(0.05), max_pairs=5)
