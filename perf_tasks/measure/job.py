"""`baseline` and `baseline.compare`, each one call: a frozen request in, a frozen result out.

`record` plans and (unless a dry run) measures and writes the record. `compare` takes one of three
paths: two records; the reference against a fresh measurement (whose suspected time regressions a
same-time A/B against the record's revision confirms); or `--against REF`, an A/B alone. Usage
errors come first, before anything is inspected or measured. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from perf_tasks.ab.against import AgainstPlan
from perf_tasks.ab.engine import DEFAULT_MAX_PAIRS, Outcome
from perf_tasks.ab.stats import MIN_PAIRS
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode, UsageError
from perf_tasks.measure import baseline
from perf_tasks.measure.baseline import Progress, RecordPaths, Requested
from perf_tasks.measure.commands import Plan
from perf_tasks.measure.comparison import Comparison


@dataclass(frozen=True)
class RecordRequest:
    requested: Requested
    program: str  # what the user runs: Baseline.md says how to reproduce
    dry_run: bool = False


@dataclass(frozen=True)
class PlannedRecord:
    """`baseline --dry-run`: every command the baseline would run, and the record it would write."""

    plan: Plan
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return self.plan.as_json()


def record(
    context: RunContext, request: RecordRequest, *, progress: Progress
) -> PlannedRecord | baseline.Recorded:
    """The plan (a dry run) or the record measured and written (`baseline.Recorded`)."""
    plan = baseline.prepare(context, requested=request.requested)
    if request.dry_run:
        return PlannedRecord(plan)
    return baseline.record(plan, progress=progress, program=request.program)


@dataclass(frozen=True)
class CompareRequest:
    paths: RecordPaths
    requested: Requested
    program: str
    against: str | None = None  # a git revision: an A/B instead of a record
    cold: bool = False  # with `against`: time cold builds too
    confirm: bool = True  # confirm a suspected time regression by an A/B before failing
    max_pairs: int | None = None
    dry_run: bool = False
    max_minutes: float | None = None  # bounds the A/B's pairs after its screen
    screen: bool = True  # False: every pair of the A/B measures everything

    @property
    def max_seconds(self) -> float | None:
        return None if self.max_minutes is None else self.max_minutes * 60.0

    @property
    def needs_workspace(self) -> bool:
        """Two records given are compared without one."""
        return self.against is not None or not (self.paths.old and self.paths.new)

    @property
    def pairs(self) -> int:
        return DEFAULT_MAX_PAIRS if self.max_pairs is None else self.max_pairs

    def __post_init__(self) -> None:
        _check_compare(self)


def _check_compare(request: CompareRequest) -> None:
    """The flags that do not go together: one line, exit 2, before the workspace is looked for."""
    if request.cold and request.against is None:
        raise UsageError(
            "--cold asks the A/B of --against REF for cold builds; against a record, the "
            "record's own settings decide (record one with `baseline --cold`)"
        )
    if request.max_minutes is not None and not request.max_minutes > 0:
        raise UsageError(
            f"--max-minutes {request.max_minutes:g} leaves no time: give a positive number"
        )
    if request.against is None:
        return
    paths, requested = request.paths, request.requested
    clashes = {"--old": paths.old, "--new": paths.new, "--save": paths.save}
    given = [f for f, value in {**clashes, "--runs": requested.runs}.items() if value is not None]
    if given:
        raise UsageError(
            f"--against measures both sides afresh; leave out {', '.join(given)}, or compare "
            "records without --against"
        )
    if request.pairs < MIN_PAIRS:
        raise UsageError(
            f"--max-pairs {request.pairs} is too few: a 95% interval needs at least {MIN_PAIRS}"
        )


@dataclass(frozen=True)
class PlannedCompare:
    """`baseline.compare --dry-run`: the fresh measurement's commands, or none (two records)."""

    plan: Plan | None
    paths: RecordPaths
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        if self.plan is not None:
            return self.plan.as_json()
        old, new = str(self.paths.old), str(self.paths.new)
        return {"dry_run": True, "old": old, "new": new, "steps": []}


@dataclass(frozen=True)
class CompareDone:
    """A comparison of two records, after the confirmation A/B when one ran."""

    comparison: Comparison
    warnings: tuple[str, ...]  # those of a fresh measurement (outliers, a busy machine)
    confirmation: Outcome | None = None

    @property
    def exit_code(self) -> ExitCode:
        return self.comparison.exit_code

    def as_json(self) -> dict[str, Any]:
        return self.comparison.as_json()


def compare(
    context: RunContext | None, request: CompareRequest, *, progress: Progress
) -> PlannedCompare | AgainstPlan | Outcome | CompareDone:
    """A dry run's plan, an A/B `Outcome` (`--against`), or a `CompareDone`. `context` is None
    only when two records are given (`needs_workspace`)."""
    if request.against is not None:
        assert context is not None
        return _against(context, request, progress=progress)
    paths, program, requested = request.paths, request.program, request.requested
    if request.dry_run:
        fresh = None
        if context is not None:
            _, fresh = baseline.prepare_compare(
                context, paths, program=program, requested=requested
            )
        return PlannedCompare(fresh, paths)
    done = baseline.compare(context, paths, requested=requested, progress=progress, program=program)
    if done.reference is None or not request.confirm or context is None:
        return CompareDone(done.comparison, done.warnings)
    return _confirmed(context, done, request, progress=progress)


def _confirmed(
    context: RunContext, done: baseline.Compared, request: CompareRequest, *, progress: Progress
) -> CompareDone:
    """The comparison after confirming its time regressions, with the A/B that did (if one ran)."""
    from perf_tasks.ab.confirm import confirm

    assert done.reference is not None
    confirmed = confirm(
        context,
        done.comparison,
        done.reference,
        max_pairs=request.pairs,
        timeout_s=request.requested.timeout_s,
        max_seconds=request.max_seconds,
        screen=request.screen,
        on_progress=progress.on_pair,
    )
    if confirmed.outcome is None:
        return CompareDone(confirmed.comparison, done.warnings)
    attached = replace(confirmed.comparison, confirmation=confirmed.outcome.as_json())
    return CompareDone(attached, done.warnings, confirmed.outcome)


def _against(
    context: RunContext, request: CompareRequest, *, progress: Progress
) -> AgainstPlan | Outcome:
    from perf_tasks.ab import against as ab

    ab_request = ab.Request(
        ref=str(request.against),
        max_pairs=request.pairs,
        timeout_s=request.requested.timeout_s,
        cold=request.cold,
        screen=request.screen,
        max_seconds=request.max_seconds,
    )
    if request.dry_run:
        return ab.plan_against(context, ab_request)
    return ab.compare_against(context, ab_request, on_progress=progress.on_pair)
