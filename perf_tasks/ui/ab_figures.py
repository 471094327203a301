"""How an A/B figure is shown, the same in every view: a side's median, the interval of the
median pair ratio, and the ratio with its interval."""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perf_tasks.ab.engine import MetricResult


def median(values: tuple[float, ...]) -> float:
    """The median of one side's runs."""
    return float(statistics.median(values))


def interval_text(m: MetricResult) -> str:
    """`[0.912, 1.034]`: the 95% interval of the median pair ratio; `too few pairs` without one;
    `cleared by the screen` for a figure that one pair cleared; `settled: out of reach` for one
    that left the pairs once no more could make it a regression or an improvement."""
    low, high = m.interval.low, m.interval.high
    if m.screened:
        return "cleared by the screen"
    if m.settled:
        return "settled: out of reach"
    if not math.isfinite(high):
        return "too few pairs"
    return f"[{low:.3f}, {high:.3f}]"


def ratio_text(m: MetricResult | None) -> str:
    """`0.974 [0.912, 1.034]`, or `0.974 (too few pairs)`; `-` when the figure was not measured."""
    if m is None:
        return "-"
    shown = interval_text(m)
    return f"{m.interval.median:.3f} {shown if shown.startswith('[') else f'({shown})'}"
