"""The tail of a test run: how long it ended with fewer tests running than at its busiest. Pure.

nextest's JUnit report gives each test case its start (`timestamp`) and its `time`. Over the run,
the number of tests running at once peaks at the number of threads (or of tests, when fewer); the
tail starts the last time that number drops below its peak for good, and lasts to the end of the
run: the time some threads sat idle waiting for the last tests. A run whose slowest test starts
last has a tail about that test's length; started first, it runs beside the others.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from perf_tasks.measure import nextest_runs

Span = tuple[float, float]  # a test's start and end, in seconds


def spans(junit_text: str) -> list[Span]:
    """Each test case's (start, end), in seconds since the epoch; cases without a readable start
    or time are left out (an older nextest, a skipped case), and so are cases outside the run's
    own window (`<testsuites timestamp time>`): a clock that was years off, or a time that is no
    duration, would otherwise be the whole tail."""
    try:
        root = ET.fromstring(junit_text)
    except ET.ParseError:
        return []
    window = _span(root)
    found = []
    for case in root.iter("testcase"):
        span = _span(case)
        if span is None:
            continue
        if window is not None and not (
            window[0] - CLOCK_SLACK_S <= span[0] and span[1] <= window[1] + CLOCK_SLACK_S
        ):
            continue
        found.append(span)
    return found


# JUnit timestamps are to the millisecond and a case's time is measured apart from the run's.
CLOCK_SLACK_S = 1.0


def _span(element: ET.Element) -> Span | None:
    try:
        start = datetime.fromisoformat(element.get("timestamp") or "").timestamp()
        seconds = nextest_runs.seconds(element.get("time") or "")
    except (ValueError, OverflowError, OSError):
        return None
    if element.get("time") is None:
        return None
    return (start, start + seconds)


def tail_s(runs: list[Span]) -> float | None:
    """The tail of a run made of these spans (None without any)."""
    if not runs:
        return None
    # At one instant, a test that ends is counted out before one that starts is counted in.
    events = sorted([(s, 1) for s, _ in runs] + [(e, -1) for _, e in runs])
    peak = running = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    running = 0
    left_peak = events[0][0]
    for when, step in events:
        if running == peak and step < 0:
            left_peak = when
        running += step
    return max(0.0, max(e for _, e in runs) - left_peak)
