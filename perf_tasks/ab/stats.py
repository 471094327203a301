"""The statistics of a same-time A/B comparison. Pure: samples in, intervals and verdicts out.

Each pair is one run of A and one run of B, taken next to each other, so the ratio B/A of a pair
cancels whatever drifted in the machine between pairs (a neighbour's job, thermal state, caches).
The summary is the median of the pair ratios with a distribution-free confidence interval: the
order statistics r(k) and r(n+1-k) of the sorted ratios, k the largest rank such that a binomial
(n, 1/2) tail below k stays under (1 - confidence) / 2. It assumes nothing about the shape of the
noise (bimodal machines, outliers), only that pairs are independent. At 95% it needs 6 pairs: with
fewer, even [min, max] covers less than 95%.

A metric regressed when the interval's low end is above 1 + delta and the median pair
difference is above the metric's absolute floor: the change is real (the interval) and large
enough to matter (delta, floor). It improved when the high end is below 1 / (1 + delta) and the
difference is above the floor the other way. Otherwise it is the same, or, while pairs may still be
added, undecided.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
MIN_PAIRS = 6  # the fewest pairs whose [min, max] covers the median at 95% (1 - 2/64 = 96.9%)

REGRESSION = "regression"
IMPROVEMENT = "improvement"
SAME = "same"
UNDECIDED = "undecided"


@dataclass(frozen=True)
class Interval:
    """The median of the pair ratios B/A, and its confidence interval."""

    median: float
    low: float
    high: float
    confidence: float  # the exact coverage of [low, high], at least the one asked for
    pairs: int


@dataclass(frozen=True)
class Threshold:
    """When a metric's change counts: `delta` relative, `floor` absolute (in the metric's unit)."""

    delta: float
    floor: float = 0.0


def rank(n: int, confidence: float = CONFIDENCE) -> tuple[int, float]:
    """The rank k (from 1) of the interval's low end among n sorted ratios, and the exact coverage
    of [r(k), r(n+1-k)]. k is 0 when n pairs are too few for `confidence`."""
    if n < 1:
        return 0, 0.0
    tail = (1.0 - confidence) / 2.0
    cumulative = 0.0
    k = 0
    for j in range(n // 2 + 1):
        cumulative += math.comb(n, j) / 2.0**n
        if cumulative > tail:
            break
        k = j + 1
    if k == 0:
        return 0, 0.0
    covered = 1.0 - 2.0 * sum(math.comb(n, j) for j in range(k)) / 2.0**n
    return k, covered


def ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """B/A pair by pair. A pair whose A is 0 (a metric too small to time) counts as no change
    when B is 0 too, and as infinitely slower otherwise."""
    if len(a) != len(b):
        raise ValueError(f"pairs need as many A samples as B samples ({len(a)} != {len(b)})")
    out = []
    for x, y in zip(a, b, strict=True):
        if x > 0:
            out.append(y / x)
        else:
            out.append(1.0 if y <= 0 else math.inf)
    return out


def interval(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """The median ratio B/A with its distribution-free interval. With too few pairs for
    `confidence`, the interval is unbounded: (0, inf)."""
    found = sorted(ratios(a, b))
    n = len(found)
    if n == 0:
        raise ValueError("no pairs to compare")
    median = statistics.median(found)
    k, covered = rank(n, confidence)
    if k == 0:
        return Interval(median, 0.0, math.inf, 0.0, n)
    return Interval(median, found[k - 1], found[n - k], covered, n)


def median_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """The median of B - A over the pairs, in the metric's unit."""
    return statistics.median(y - x for x, y in zip(a, b, strict=True))


def verdict(
    a: Sequence[float],
    b: Sequence[float],
    threshold: Threshold,
    *,
    final: bool,
    confidence: float = CONFIDENCE,
) -> tuple[str, Interval]:
    """REGRESSION, IMPROVEMENT, SAME, or (unless `final`) UNDECIDED while the interval still
    straddles a threshold and more pairs could settle it."""
    found = interval(a, b, confidence)
    difference = median_difference(a, b)
    slower_bound = 1.0 + threshold.delta
    faster_bound = 1.0 / slower_bound
    if found.low > slower_bound and difference > threshold.floor:
        return REGRESSION, found
    if found.high < faster_bound and -difference > threshold.floor:
        return IMPROVEMENT, found
    # The interval reaches past the slowdown threshold: more pairs could still show a regression.
    # A median difference under the floor can never become one, so that settles it as well.
    straddles = found.high > slower_bound and difference > threshold.floor
    if straddles and not final:
        return UNDECIDED, found
    return SAME, found


def out_of_reach(
    a: Sequence[float],
    b: Sequence[float],
    threshold: Threshold,
    *,
    max_pairs: int,
    confidence: float = CONFIDENCE,
) -> bool:
    """Whether no pairs added to these, up to `max_pairs` in all, could make the metric a
    regression or an improvement: stopping now gives the verdict that going on would give.

    With n pairs a regression needs the interval's low end, the k-th smallest ratio, above
    1 + delta: fewer than k ratios at or under it. k grows with n, so once k(max_pairs) ratios
    are at or under 1 + delta, a regression is out of reach for good; an improvement likewise
    once k(max_pairs) ratios are at or over 1 / (1 + delta)."""
    k, _ = rank(max_pairs, confidence)
    if k == 0:
        return False  # no interval at all: the pairs decide as they always did
    found = ratios(a, b)
    slower_bound = 1.0 + threshold.delta
    not_slower = sum(r <= slower_bound for r in found)
    not_faster = sum(r >= 1.0 / slower_bound for r in found)
    return not_slower >= k and not_faster >= k


