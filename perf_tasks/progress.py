"""The one progress type: where long-running work reports, whatever the command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perf_tasks.measure.result import Event


@dataclass(frozen=True)
class Progress:
    """Every command's entry point takes one: a measurement's steps and runs (and the fd cargo's
    output streams to), a same-time A/B's pairs, an untimed step (a revision checked out). Each
    callback may be None: nobody listens."""

    on_event: Callable[[Event], None] | None = None
    stream_fd: int | None = None  # None: cargo's output is captured, not shown
    on_pair: Callable[[str, int, int], None] | None = None  # (what, pair or 0, planned or 0)
    on_step: Callable[[str], None] | None = None
