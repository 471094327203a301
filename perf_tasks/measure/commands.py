"""`invoke baseline`, first half: every command the baseline runs, decided without running any.

The order is fixed, so that no timed run pays for work it does not measure:

1. prepare, untimed: build the workspace and the test binaries;
2. build: warm (nothing to do), incremental (one source touched), cold (scratch dirs, on request);
3. tests: prepare the test binaries again (the touch made them stale), then the test run alone,
   then the doctests;
4. disk, last, so that it matches `du` afterwards.

`plan` is pure: an `Inspection` and the settings in, a `Plan` out.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from perf_tasks import settings as settings_mod
from perf_tasks.errors import ConfigError
from perf_tasks.inspection import Inspection
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.shell import shell_line
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
    timeout_s: int = 0  # one run of a command, at most; 0: no limit

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "warmup": self.warmup,
            "cold": self.cold,
            "cold_runs": self.cold_runs,
            "timeout_s": self.timeout_s,
        }


def options(
    config: Settings,
    *,
    runs: int | None = None,
    warmup: int | None = None,
    cold: bool = False,
    cold_runs: int | None = None,
    timeout_s: int | None = None,
) -> Options:
    """Flags over settings; checks that the counts make sense."""
    base = config.baseline
    chosen = Options(
        runs=base.runs if runs is None else runs,
        warmup=base.warmup if warmup is None else warmup,
        cold=cold,
        cold_runs=base.cold_runs if cold_runs is None else cold_runs,
        timeout_s=base.timeout if timeout_s is None else timeout_s,
    )
    if chosen.timeout_s < 0:
        raise ConfigError("the timeout cannot be negative (--timeout or [baseline] timeout)")
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

    phase: PhaseName
    argv: tuple[str, ...]
    timed: bool
    runs: int = 1
    warmup: int = 0
    env: Mapping[str, str] = field(default_factory=dict)  # set on top of the environment
    before: str = ""  # what happens before each run, untimed, in words
    lists_tests: bool = False  # its stdout is nextest's test list, to be read


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
    env: Mapping[str, str] = field(default_factory=dict)  # what every command runs with

    @property
    def root(self) -> Path:
        return self.workspace.root

    def step(self, phase: PhaseName | str) -> Step | None:
        return next((s for s in self.steps if s.phase == phase), None)

    def as_json(self) -> dict[str, Any]:
        """The dry run's document: every command, in order."""
        return {
            "dry_run": True,
            "root": str(self.root),
            "runner": self.runner,
            "nextest": self.nextest,
            "steps": [
                {
                    "phase": s.phase.value,
                    "command": shell_line(s.argv, self.root),
                    "timed": s.timed,
                    "runs": s.runs if s.timed else 1,
                    "warmup": s.warmup,
                    "env": dict(s.env),
                    "before_each_run": s.before or None,
                }
                for s in self.steps
            ],
            "disk": ["target", *self.outputs],
            "record_dir": relative(self.record_dir, self.root),
            "notes": list(self.notes),
        }


