"""Times read from files and flags (an mtime, a history entry, `--now`): any of them can be years
off either way, set by a wrong clock. What is judged by age keeps what its time cannot judge, and
showing such a time never raises."""

from __future__ import annotations

import time
from datetime import datetime, timezone

# No output of this tool was made before this: an earlier time is a wrong clock (a reset
# real-time clock reads 1970; a typo reads year 1), not an old file, so its age cannot be judged.
PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=timezone.utc)
PLAUSIBLE_FROM_EPOCH = PLAUSIBLE_FROM.timestamp()


def plausible(epoch: float) -> bool:
    """Whether an mtime can be a real time of this tool's outputs (not before 2000)."""
    return epoch >= PLAUSIBLE_FROM_EPOCH


def utc_text(epoch: float) -> str:
    """`epoch` as `2026-01-02 03:04 UTC`; a time the platform cannot show (a file dated past the
    year 9999, which tmpfs allows) is shown as its number of seconds instead of raising."""
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
    except (OverflowError, OSError, ValueError):
        return f"{epoch:.0f} s after 1970 UTC"
