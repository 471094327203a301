"""What a reader of a baseline should be told: outliers, cold caches, builds that did not do what
their phase means, flaky counts, a missing JUnit report, a busy machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure.commands import NEXTEST, Plan
from perf_tasks.measure.environment import busy_note
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.result import Phase
from perf_tasks.measure.stats import first_run_slow, outliers
from perf_tasks.measure.timing import Run
from perf_tasks.paths import relative


def phase_warnings(phase: Phase, plan: Plan, *, edited: bool = False) -> list[str]:
    """What to say about one measured phase. `edited`: the sources changed while it ran, which
    explains a slow run or a rebuild better than the machine or a build script does."""
    name = phase.step.phase
    found = []
    wall = phase.measurement.stats("wall_s")
    if wall is not None:
        runs = phase.measurement.runs
        for i in outliers(wall):
            if i == 0 and first_run_slow(wall):
                continue
            found.append(
                _outlier_text(name, i, wall.samples[i], wall.median, runs[i], edited=edited)
            )
        if first_run_slow(wall):
            hint = " (try --warmup 1)" if phase.step.warmup == 0 else ""
            found.append(
                f"{name}: the first run took {wall.samples[0]:.3f} s against a median of "
                f"{wall.median:.3f} s: caches were cold{hint}"
            )
    contended = contended_text(name, phase.measurement.runs)
    if contended:
        found.append(contended)
    if edited:
        note = None  # the edit is the reason, and has its own warning
    elif name == PhaseName.BUILD:
        note = cargo_mod.units_warning(name, phase.units)
    elif name == PhaseName.BUILD_INCREMENTAL:
        note = cargo_mod.units_warning(name, phase.units, touched=relative(plan.touch, plan.root))
    else:
        note = None
    if note:
        found.append(note)
    if phase.counts_varied or phase.varied:
        which = f": {', '.join(phase.varied)}" if phase.varied else ""
        found.append(
            f"{name}: the test outcomes differ between runs (flaky tests{which}); the run with "
            "the most failures is recorded"
        )
    if phase.timed_out:
        found.append(
            f"{name}: nextest ended {len(phase.timed_out)} test(s) still running past its "
            f"slow-timeout (terminate-after): {', '.join(phase.timed_out)}"
        )
    if name == PhaseName.TESTS and plan.runner == NEXTEST and phase.durations is None:
        where = relative(plan.junit or Path(), plan.root)
        found.append(
            f"tests: nextest wrote no JUnit report at {where}: per-test durations are not recorded"
        )
    return found


# A run shared the machine when the other processes used more than this share of one CPU over it.
CONTENDED_SHARE = 0.5


def contended_text(name: str, runs: Sequence[Run]) -> str | None:
    """One line for every run of a phase that shared the machine (one per run would bury the
    other warnings on a busy machine), or None."""
    hit = [(i, run) for i, run in enumerate(runs) if _contended(run)]
    if not hit:
        return None
    tail = "the machine was busy, its figures may be noisy"
    if len(hit) == 1:
        ((i, run),) = hit
        return (
            f"{name}: other processes used {run.others_cpu_s or 0:.1f} s of CPU during run {i + 1} "
            f"of {len(runs)} ({run.wall_s:.1f} s long): {tail}"
        )
    numbers = [str(i + 1) for i, _ in hit]
    which = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
    used = [run.others_cpu_s or 0.0 for _, run in hit]
    walls = [run.wall_s for _, run in hit]
    return (
        f"{name}: other processes used {_span(used)} s of CPU during each of runs {which} of "
        f"{len(runs)} ({_span(walls)} s long): {tail}"
    )


def _span(values: Sequence[float]) -> str:
    low, high = f"{min(values):.1f}", f"{max(values):.1f}"
    return low if low == high else f"{low} to {high}"


def _contended(run: Run) -> bool:
    return run.others_cpu_s is not None and run.others_cpu_s > CONTENDED_SHARE * max(
        run.wall_s, 0.2
    )


def _outlier_text(
    name: str, i: int, took: float, median: float, run: Run, *, edited: bool = False
) -> str:
    """Which way a run is off, and what the machine was doing meanwhile."""
    head = f"{name}: run {i + 1} took {took:.3f} s"
    if took < median:
        return (
            f"{head}, far below the median {median:.3f} s: faster than the others (did it do "
            "less work, or the others wait on something?), not a sign of a busy machine"
        )
    if edited:
        why = "the sources changed while this phase ran"
    elif _contended(run):
        why = (
            f"other processes used {run.others_cpu_s:.1f} s of CPU meanwhile: the machine was busy"
        )
    elif run.others_cpu_s is not None:
        why = "the rest of the machine was quiet meanwhile: the command itself took longer"
    else:
        why = "the machine may have been busy"
    return f"{head}, far above the median {median:.3f} s: {why}"


def busy_warning(env_info: Mapping[str, Any]) -> str | None:
    busy = busy_note(env_info.get("load_average"), env_info.get("cpu_cores"))
    if busy is None:
        return None
    return f"the baseline started on {busy}: figures may be noisy"
