"""`invoke baseline`, second half: run the plan's steps in order and collect one `Result`.

Untimed steps run once and must succeed; timed steps are `measure/timing.py` runs. Failing tests
are recorded, not raised; a failing build or preparation raises `CommandFailed`. Nothing here
prints: progress goes to the `on_event` callback.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from perf_tasks.errors import CommandFailed, ConfigError
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.fs.regular import read_text
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import disk as disk_mod
from perf_tasks.measure import environment, nextest_runs, sources
from perf_tasks.measure.commands import NEXTEST, Plan, Step
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.result import Event, Phase, Result
from perf_tasks.measure.shell import shell_line
from perf_tasks.measure.timing import Run, measure, run_once
from perf_tasks.measure.warnings import busy_warning, phase_warnings
from perf_tasks.paths import relative
from perf_tasks.quantities import format_seconds


def execute(
    plan: Plan,
    *,
    env: Mapping[str, str],
    on_event: Callable[[Event], None] | None = None,
    stream_fd: int | None = None,
    now: Callable[[], float] = time.time,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Run every step of `plan`, then measure the disk. Raises `CommandFailed` when a build or an
    untimed step fails; failing tests are recorded, not raised."""
    if not plan.touch.is_file():
        raise ConfigError(
            f"{plan.touch} does not exist: build.incremental has no file to touch; set "
            "[baseline] touch to a source file of the workspace"
        )
    started_at = now()
    started = clock()
    emit = on_event or (lambda event: None)
    warnings: list[str] = list(plan.notes)
    record_rel = relative(plan.record_dir, plan.root)
    env_info = environment.fingerprint(
        root=plan.root,
        cargo=plan.cargo,
        env=env,
        nextest=plan.nextest,
        exclude_from_dirty=record_rel,
    )
    busy = busy_warning(env_info)
    if busy:
        warnings.append(busy)
    # Our nextest config goes into the target dir only once cargo has made that dir: cargo writes
    # its CACHEDIR.TAG only into a target dir it creates itself, and without the tag nothing may
    # clean there.
    config_pending = plan.tool_config is not None

    listing: nextest_runs.Listing | None = None
    phases: dict[PhaseName, Phase] = {}
    edits: list[tuple[str, tuple[str, ...]]] = []
    exclude = (*plan.workspace.cargo_dirs, plan.record_dir, *plan.outputs.values())

    def look() -> sources.Fingerprint:
        return sources.fingerprint(plan.root, env=env, exclude=exclude, hashed=plan.touch)

    seen = look()
    # The disk as the user left it: what the measurement itself adds (incremental sessions, test
    # reports) is measured apart, after it.
    emit(Event(PhaseName.DISK, ()))
    before = disk_mod.measure_outputs(
        root=plan.root, cargo_dirs=plan.workspace.cargo_dirs, outputs=plan.outputs
    )

    def look_again(phase: str) -> bool:
        """Whether the sources changed while `phase` ran (then noted and warned of)."""
        nonlocal seen
        now = look()
        files = sources.changed(seen, now)
        seen = now
        if files:
            edits.append((phase, files))
            warnings.append(
                f"{phase}: the sources changed while it ran: {', '.join(files)}; the figures may "
                "mix two versions of the code"
            )
        return bool(files)

    try:
        for step in plan.steps:
            if config_pending and plan.tool_config and _uses(step, plan.tool_config):
                write_atomic(plan.tool_config, plan.tool_config_text)
                config_pending = False
            if not step.timed:
                emit(Event(step.phase, step.argv))
                run = _untimed(step, plan=plan, env=env, stream_fd=stream_fd, clock=clock)
                if step.lists_tests:
                    listing = nextest_runs.parse_list(run.stdout)
                look_again(step.phase.value)
                continue
            phase = _timed(
                step,
                plan=plan,
                env=env,
                stream_fd=stream_fd,
                clock=clock,
                emit=emit,
                listing=listing,
            )
            phases[step.phase] = phase
            edited = look_again(step.phase.value)
            warnings += phase_warnings(phase, plan, edited=edited)
            if step.phase == PhaseName.BUILD_COLD and plan.scratch is not None:
                shutil.rmtree(plan.scratch, ignore_errors=True)  # now, not at the end: disk space
    finally:
        if plan.scratch is not None:
            shutil.rmtree(plan.scratch, ignore_errors=True)

    emit(Event(PhaseName.DISK, ()))
    after = disk_mod.measure_outputs(
        root=plan.root, cargo_dirs=plan.workspace.cargo_dirs, outputs=plan.outputs
    )
    return Result(
        plan=plan,
        started_at=started_at,
        elapsed_s=clock() - started,
        environment=env_info,
        phases=phases,
        disk=before,
        disk_added=disk_mod.added(before, after),
        warnings=tuple(warnings),
        sources_changed=tuple(edits),
    )


def _untimed(
    step: Step,
    *,
    plan: Plan,
    env: Mapping[str, str],
    stream_fd: int | None,
    clock: Callable[[], float],
) -> Run:
    run = run_once(
        step.argv,
        cwd=plan.root,
        env={**env, **step.env},
        capture_stdout=step.lists_tests,
        stream_fd=None if step.lists_tests else stream_fd,
        clock=clock,
        sample=False,
        timeout_s=plan.options.timeout_s or None,
    )
    if run.exit_code != 0:
        raise CommandFailed(_failure(step, run, plan, streamed=stream_fd is not None))
    return run


