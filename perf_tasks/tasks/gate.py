"""`invoke gate`, `invoke contract.init`: the performance contract and its check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge
from perf_tasks.tasks.baseline import CountingTask, program_of

if TYPE_CHECKING:  # annotations only: loading the tasks stays light
    from perf_tasks.gates.check import GateReport
    from perf_tasks.ui.output import Output

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "contract": "The contract (default: [gates] contract, benches/PERFORMANCE_CONTRACT.md)",
    "record": "Check this baseline record instead of measuring afresh",
    "runs": "Timed runs of each command of the fresh measurement (default: [baseline] runs)",
    "verbose": "Stream the output of cargo and nextest as they run",
}
GATE_HELP = {
    **HELP,
    "base": "The base of relative gates: a baseline record of this machine (baseline.json)",
    "against": "The base of relative gates: a git revision, measured at the same time (A/B)",
    "save": "Also write the fresh record to this path",
    "max_pairs": "With --against: the most pairs the A/B runs while a metric is undecided "
    "(default 12, at least 6); it bounds the cold builds a build.cold row asks for",
}
INIT_HELP = {**HELP, "force": "Replace an existing contract"}


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


@task(klass=CountingTask, default=True, help=GATE_HELP)
def check(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    contract=None,
    record=None,
    base=None,
    against=None,
    save=None,
    runs=None,
    max_pairs=None,
    json=False,
    verbose=False,
):
    """Check a fresh measurement (or --record) against the contract's gates; exit 1 on a breach."""
    with task_edge(json=json):
        from perf_tasks.gates import job
        from perf_tasks.ui import baseline as baseline_view
        from perf_tasks.ui.baseline.ab import ab_progress
        from perf_tasks.ui.gate_view import render_gates
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        with baseline_view.progress(out, verbose=verbose) as progress, ab_progress(out) as ab:
            done = job.check(
                root_of(c, root),
                contract=_path(contract),
                record=_path(record),
                base=_path(base),
                against=against or None,
                save=_path(save),
                env=os.environ,
                runs=runs,
                progress=progress,
                program=program_of(c),
                on_ab_progress=ab,
                max_pairs=max_pairs,
            )
        render_gates(out, done.report, extra={"saved": str(done.saved) if done.saved else None})
        _github(out, done.report)
        if done.exit_code:
            raise Exit(code=int(done.exit_code))


def _github(out: Output, report: GateReport) -> None:
    """In GitHub Actions: the table into the job summary, an annotation per breach (capped)."""
    from perf_tasks.gates import github

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(github.step_summary(report))
        except OSError as exc:  # the verdict stands; the summary is a courtesy
            out.warn(
                f"cannot append the gate table to $GITHUB_STEP_SUMMARY ({summary}): "
                f"{exc.strerror or exc}"
            )
    if os.environ.get("GITHUB_ACTIONS"):
        for line in github.error_lines(report):
            out.line(line)


@task(klass=CountingTask, help=INIT_HELP)
def init(  # type: ignore[no-untyped-def]
    c, *, root=None, contract=None, record=None, runs=None, force=False, json=False, verbose=False
):
    """Write a starter contract from a fresh measurement (or --record); never over one (--force)."""
    with task_edge(json=json):
        from perf_tasks.gates import job
        from perf_tasks.paths import relative
        from perf_tasks.ui import baseline as baseline_view
        from perf_tasks.ui.gate_view import render_init
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        where = root_of(c, root)
        with baseline_view.progress(out, verbose=verbose) as progress:
            done = job.init(
                where,
                contract=_path(contract),
                record=_path(record),
                force=force,
                env=os.environ,
                runs=runs,
                progress=progress,
                program=program_of(c),
            )
        render_init(out, done, where=relative(done.path, where))


gate_ns = Collection("gate", check)
contract_ns = Collection("contract", init)
