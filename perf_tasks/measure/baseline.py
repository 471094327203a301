"""`invoke baseline` and `baseline.compare`: the functions their tasks call, one per step.

`prepare` inspects the workspace and plans every command (`measure/commands.py`); `record` runs the
plan (`measure/execute.py`) under the run lock, then writes baseline.json (`measure/record.py`) and
Baseline.md (`measure/report.py`); `compare` reads two records, or reads one and measures afresh
with its settings, and compares them (`measure/comparison.py`). Nothing here prints: progress
goes to the `Progress` callbacks, and each function returns a frozen result with `as_json()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import settings as settings_mod
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode
from perf_tasks.fs import guarded
from perf_tasks.fs.atomic import write_all_atomic
from perf_tasks.measure import record as record_mod
from perf_tasks.measure import report
from perf_tasks.measure.commands import (
    CARGO_TEST,
    JSON_FILE,
    MARKDOWN_FILE,
    NEXTEST,
    Options,
    Plan,
    Step,
    options,
    plan,
)
from perf_tasks.measure.comparison import Comparison
from perf_tasks.measure.comparison import compare as compare_records
from perf_tasks.measure.execute import execute
from perf_tasks.measure.read import read_record
from perf_tasks.measure.result import Event, Phase, Result
from perf_tasks.measure.schema import Record
from perf_tasks.progress import Progress
from perf_tasks.runlock import run_lock


@dataclass(frozen=True)
class Requested:
    """The counts a user asked for; None leaves the choice to the settings (or the reference)."""

    runs: int | None = None
    warmup: int | None = None
    cold: bool = False
    cold_runs: int | None = None
    timeout_s: int | None = None


def prepare(context: RunContext, *, requested: Requested) -> Plan:
    """Inspect the workspace and plan every command; counts not given come from the settings."""
    config = context.settings
    opts = options(
        config,
        runs=requested.runs,
        warmup=requested.warmup,
        cold=requested.cold,
        cold_runs=requested.cold_runs,
        timeout_s=requested.timeout_s,
    )
    return plan(context.inspection, config, opts)


def measure(plan: Plan, *, progress: Progress) -> Result:
    """Run the plan. A cleaning run meanwhile would skew it (and could delete what it builds)."""
    with run_lock(plan.root):
        return execute(plan, env=plan.env, on_event=progress.on_event, stream_fd=progress.stream_fd)


@dataclass(frozen=True)
class Recorded:
    """A baseline run: its record, and the files written (none when only measured)."""

    record: dict[str, Any]
    written: tuple[Path, ...]

    @property
    def ok(self) -> bool:
        return bool(self.record["ok"])

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.INCOMPLETE

    def as_json(self) -> dict[str, Any]:
        return self.record


def record(plan: Plan, *, progress: Progress, program: str) -> Recorded:
    """Measure, then write baseline.json and Baseline.md into the plan's record dir.

    `program` is what the user runs (`invoke`, `perf-tasks`): Baseline.md says how to reproduce."""
    data = record_mod.build(measure(plan, progress=progress))
    json_path, markdown_path = plan.record_dir / JSON_FILE, plan.record_dir / MARKDOWN_FILE
    # One unit: both files new, or both as they were (a full disk changes neither). They are
    # the workspace's committed files: written as every user's file is (fs/guarded.py).
    guarded.overwrite(
        plan.root,
        {
            json_path: record_mod.dumps(data),
            markdown_path: report.markdown(data, program=program),
        },
    )
    return Recorded(data, (json_path, markdown_path))


@dataclass(frozen=True)
class Compared:
    comparison: Comparison
    warnings: tuple[str, ...]  # those of a fresh measurement (outliers, a busy machine)
    reference: Record | None = None  # the old record, when the new one was measured here

    @property
    def exit_code(self) -> ExitCode:
        return self.comparison.exit_code

    def as_json(self) -> dict[str, Any]:
        return self.comparison.as_json()


@dataclass(frozen=True)
class RecordPaths:
    old: Path | None = None  # the reference; default: the workspace's baseline.json
    new: Path | None = None  # a second record; default: measure afresh
    save: Path | None = None  # where to also write the fresh record


def compare(
    context: RunContext | None,
    paths: RecordPaths,
    *,
    progress: Progress,
    program: str,
    requested: Requested = Requested(),
) -> Compared:
    """Compare `paths.new` (or a fresh measurement of `root`) with `paths.old` (or the workspace's
    record).

    Like with like: a fresh measurement takes the reference's runs, warmup and cold build unless
    `requested` says otherwise. `paths.save` also gets the fresh record; the reference is never
    overwritten. Without a `context` (a workspace), both records must be given.
    """
    if context is None:
        if paths.old is None or paths.new is None:
            raise ValueError("compare needs a workspace root unless both records are given")
        old, new = (
            record_mod.load(paths.old, program=program),
            record_mod.load(paths.new, program=program),
        )
        return Compared(compare_records(old, new), ())
    reference, fresh_plan = prepare_compare(context, paths, program=program, requested=requested)
    if fresh_plan is None:
        assert paths.new is not None
        return Compared(compare_records(reference, record_mod.load(paths.new, program=program)), ())
    fresh = record_mod.build(measure(fresh_plan, progress=progress))
    if paths.save is not None:
        write_all_atomic({paths.save: record_mod.dumps(fresh)})
    checked = read_record(fresh, source="the fresh measurement")
    return Compared(compare_records(reference, checked), checked.warnings, reference)


def prepare_compare(
    context: RunContext,
    paths: RecordPaths,
    *,
    program: str,
    requested: Requested = Requested(),
) -> tuple[Record, Plan | None]:
    """The reference, and the plan of the fresh measurement (None when `paths.new` is given)."""
    config = context.settings
    reference = record_mod.load(
        paths.old or context.root / config.baseline.dir / JSON_FILE, program=program
    )
    if paths.new is not None:
        return reference, None
    opts = options_like(
        reference,
        config,
        runs=requested.runs,
        warmup=requested.warmup,
        timeout_s=requested.timeout_s,
    )
    return reference, plan(context.inspection, config, opts)


def options_like(
    reference: Record,
    config: settings_mod.Settings,
    *,
    runs: int | None = None,
    warmup: int | None = None,
    timeout_s: int | None = None,
) -> Options:
    """The reference's runs, warmup and cold build, unless `runs` / `warmup` override them. The
    timeout is this machine's choice: `timeout_s`, else the settings."""
    was = reference.settings
    return options(
        config,
        runs=was.runs if runs is None else runs,
        warmup=was.warmup if warmup is None else warmup,
        cold=was.cold,
        cold_runs=was.cold_runs,
        timeout_s=timeout_s,
    )


__all__ = [
    "CARGO_TEST",
    "JSON_FILE",
    "MARKDOWN_FILE",
    "NEXTEST",
    "Compared",
    "Event",
    "Options",
    "Phase",
    "Plan",
    "Progress",
    "RecordPaths",
    "Recorded",
    "Requested",
    "Result",
    "Step",
    "compare",
    "execute",
    "measure",
    "options",
    "plan",
    "prepare",
    "prepare_compare",
    "record",
]