def _timed(
    step: Step,
    *,
    plan: Plan,
    env: Mapping[str, str],
    stream_fd: int | None,
    clock: Callable[[], float],
    emit: Callable[[Event], None],
    listing: nextest_runs.Listing | None,
) -> Phase:
    is_build = step.phase.is_build
    is_nextest = step.phase == PhaseName.TESTS and plan.runner == NEXTEST
    before: Callable[[], None] | None = None
    if step.phase == PhaseName.BUILD_INCREMENTAL:
        touch = plan.touch

        def before() -> None:
            cargo_mod.touch(touch, now_ns=time.time_ns())

    elif step.phase == PhaseName.BUILD_COLD and plan.scratch is not None:
        scratch = plan.scratch

        def before() -> None:
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)

    elif is_nextest and plan.junit is not None:
        junit = plan.junit

        def before() -> None:
            junit.unlink(missing_ok=True)

    cases: list[tuple[nextest_runs.Case, ...]] = []
    counts: list[nextest_runs.Counts | None] = []
    outcomes: list[tuple[tuple[str, str], ...]] = []  # cargo test's, per run

    def after(run: Run) -> None:
        if is_nextest and plan.junit is not None:
            try:
                found = nextest_runs.parse_junit(read_text(plan.junit))
            except (OSError, ValueError):
                counts.append(None)
                return
            cases.append(found)
            counts.append(nextest_runs.counts_from_junit(found, listing))
        elif step.phase.is_tests:
            counts.append(nextest_runs.parse_cargo_test(run.stdout))
            outcomes.append(nextest_runs.cargo_test_outcomes(run.stdout))

    current = [Event(step.phase, step.argv)]

    def on_run(i: int, n: int, warmup: bool) -> None:
        current[0] = Event(step.phase, step.argv, i, n, warmup)
        emit(current[0])

    def on_tests(done: int, listed: int | None) -> None:
        emit(replace(current[0], tests_done=done, tests_listed=listed))

    m = measure(
        step.argv,
        cwd=plan.root,
        env=env,
        extra_env=step.env,
        runs=step.runs,
        warmup=step.warmup,
        before=before,
        after=after,
        on_output=nextest_runs.tally_of_tests(on_tests) if is_nextest else None,
        capture_stdout=is_build or (step.phase.is_tests and not is_nextest),
        stream_fd=stream_fd,
        on_run=on_run,
        stop_on_failure=is_build,
        clock=clock,
        timeout_s=plan.options.timeout_s or None,
    )
    streamed = stream_fd is not None
    if m.runs and m.runs[-1].timed_out:
        running: tuple[str, ...] = ()
        if is_nextest and plan.junit is not None:  # nextest reports the tests it had to stop
            with contextlib.suppress(OSError, UnicodeDecodeError):
                running = nextest_runs.aborted(read_text(plan.junit))
        raise CommandFailed(_failure(step, m.runs[-1], plan, streamed=streamed, running=running))
    if is_build:
        if not m.ok:
            raise CommandFailed(_failure(step, m.runs[-1], plan, streamed=streamed))
        units = tuple(cargo_mod.count_units(r.stdout) for r in m.runs)
        return Phase(step=step, measurement=m, units=units)
    # Tests: a run whose failures we cannot count did not run its tests at all.
    for run, count in zip(m.runs, counts, strict=True):
        if run.exit_code != 0 and (count is None or count.failed == 0):
            raise CommandFailed(_failure(step, run, plan, streamed=streamed))
    known = [c for c in counts if c is not None]
    worst = max(reversed(known), key=lambda c: c.failed) if known else None
    durations = nextest_runs.median_durations(cases) if cases else None
    return Phase(
        step=step,
        measurement=m,
        counts=worst,
        counts_varied=len(set(known)) > 1,
        varied=nextest_runs.varied(cases) if cases else nextest_runs.varied_outcomes(outcomes),
        timed_out=nextest_runs.timed_out(cases),
        failing=nextest_runs.failing(cases) if cases else nextest_runs.failing_outcomes(outcomes),
        durations=durations,
        durations_range=nextest_runs.duration_ranges(cases) if cases else None,
    )


def _failure(
    step: Step, run: Run, plan: Plan, *, streamed: bool, running: tuple[str, ...] = ()
) -> str:
    root = plan.root
    code = run.exit_code
    how = f"exit {code}" if code >= 0 else f"killed by signal {-code}"
    if run.timed_out:
        how = (
            f"still running after {format_seconds(plan.options.timeout_s or 0)}, the timeout "
            "(--timeout, [baseline] timeout): it was ended with every process it started"
        )
        if running:
            how += f"; tests still running then: {', '.join(running)}"
    head = f"`{shell_line(step.argv, root)}` failed ({how}) in {root}"
    if streamed or not run.tail:
        return head + (" (its output is above)" if streamed else "")
    return head + ":\n" + "\n".join(f"  {line}" for line in run.tail)


def _uses(step: Step, path: Path) -> bool:
    return any(str(path) in arg for arg in step.argv)