# The screen: one pair, read leniently where a regression could hide. A figure is cleared when its
# one ratio is under half the slowdown threshold (1 + delta/2) and not past the whole improvement
# threshold (1 / (1 + delta)), or its one difference is within half the floor; a test is a suspect
# when it is more than half the per-test factor slower there, and more than half the floor.
#
# Why that is safe: the screening pair is the first of the pairs. Up to 8 pairs, the interval's low
# end is their smallest ratio, so a regression verdict needs every ratio, this one included, above
# 1 + delta; the screen clears only below half that. Likewise an improvement needs every ratio
# below 1 / (1 + delta), so a ratio above that could not be one: the whole threshold is lenient
# enough on that side.
SCREEN_SHARE = 0.5


def cleared(a: float, b: float, threshold: Threshold) -> bool:
    """Whether one pair's figures (A `a`, B `b`) clear a metric at the screen."""
    if abs(b - a) <= threshold.floor * SCREEN_SHARE:
        return True
    (ratio,) = ratios([a], [b])
    return 1.0 / (1.0 + threshold.delta) <= ratio <= 1.0 + threshold.delta * SCREEN_SHARE


# Per test: the rule is deliberately coarse and needs both floors. With thousands of tiny tests, a
# relative rule alone flags some by chance (a 2 ms test taking 4 ms once); an absolute rule alone
# misses a slow test getting much slower relative to itself only in large tests.
TEST_FACTOR = 1.5
TEST_FLOOR_S = 0.100


@dataclass(frozen=True)
class TestChange:
    """One test that changed between A (before) and B (after)."""

    id: str  # nextest's `<binary-id> <test-name>`
    change: str  # REGRESSION, "appeared", "disappeared" or "outcome"
    before_max_s: float | None = None  # its slowest run in A
    after_min_s: float | None = None  # its fastest run in B
    before: str | None = None  # outcomes, for "outcome": "passed", "failed", "passed/failed"
    after: str | None = None


APPEARED = "appeared"
DISAPPEARED = "disappeared"
OUTCOME = "outcome"


@dataclass(frozen=True)
class PerTestRule:
    """When a test got slower: its fastest new run is slower than its slowest old run x `factor`,
    and slower than it + `floor_s`. A gate's `tests.each` row may set a tighter one."""

    factor: float = TEST_FACTOR
    floor_s: float = TEST_FLOOR_S

    def slower(self, before_max_s: float, after_min_s: float) -> bool:
        over = after_min_s > before_max_s * self.factor
        return over and after_min_s > before_max_s + self.floor_s

    def suspect(self, before_s: float, after_s: float) -> bool:
        """The screen's rule: one run each, half the factor's excess and half the floor."""
        factor = 1.0 + (self.factor - 1.0) * SCREEN_SHARE
        return after_s > before_s * factor and after_s > before_s + self.floor_s * SCREEN_SHARE

    def tightest(self, factor: float, floor_s: float) -> PerTestRule:
        """This rule and another: the smaller factor and the smaller floor."""
        return PerTestRule(min(self.factor, factor), min(self.floor_s, floor_s))


PER_TEST = PerTestRule()


def slower_test(before_max_s: float, after_min_s: float, rule: PerTestRule = PER_TEST) -> bool:
    """The per-test rule: by default, the fastest new run is slower than the slowest old run x 1.5,
    and also slower than it + 100 ms."""
    return rule.slower(before_max_s, after_min_s)


def suspect_test(before_s: float, after_s: float, rule: PerTestRule = PER_TEST) -> bool:
    """The screen's per-test rule: one run each, half the factor and half the floor of
    `slower_test`."""
    return rule.suspect(before_s, after_s)


def test_changes(
    before: Mapping[str, Sequence[float]],
    after: Mapping[str, Sequence[float]],
    *,
    before_outcomes: Mapping[str, set[str]] | None = None,
    after_outcomes: Mapping[str, set[str]] | None = None,
    rule: PerTestRule = PER_TEST,
) -> list[TestChange]:
    """Tests that got slower by the per-test rule, appeared, disappeared or changed outcome.

    `before`/`after` map a test id to its times over the runs that ran it; the outcomes map it to
    the set of outcomes seen ("passed", "failed", "ignored", ...)."""
    changes: list[TestChange] = []
    before_outcomes = before_outcomes or {}
    after_outcomes = after_outcomes or {}
    known_before = set(before) | set(before_outcomes)
    known_after = set(after) | set(after_outcomes)
    for test in sorted(known_before | known_after):
        if test not in known_after:
            changes.append(TestChange(test, DISAPPEARED))
            continue
        if test not in known_before:
            changes.append(TestChange(test, APPEARED))
            continue
        was, now = before_outcomes.get(test), after_outcomes.get(test)
        if was is not None and now is not None and was != now:
            changes.append(
                TestChange(test, OUTCOME, before="/".join(sorted(was)), after="/".join(sorted(now)))
            )
            continue
        old_times, new_times = before.get(test) or (), after.get(test) or ()
        if old_times and new_times:
            slowest_old, fastest_new = max(old_times), min(new_times)
            if rule.slower(slowest_old, fastest_new):
                changes.append(TestChange(test, REGRESSION, slowest_old, fastest_new))
    return changes
