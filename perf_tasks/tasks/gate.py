"""`invoke gate`: check a measurement against the performance contract's gates."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import (
    CountingTask,
    context_of,
    finish,
    path_of,
    program_of,
    task_edge,
)
from perf_tasks.tasks.contract import CONTRACT_HELP

HELP = {
    **CONTRACT_HELP,
    "record": "Check this baseline record instead of measuring afresh",
    "base": "The base of relative gates: a baseline record of this machine (baseline.json)",
    "against": "The base of relative gates: a git revision, measured at the same time (A/B)",
    "save": "Also write the fresh record to this path",
    "max_pairs": "With --against: the most pairs the A/B runs while a metric is undecided "
    "(default 12, at least 6); it bounds the cold builds a build.cold row asks for",
    "max_minutes": "MINUTES (2.5 is fine), with --against: how long the A/B's timed runs may take "
    "(its screen always runs); a row still in doubt then passes, marked undecided",
}


@task(klass=CountingTask, default=True, help=HELP)
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
    max_minutes=None,
    json=False,
    verbose=False,
):
    """Check a fresh measurement (or --record) against the contract's gates; exit 1 on a breach."""
    with task_edge(json=json, verbose=verbose) as out:
        from perf_tasks.gates import job
        from perf_tasks.ui.baseline import progress

        paths = {"contract": path_of(contract), "record": path_of(record), "base": path_of(base)}
        request = job.GateRequest(
            program_of(c),
            **paths,
            against=against or None,
            save=path_of(save),
            runs=runs,
            max_pairs=max_pairs,
            max_minutes=max_minutes,
        )
        with progress(out, verbose=verbose) as reporting:
            done = job.check(context_of(c, root), request, progress=reporting)
        finish(out, done)


ns = Collection("gate", check)
