"""The live status of a measurement: the phase, run i of N and the time, as it runs."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from perf_tasks.measure.baseline import Event, Progress
from perf_tasks.measure.nextest_runs import tests_ended
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.shell import program_word
from perf_tasks.quantities import format_elapsed, format_seconds
from perf_tasks.ui.output import Output, shown, throttle

if TYPE_CHECKING:
    from rich.console import RenderableType


@contextmanager
def progress(out: Output, *, verbose: bool = False) -> Iterator[Progress]:
    """Where long-running work reports; with `verbose`, cargo's output streams to our output."""
    from perf_tasks.ui.baseline.ab import pair_reporter

    fd = stream_fd(out) if verbose else None
    with status(out, plain=fd is not None) as on_event:
        yield Progress(
            on_event=on_event,
            stream_fd=fd,
            on_pair=pair_reporter(out),
            on_step=lambda what: out.line(shown(what), style="dim"),
        )


@contextmanager
def status(out: Output, *, plain: bool = False) -> Iterator[Callable[[Event], None]]:
    """A live line (phase, run i of N, elapsed) on a terminal; plain lines elsewhere, and when
    cargo's own output is streamed (`plain`)."""
    started = time.monotonic()
    if plain or not out.interactive:
        due = throttle(started)

        def line(event: Event) -> None:
            done = event.tests_done
            if done is None or due(_event_text(event, None), final=done == event.tests_listed):
                out.line(_event_text(event, started))

        yield line
        return

    from rich.live import Live

    state: dict[str, Any] = {"event": None, "since": started}

    class Line:
        def __rich__(self) -> RenderableType:
            event = state["event"]
            if event is None:
                return ""
            run_s = time.monotonic() - state["since"]
            total_s = time.monotonic() - started
            now = _event_text(event, None)
            return f"{format_elapsed(total_s)} {now}, this one {format_seconds(run_s)}"

    # Started by the first event: comparing two records measures nothing and shows no line.
    with ExitStack() as stack:

        def update(event: Event) -> None:
            if state["event"] is None:
                live = Live(Line(), console=out.console, refresh_per_second=4, transient=True)
                stack.enter_context(live)
            if event.tests_done is None:  # a new step or run, not its tests ending
                state["since"] = time.monotonic()
            state["event"] = event

        yield update


def _event_text(event: Event, started: float | None) -> str:
    if event.phase == PhaseName.DISK:
        text = "disk: scanning the outputs"
    elif event.runs == 0:
        text = f"{event.phase}: {_short(event.argv)}"
    else:
        kind = "warmup" if event.warmup else "run"
        text = f"{event.phase}: {kind} {event.run} of {event.runs}"
    if event.tests_done is not None:
        text += f", {tests_ended(event.tests_done, event.tests_listed)}"
    if started is not None:
        return f"{format_elapsed(time.monotonic() - started)} {text}"
    return text


def _short(argv: Sequence[str]) -> str:
    """The command without our tool config (a long path that says little)."""
    words = [program_word(a) for a in argv]
    kept = []
    for i, word in enumerate(words):
        if word == "--tool-config-file" or (i and words[i - 1] == "--tool-config-file"):
            continue
        kept.append(word)
    return " ".join(kept)


def stream_fd(out: Output) -> int | None:
    """The file descriptor human output goes to, for streaming cargo's output; None if none."""
    file = out.console.file
    try:
        file.flush()
        return file.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
