"""`clean`, the routine clean: what a day of work leaves behind. Old run folders, artifacts past
their rules, and the stale sweep (units no configured command uses any more)."""

from __future__ import annotations

from perf_tasks.clean import stale
from perf_tasks.clean.modes.artifacts import select_artifacts
from perf_tasks.clean.modes.runs import select_runs
from perf_tasks.clean.safety import Guard
from perf_tasks.settings import Settings


def select_routine(
    guard: Guard, settings: Settings, options: stale.Options, *, now: float
) -> stale.Sweep:
    """The three selections in one, with the stale sweep's facts under "stale"."""
    selection = select_runs(guard, settings, now=now)
    selection.extend(select_artifacts(guard, settings, now=now))
    sweep = stale.select_stale(guard, settings, options)
    selection.extend(sweep.selection)
    return stale.Sweep(selection, sweep.keepset, {"stale": sweep.facts})
