"""The dry run: every command the baseline would run, in order."""

from __future__ import annotations

import shlex

from perf_tasks.measure.commands import Plan
from perf_tasks.measure.job import PlannedCompare, PlannedRecord
from perf_tasks.measure.shell import shell_line
from perf_tasks.ui.output import Output, show_path
from perf_tasks.ui.render import renders


@renders(PlannedRecord)
def render_planned_record(out: Output, planned: PlannedRecord) -> None:
    render_plan(out, planned.plan)


def render_plan(out: Output, plan: Plan, *, writes: bool = True) -> None:
    """The commands of `plan`, in order; `writes`: it would write the record (not for compare)."""
    out.line(f"dry run: the baseline of {plan.root} would run, from that dir:")
    for step in plan.steps:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env.items())
        command = shell_line(step.argv, plan.root)
        when = "untimed" if not step.timed else _runs_text(step.runs, step.warmup)
        extra = f"; before each run: {step.before}" if step.before else ""
        out.line(f"  {step.phase} ({when}{extra}): {env + ' ' if env else ''}{command}")
    names = ", ".join(["target", *plan.outputs])
    out.line(f"  disk: {names}")
    for note in plan.notes:
        out.line(f"note: {note}")
    if writes:
        where = show_path(plan.record_dir, plan.root)
        out.line(f"dry run: nothing was run; it would write {where}/")
    else:
        out.line("dry run: nothing was run; it would compare the fresh record with the reference")


@renders(PlannedCompare)
def render_compare_plan(out: Output, planned: PlannedCompare) -> None:
    """`baseline.compare --dry-run`: the fresh measurement's commands, or that none would run."""
    if planned.plan is not None:
        render_plan(out, planned.plan, writes=False)
        return
    paths = planned.paths
    out.line(f"dry run: would compare {paths.old} with {paths.new}; nothing would be measured")


def _runs_text(runs: int, warmup: int) -> str:
    text = f"{runs} run{'s' if runs != 1 else ''}"
    return text + (f" after {warmup} warmup" if warmup else "")
