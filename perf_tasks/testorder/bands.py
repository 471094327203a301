"""Priority bands: measured durations in, a handful of nextest priorities out. Pure.

nextest starts tests by priority (higher first; ties in binary and test-name order), so the order
is set by a few `[[profile.<p>.overrides]]` entries, one per band, instead of one per test.

The rule:
- A test that failed in a run the durations come from goes first, in a band of its own (the
  highest): its time is not trusted (a failure may end it early, or a timeout late), and the
  first thing one wants from the next run is whether it still fails (with fail-fast, that run ends
  sooner). One test moved ahead costs the tail at most its own time on one thread.
- The others are banded by their duration on a log scale, from the slowest down: band k holds the
  tests in (slowest / 2^(k+1), slowest / 2^k], so that a band's tests differ by at most a factor
  of two and the slowest start first.
- Tests faster than `min_s`, or than the slowest / 2^`max_bands`, keep nextest's default priority
  (0), as do tests with no duration at all (new ones): they are short enough to fill the gaps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from perf_tasks.measure.durations import Durations, TestTime

MAX_BANDS = 6  # duration bands: the slowest down to 1/64 of it
MIN_S = 0.05  # a test shorter than this cannot make a tail worth ordering
STEP = 10  # priorities of consecutive bands differ by this: room for the user's own in between
FAILED_PRIORITY = (MAX_BANDS + 1) * STEP  # 70: above every duration band
TOP_PRIORITY = MAX_BANDS * STEP  # 60: the slowest tests


@dataclass(frozen=True)
class Band:
    priority: int  # nextest's, from -100 to 100; higher runs first
    tests: tuple[TestTime, ...]  # by binary, then name: the file does not move when times do
    failed: bool = False  # the band of the tests that failed last time

    @property
    def slowest_s(self) -> float:
        return max(t.seconds for t in self.tests)

    @property
    def fastest_s(self) -> float:
        return min(t.seconds for t in self.tests)

    def as_json(self) -> dict[str, object]:
        return {
            "priority": self.priority,
            "failed_last_run": self.failed,
            "slowest_s": self.slowest_s,
            "fastest_s": self.fastest_s,
            "tests": [t.id for t in self.tests],
        }


@dataclass(frozen=True)
class Banding:
    bands: tuple[Band, ...]  # highest priority first
    left: int  # tests with a duration that keep the default priority

    @property
    def ordered(self) -> int:
        return sum(len(b.tests) for b in self.bands)


def band(durations: Durations, *, max_bands: int = MAX_BANDS, min_s: float = MIN_S) -> Banding:
    """The bands of `durations` (see the module's rule)."""
    if not 1 <= max_bands <= MAX_BANDS:
        raise ValueError(f"max_bands must be from 1 to {MAX_BANDS}")
    failed = [t for t in durations.tests if t.id in durations.failed]
    timed = [t for t in durations.tests if t.id not in durations.failed]
    slowest = max((t.seconds for t in timed), default=0.0)
    groups: dict[int, list[TestTime]] = {}
    left = 0
    for test in timed:
        k = _band_of(test.seconds, slowest, max_bands=max_bands, min_s=min_s)
        if k is None:
            left += 1
        else:
            groups.setdefault(k, []).append(test)
    bands = [Band(FAILED_PRIORITY, _by_name(failed), failed=True)] if failed else []
    bands += [Band(TOP_PRIORITY - STEP * k, _by_name(groups[k])) for k in sorted(groups)]
    return Banding(tuple(bands), left)


def _band_of(seconds: float, slowest: float, *, max_bands: int, min_s: float) -> int | None:
    if seconds < min_s or seconds <= 0 or slowest <= 0:
        return None
    k = math.floor(math.log2(slowest / seconds))
    return k if k < max_bands else None


def _by_name(tests: Iterable[TestTime]) -> tuple[TestTime, ...]:
    return tuple(sorted(tests, key=lambda t: (t.binary, t.name)))
