"""Robust summaries of a few samples: median, min, max and MAD, and which samples look off."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A sample is an outlier when it is this many scaled MADs from the median (Iglewicz and Hoaglin's
# modified z-score > 3.5) and also this far from it in relative terms, so that a very steady
# command does not warn about a microsecond, and in seconds: a scheduler on a shared machine moves
# a 30 ms command by 10 ms without anything being wrong.
_Z = 3.5
_MAD_TO_SIGMA = 1.4826
_MIN_RELATIVE = 0.10
_MIN_ABSOLUTE_S = 0.05


@dataclass(frozen=True)
class Stats:
    median: float
    min: float
    max: float
    mad: float  # median absolute deviation from the median, unscaled
    samples: tuple[float, ...]

    def as_json(self, digits: int | None = 6) -> dict[str, Any]:
        """Rounded to `digits` places; `None` gives whole numbers (bytes, counts)."""

        def r(x: float) -> float:
            return round(x, digits)

        return {
            "median": r(self.median),
            "min": r(self.min),
            "max": r(self.max),
            "mad": r(self.mad),
            "samples": [r(x) for x in self.samples],
        }


def summarize(samples: Sequence[float]) -> Stats:
    """Median, min, max and MAD of at least one sample."""
    if not samples:
        raise ValueError("no samples to summarize")
    median = statistics.median(samples)
    mad = statistics.median(abs(x - median) for x in samples)
    return Stats(median=median, min=min(samples), max=max(samples), mad=mad, samples=tuple(samples))


def outliers(stats: Stats) -> tuple[int, ...]:
    """Indices of the samples far from the others.

    With a MAD of zero (most samples equal), any sample more than 10% (and 50 ms) off counts.
    Samples are seconds.
    """
    if len(stats.samples) < 3:
        return ()
    found = []
    for i, x in enumerate(stats.samples):
        deviation = abs(x - stats.median)
        if deviation <= max(_MIN_RELATIVE * abs(stats.median), _MIN_ABSOLUTE_S):
            continue
        if stats.mad == 0 or deviation / (_MAD_TO_SIGMA * stats.mad) > _Z:
            found.append(i)
    return tuple(found)


def first_run_slow(stats: Stats) -> bool:
    """The first sample is an outlier on the slow side: a cold cache the warmup would absorb."""
    return 0 in outliers(stats) and stats.samples[0] > stats.median
