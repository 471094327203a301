"""What a reader of a baseline should be told: outliers, cold caches, builds that did not do what
their phase means, flaky counts, a missing JUnit report, a busy machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
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
from perf_tasks.quantities import format_seconds, plural


def phase_warnings(phase: Phase, plan: Plan, *, edited: bool = False) -> list[str]:
    """What to say about one measured phase. `edited`: the sources changed while it ran, which
    explains a slow run or a rebuild better than the machine or a build script does."""
    name = phase.step.phase
    found = []
    runs = phase.measurement.runs
    # Each run is judged once: a run an outlier line speaks of is left out of the busy line.
    judged: set[int] = set()
    wall = phase.measurement.stats("wall_s")
    if wall is not None:
        for i in outliers(wall):
            if i == 0 and first_run_slow(wall):
                continue
            found.append(_outlier_text(name, i, wall.samples[i], wall.median, runs, edited=edited))
            judged.add(i)
        if first_run_slow(wall):
            hint = " (try --warmup 1)" if phase.step.warmup == 0 else ""
            busy = ""
            if _contended(runs[0]):
                busy = (
                    f", and other processes used {format_seconds(runs[0].others_cpu_s or 0)} "
                    "of CPU meanwhile: the machine was busy too"
                )
                judged.add(0)
            found.append(
                f"{name}: the first run took {format_seconds(wall.samples[0])} against a median "
                f"of {format_seconds(wall.median)}: caches were cold{hint}{busy}"
            )
    contended = contended_text(name, runs, skip=judged)
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
            f"{name}: nextest ended {plural(len(phase.timed_out), 'test')} still running past its "
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


def contended_text(name: str, runs: Sequence[Run], *, skip: Set[int] = frozenset()) -> str | None:
    """One line for every run of a phase that shared the machine (one per run would bury the
    other warnings on a busy machine), or None. The runs in `skip` have a line of their own."""
    hit = [(i, run) for i, run in enumerate(runs) if _contended(run) and i not in skip]
    if not hit:
        return None
    tail = "the machine was busy, its figures may be noisy"
    if len(hit) == 1:
        ((i, run),) = hit
        return (
            f"{name}: other processes used {format_seconds(run.others_cpu_s or 0)} of CPU during "
            f"run {i + 1} of {len(runs)} ({format_seconds(run.wall_s)} long): {tail}"
        )
    numbers = [str(i + 1) for i, _ in hit]
    which = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
    used = [run.others_cpu_s or 0.0 for _, run in hit]
    walls = [run.wall_s for _, run in hit]
    return (
        f"{name}: other processes used {_span(used)} of CPU during each of runs {which} of "
        f"{len(runs)} ({_span(walls)} long): {tail}"
    )


def _span(values: Sequence[float]) -> str:
    low, high = format_seconds(min(values)), format_seconds(max(values))
    return low if low == high else f"{low} to {high}"


def _contended(run: Run) -> bool:
    return run.others_cpu_s is not None and run.others_cpu_s > CONTENDED_SHARE * max(
        run.wall_s, 0.2
    )


def _outlier_text(
    name: str, i: int, took: float, median: float, runs: Sequence[Run], *, edited: bool = False
) -> str:
    """Which way a run is off, and the one judgement of what the machine was doing meanwhile."""
    run = runs[i]
    head = f"{name}: run {i + 1} took {format_seconds(took)}"
    if edited:
        why = "the sources changed while this phase ran"
    elif _contended(run):
        used = f"other processes used {format_seconds(run.others_cpu_s or 0)} of CPU meanwhile"
        why = (
            f"{used}: the machine was busy"
            if took > median
            else f"faster than the others although {used} (did it do less work?)"
        )
    elif took < median and any(_contended(r) for j, r in enumerate(runs) if j != i):
        why = "the machine was quiet during it and busy during other runs, which are the slow ones"
    elif took < median:
        why = "faster than the others (did it do less work, or did the others wait on something?)"
    elif run.others_cpu_s is not None:
        why = "the rest of the machine was quiet meanwhile: the command itself took longer"
    else:
        why = "the machine may have been busy"
    where = "below" if took < median else "above"
    return f"{head}, far {where} the median {format_seconds(median)}: {why}"


def busy_warning(env_info: Mapping[str, Any]) -> str | None:
    busy = busy_note(env_info.get("load_average"), env_info.get("cpu_cores"))
    if busy is None:
        return None
    return f"the baseline started on {busy}: figures may be noisy"
