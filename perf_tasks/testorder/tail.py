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

Span = tuple[float, float]  # a test's start and end, in seconds


def spans(junit_text: str) -> list[Span]:
    """Each test case's (start, end), in seconds since the epoch; cases without a readable start
    or time are left out (an older nextest, a skipped case)."""
    try:
        root = ET.fromstring(junit_text)
    except ET.ParseError:
        return []
    found = []
    for case in root.iter("testcase"):
        try:
            start = datetime.fromisoformat(case.get("timestamp") or "").timestamp()
            seconds = float(case.get("time") or "")
        except (ValueError, OverflowError, OSError):
            continue
        if seconds >= 0:
            found.append((start, start + seconds))
    return found


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