def nextest_commands(
    program: str, profile: str, tool_config: Path
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """nextest's commands (`nextest_runs.argv`, with its pinned flags): build the tests, list
    them, run them. A workspace without tests has a baseline too: nextest's default is to fail
    then."""

    def ours(action: Literal["build", "list", "run"], *args: str) -> tuple[str, ...]:
        return nextest_runs.argv(
            program, action, profile=profile, tool_config=tool_config, args=args
        )

    build = ours("build", "--workspace")
    listing = ours("list", "--workspace", "--message-format", "json")
    run = ours("run", "--workspace", "--no-tests=warn")
    return build, listing, run


def cargo_test_commands(cargo: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Without nextest: build the tests, run them."""
    return (
        (cargo, "test", "--workspace", "--tests", "--no-run"),
        (cargo, "test", "--workspace", "--tests", "--no-fail-fast"),
    )


def plan(inspection: Inspection, config: Settings, opts: Options) -> Plan:
    """Every command the baseline runs, in order. Pure."""
    ws = inspection.workspace
    base = config.baseline
    root = ws.root
    cargo = inspection.cargo
    build = cargo_mod.build_args(base.build, source=config.source)
    plain_build = tuple(a for a in build if a != cargo_mod.MESSAGE_FORMAT)
    record_rel = settings_mod.check_relative(base.dir, what="baseline.dir", source=config.source)
    if base.touch:
        rel = settings_mod.check_relative(base.touch, what="baseline.touch", source=config.source)
        touch = root / rel
    else:
        touch = cargo_mod.touch_candidate(inspection.metadata)
    touch_shown = relative(touch, root)
    notes: list[str] = []

    profile = base.test_profile
    if inspection.nextest is not None:
        runner = NEXTEST
        tool_config = ws.target_dir / TOOL_CONFIG_FILE
        # nextest keeps its store (and the JUnit report) in <workspace root>/target/nextest unless
        # told otherwise, whatever CARGO_TARGET_DIR says: our tool config tells it.
        store_dir = ws.target_dir / "nextest"
        own = nextest_runs.has_profile(inspection.nextest_config, profile)
        source = "workspace" if own else "perf-tasks"
        prepare_tests, list_tests, run_tests = nextest_commands(
            inspection.nextest_program, profile, tool_config
        )
        junit: Path | None = nextest_runs.junit_path(
            inspection.nextest_config, profile=profile, root=root, store_dir=store_dir
        )
        if own:
            notes.append(
                f"nextest profile `{profile}` comes from .config/nextest.toml; ours only fills "
                "in what it leaves unset (JUnit), and the command line sets "
                + " ".join(nextest_runs.PINNED_RUN)
            )
    else:
        runner = CARGO_TEST
        tool_config = None
        store_dir = None
        source = None
        junit = None
        prepare_tests, run_tests = cargo_test_commands(cargo)
        list_tests = None
        notes.append(
            "cargo-nextest is not installed: the tests run with `cargo test` instead, and "
            "per-test durations are not recorded (install it: cargo install cargo-nextest)"
        )
    doctests = cargo_mod.has_doctests(inspection.metadata)
    if not doctests:
        notes.append("no library with doctests: tests.doc is not measured")

    steps: list[Step] = [
        Step(PhaseName.PREPARE, (cargo, *plain_build), timed=False),
        Step(PhaseName.PREPARE, prepare_tests, timed=False),
    ]
    if list_tests is not None:
        steps.append(Step(PhaseName.PREPARE, list_tests, timed=False, lists_tests=True))
    steps += [
        Step(PhaseName.BUILD, (cargo, *build), timed=True, runs=opts.runs, warmup=opts.warmup),
        Step(
            PhaseName.BUILD_INCREMENTAL,
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
        scratch = inspection.tmp_dir / f"perf-tasks-cold-{digest}"
        steps.append(
            Step(
                PhaseName.BUILD_COLD,
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
        Step(PhaseName.PREPARE, prepare_tests, timed=False),
        Step(PhaseName.TESTS, run_tests, timed=True, runs=opts.runs, warmup=opts.warmup),
    ]
    if doctests:
        steps.append(
            Step(
                PhaseName.TESTS_DOC,
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
        nextest=inspection.nextest,
        profile=profile if runner == NEXTEST else None,
        profile_source=source,
        tool_config=tool_config,
        tool_config_text=(
            nextest_runs.tool_config(profile, store_dir=relative(store_dir, root))
            if store_dir is not None
            else ""
        ),
        junit=junit,
        touch=touch,
        has_doctests=doctests,
        scratch=scratch,
        outputs=outputs,
        record_dir=root / record_rel,
        members=tuple(cargo_mod.member_names(inspection.metadata)),
        notes=tuple(notes),
        env=inspection.env,
    )
