"""`invoke baseline`: plan the phases, then run them and collect one result.

The order is fixed, so that no timed run pays for work it does not measure:

1. prepare, untimed: build the workspace and the test binaries;
2. build: warm (nothing to do), incremental (one source touched), cold (scratch dirs, on request);
3. tests: prepare the test binaries again (the touch made them stale), then the test run alone,
   then the doctests;
4. disk, last, so that it matches `du` afterwards.

`inspect` gathers the facts (cargo metadata, nextest and its config); `plan` is pure and decides
every command; `execute` runs the plan and returns a `Result` without printing anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_tasks import settings as settings_mod
from perf_tasks import workspace as workspace_mod
from perf_tasks.errors import CommandFailed, ConfigError
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import disk as disk_mod
from perf_tasks.measure import environment, nextest
from perf_tasks.measure.stats import first_run_slow, outliers
from perf_tasks.measure.timing import Measurement, Run, measure, run_once
from perf_tasks.paths import relative
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace

NEXTEST = "nextest"
CARGO_TEST = "cargo-test"
JSON_FILE = "baseline.json"
MARKDOWN_FILE = "Baseline.md"
TOOL_CONFIG_FILE = Path("perf-tasks") / "nextest.toml"  # inside the target dir


@dataclass(frozen=True)
class Options:
    runs: int = 3
    warmup: int = 0
    cold: bool = False
    cold_runs: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "warmup": self.warmup,
            "cold": self.cold,
            "cold_runs": self.cold_runs,
        }


def options(
    config: Settings,
    *,
    runs: int | None = None,
    warmup: int | None = None,
    cold: bool = False,
    cold_runs: int | None = None,
) -> Options:
    """Flags over settings; checks that the counts make sense."""
    base = config.baseline
    chosen = Options(
        runs=base.runs if runs is None else runs,
        warmup=base.warmup if warmup is None else warmup,
        cold=cold,
        cold_runs=base.cold_runs if cold_runs is None else cold_runs,
    )
    if chosen.runs < 1 or chosen.cold_runs < 1:
        raise ConfigError(
            "runs and cold runs must be at least 1 (from --runs/--cold-runs or [baseline])"
        )
    if chosen.warmup < 0:
        raise ConfigError("--warmup cannot be negative")
    return chosen


@dataclass(frozen=True)
class Step:
    """One command of the plan. Untimed steps run once and must succeed."""

    phase: str  # "prepare", "build", "build.incremental", "build.cold", "tests", "tests.doc"
    argv: tuple[str, ...]
    timed: bool
    runs: int = 1
    warmup: int = 0
    env: Mapping[str, str] = field(default_factory=dict)  # set on top of the environment
    before: str = ""  # what happens before each run, untimed, in words
    lists_tests: bool = False  # its stdout is nextest's test list, to be read


@dataclass(frozen=True)
class Facts:
    """What `plan` needs to know about the workspace and the machine."""

    workspace: Workspace
    cargo: str  # the program to run
    metadata: Mapping[str, Any]
    nextest: str | None  # its version, None when it is not installed
    nextest_config: Mapping[str, Any]
    tmp_dir: Path


def inspect(root: Path, *, env: Mapping[str, str]) -> Facts:
    ws = workspace_mod.load(root, env=env)
    cargo = workspace_mod.cargo_program(env)
    metadata = workspace_mod.cargo_metadata(root, env=env)
    return Facts(
        workspace=ws,
        cargo=cargo,
        metadata=metadata,
        nextest=nextest.version(cargo, cwd=root, env=env),
        nextest_config=nextest.workspace_config(root),
        tmp_dir=Path(tempfile.gettempdir()),
    )


@dataclass(frozen=True)
class Plan:
    workspace: Workspace
    cargo: str
    options: Options
    steps: tuple[Step, ...]
    runner: str  # NEXTEST or CARGO_TEST
    nextest: str | None
    profile: str | None  # nextest profile
    profile_source: str | None  # "workspace" or "perf-tasks"
    tool_config: Path | None
    tool_config_text: str
    junit: Path | None
    touch: Path
    has_doctests: bool
    scratch: Path | None  # the cold build's private dirs
    outputs: dict[str, Path]  # named outputs other than target
    record_dir: Path
    members: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def root(self) -> Path:
        return self.workspace.root

    def step(self, phase: str) -> Step | None:
        return next((s for s in self.steps if s.phase == phase), None)


def plan(facts: Facts, config: Settings, opts: Options) -> Plan:
    """Every command the baseline runs, in order. Pure."""
    ws = facts.workspace
    base = config.baseline
    root = ws.root
    cargo = facts.cargo
    build = cargo_mod.build_args(base.build, source=config.source)
    plain_build = tuple(a for a in build if a != cargo_mod.MESSAGE_FORMAT)
    record_rel = settings_mod.check_relative(base.dir, what="baseline.dir", source=config.source)
    if base.touch:
        rel = settings_mod.check_relative(base.touch, what="baseline.touch", source=config.source)
        touch = root / rel
    else:
        touch = cargo_mod.touch_candidate(facts.metadata)
    touch_shown = relative(touch, root)
    notes: list[str] = []

    profile = base.test_profile
    if facts.nextest is not None:
        runner = NEXTEST
        tool_config = ws.target_dir / TOOL_CONFIG_FILE
        own = nextest.has_profile(facts.nextest_config, profile)
        source = "workspace" if own else "perf-tasks"
        nextest_args = (
            "--workspace",
            "--profile",
            profile,
            "--tool-config-file",
            f"{nextest.TOOL_NAME}:{tool_config}",
        )
        prepare_tests: tuple[str, ...] = (cargo, "nextest", "run", *nextest_args, "--no-run")
        list_tests: tuple[str, ...] | None = (
            cargo,
            "nextest",
            "list",
            *nextest_args,
            "--message-format",
            "json",
        )
        # A workspace without tests has a baseline too: nextest's default is to fail then.
        run_tests: tuple[str, ...] = (cargo, "nextest", "run", *nextest_args, "--no-tests=warn")
        junit: Path | None = nextest.junit_path(
            facts.nextest_config, profile=profile, root=root, target_dir=ws.target_dir
        )
        if own:
            notes.append(
                f"nextest profile `{profile}` comes from .config/nextest.toml; ours only fills "
                "in what it leaves unset (JUnit)"
            )
    else:
        runner = CARGO_TEST
        tool_config = None
        source = None
        junit = None
        prepare_tests = (cargo, "test", "--workspace", "--tests", "--no-run")
        list_tests = None
        run_tests = (cargo, "test", "--workspace", "--tests", "--no-fail-fast")
        notes.append(
            "cargo-nextest is not installed: the tests run with `cargo test` instead, and "
            "per-test durations are not recorded (install it: cargo install cargo-nextest)"
        )
    doctests = cargo_mod.has_doctests(facts.metadata)
    if not doctests:
        notes.append("no library with doctests: tests.doc is not measured")

    steps: list[Step] = [
        Step("prepare", (cargo, *plain_build), timed=False),
        Step("prepare", prepare_tests, timed=False),
    ]
    if list_tests is not None:
        steps.append(Step("prepare", list_tests, timed=False, lists_tests=True))
    steps += [
        Step("build", (cargo, *build), timed=True, runs=opts.runs, warmup=opts.warmup),
        Step(
            "build.incremental",
            (cargo, *build),
            timed=True,
            runs=opts.runs,
            warmup=opts.warmup,
            before=f"touch {touch_shown}",
        ),
    ]
    scratch = None
    if opts.cold:
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        scratch = facts.tmp_dir / f"perf-tasks-cold-{digest}"
        steps.append(
            Step(
                "build.cold",
                (cargo, *build),
                timed=True,
                runs=opts.cold_runs,
                warmup=0,
                env={
                    "CARGO_TARGET_DIR": str(scratch / "target"),
                    "CARGO_BUILD_BUILD_DIR": str(scratch / "build"),
                },
                before=f"empty {scratch}",
            )
        )
    steps += [
        Step("prepare", prepare_tests, timed=False),
        Step("tests", run_tests, timed=True, runs=opts.runs, warmup=opts.warmup),
    ]
    if doctests:
        steps.append(
            Step(
                "tests.doc",
                (cargo, "test", "--doc", "--workspace"),
                timed=True,
                runs=opts.runs,
                warmup=opts.warmup,
            )
        )
    outputs = {
        f.name: root / config.output_path(f.name) for f in dataclasses.fields(config.outputs)
    }
    return Plan(
        workspace=ws,
        cargo=cargo,
        options=opts,
        steps=tuple(steps),
        runner=runner,
        nextest=facts.nextest,
        profile=profile if runner == NEXTEST else None,
        profile_source=source,
        tool_config=tool_config,
        tool_config_text=nextest.tool_config(profile),
        junit=junit,
        touch=touch,
        has_doctests=doctests,
        scratch=scratch,
        outputs=outputs,
        record_dir=root / record_rel,
        members=tuple(cargo_mod.member_names(facts.metadata)),
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------------------ execution


@dataclass(frozen=True)
class Event:
    """Progress: a step starts (run 0 of 0 for an untimed one), or one of its runs does."""

    phase: str
    argv: tuple[str, ...]
    run: int = 0
    runs: int = 0
    warmup: bool = False


@dataclass(frozen=True)
class Phase:
    """A timed step and what its runs produced."""

    step: Step
    measurement: Measurement
    units: tuple[cargo_mod.Units, ...] = ()  # builds, per run
    counts: nextest.Counts | None = None  # tests: the run with the most failures
    counts_varied: bool = False
    durations: dict[str, dict[str, float]] | None = None  # binary -> test -> median seconds


@dataclass(frozen=True)
class Result:
    plan: Plan
    started_at: float  # epoch seconds
    elapsed_s: float
    environment: dict[str, Any]
    phases: dict[str, Phase]
    disk: dict[str, disk_mod.OutputUsage]
    warnings: tuple[str, ...]

    @property
    def tests_failed(self) -> int:
        return sum(p.counts.failed for p in self.phases.values() if p.counts is not None)


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
    busy = _busy_warning(env_info)
    if busy:
        warnings.append(busy)
    # Our nextest config goes into the target dir only once cargo has made that dir: cargo writes
    # its CACHEDIR.TAG only into a target dir it creates itself, and without the tag nothing may
    # clean there.
    config_pending = plan.tool_config is not None

    listing: nextest.Listing | None = None
    phases: dict[str, Phase] = {}
    try:
        for step in plan.steps:
            if config_pending and plan.tool_config and _uses(step, plan.tool_config):
                write_atomic(plan.tool_config, plan.tool_config_text)
                config_pending = False
            if not step.timed:
                emit(Event(step.phase, step.argv))
                run = _untimed(step, plan=plan, env=env, stream_fd=stream_fd, clock=clock)
                if step.lists_tests:
                    listing = nextest.parse_list(run.stdout)
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
            warnings += _phase_warnings(phase, plan)
            if step.phase == "build.cold" and plan.scratch is not None:
                shutil.rmtree(plan.scratch, ignore_errors=True)  # now, not at the end: disk space
    finally:
        if plan.scratch is not None:
            shutil.rmtree(plan.scratch, ignore_errors=True)

    emit(Event("disk", ()))
    usage = disk_mod.measure_outputs(
        root=plan.root, cargo_dirs=plan.workspace.cargo_dirs, outputs=plan.outputs
    )
    return Result(
        plan=plan,
        started_at=started_at,
        elapsed_s=clock() - started,
        environment=env_info,
        phases=phases,
        disk=usage,
        warnings=tuple(warnings),
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
    )
    if run.exit_code != 0:
        raise CommandFailed(_failure(step, run, plan.root, streamed=stream_fd is not None))
    return run


def _timed(
    step: Step,
    *,
    plan: Plan,
    env: Mapping[str, str],
    stream_fd: int | None,
    clock: Callable[[], float],
    emit: Callable[[Event], None],
    listing: nextest.Listing | None,
) -> Phase:
    is_build = step.phase.startswith("build")
    is_nextest = step.phase == "tests" and plan.runner == NEXTEST
    before: Callable[[], None] | None = None
    if step.phase == "build.incremental":
        touch = plan.touch

        def before() -> None:
            cargo_mod.touch(touch, now_ns=time.time_ns())

    elif step.phase == "build.cold" and plan.scratch is not None:
        scratch = plan.scratch

        def before() -> None:
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)

    elif is_nextest and plan.junit is not None:
        junit = plan.junit

        def before() -> None:
            junit.unlink(missing_ok=True)

    cases: list[tuple[nextest.Case, ...]] = []
    counts: list[nextest.Counts | None] = []

    def after(run: Run) -> None:
        if is_nextest and plan.junit is not None:
            try:
                found = nextest.parse_junit(plan.junit.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                counts.append(None)
                return
            cases.append(found)
            counts.append(nextest.counts_from_junit(found, listing))
        elif step.phase.startswith("tests"):
            counts.append(nextest.parse_cargo_test(run.stdout))

    def on_run(i: int, n: int, warmup: bool) -> None:
        emit(Event(step.phase, step.argv, i, n, warmup))

    m = measure(
        step.argv,
        cwd=plan.root,
        env=env,
        extra_env=step.env,
        runs=step.runs,
        warmup=step.warmup,
        before=before,
        after=after,
        capture_stdout=is_build or (step.phase.startswith("tests") and not is_nextest),
        stream_fd=stream_fd,
        on_run=on_run,
        stop_on_failure=is_build,
        clock=clock,
    )
    streamed = stream_fd is not None
    if is_build:
        if not m.ok:
            raise CommandFailed(_failure(step, m.runs[-1], plan.root, streamed=streamed))
        units = tuple(cargo_mod.count_units(r.stdout) for r in m.runs)
        return Phase(step=step, measurement=m, units=units)
    # Tests: a run whose failures we cannot count did not run its tests at all.
    for run, count in zip(m.runs, counts, strict=True):
        if run.exit_code != 0 and (count is None or count.failed == 0):
            raise CommandFailed(_failure(step, run, plan.root, streamed=streamed))
    known = [c for c in counts if c is not None]
    worst = max(reversed(known), key=lambda c: c.failed) if known else None
    durations = nextest.median_durations(cases) if cases else None
    return Phase(
        step=step,
        measurement=m,
        counts=worst,
        counts_varied=len(set(known)) > 1,
        durations=durations,
    )


def _phase_warnings(phase: Phase, plan: Plan) -> list[str]:
    name = phase.step.phase
    found = []
    wall = phase.measurement.stats("wall_s")
    if wall is not None:
        for i in outliers(wall):
            if i == 0 and first_run_slow(wall):
                continue
            found.append(
                f"{name}: run {i + 1} took {wall.samples[i]:.3f} s, far from the median "
                f"{wall.median:.3f} s: the machine may have been busy"
            )
        if first_run_slow(wall):
            hint = " (try --warmup 1)" if phase.step.warmup == 0 else ""
            found.append(
                f"{name}: the first run took {wall.samples[0]:.3f} s against a median of "
                f"{wall.median:.3f} s: caches were cold{hint}"
            )
    if name == "build":
        note = cargo_mod.units_warning(name, phase.units)
    elif name == "build.incremental":
        note = cargo_mod.units_warning(name, phase.units, touched=relative(plan.touch, plan.root))
    else:
        note = None
    if note:
        found.append(note)
    if phase.counts_varied:
        found.append(
            f"{name}: the test counts differ between runs (flaky tests?); the run with "
            "the most failures is recorded"
        )
    if name == "tests" and plan.runner == NEXTEST and phase.durations is None:
        where = relative(plan.junit or Path(), plan.root)
        found.append(
            f"tests: nextest wrote no JUnit report at {where}: per-test durations are not recorded"
        )
    return found


def _busy_warning(env_info: Mapping[str, Any]) -> str | None:
    from perf_tasks.measure.compare import busy_note

    busy = busy_note(env_info)
    if busy is None:
        return None
    return f"the baseline started on {busy}: figures may be noisy"


def _failure(step: Step, run: Run, root: Path, *, streamed: bool) -> str:
    from perf_tasks.measure.record import shell_line

    code = run.exit_code
    how = f"exit {code}" if code >= 0 else f"killed by signal {-code}"
    head = f"`{shell_line(step.argv, root)}` failed ({how}) in {root}"
    if streamed or not run.tail:
        return head + (" (its output is above)" if streamed else "")
    return head + ":\n" + "\n".join(f"  {line}" for line in run.tail)


def _uses(step: Step, path: Path) -> bool:
    return any(str(path) in arg for arg in step.argv)


__all__ = ["Event", "Options", "Plan", "Result", "execute", "inspect", "options", "plan"]
