"""`invoke monitor`: the daily job (measure, gates, disk budget, history, chart, report)."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import (
    JSON_HELP,
    ROOT_HELP,
    CountingTask,
    context_of,
    finish,
    path_of,
    program_of,
    task_edge,
)

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "record": "Use this baseline record instead of measuring afresh",
    "contract": "The contract (default: [gates] contract, benches/PERFORMANCE_CONTRACT.md)",
    "base": "The base of relative gates: a baseline record of this machine",
    "save": "Also write the fresh record to this path (CI uploads it)",
    "now": "The entry's time, ISO 8601 (default: when the record was measured)",
    "runs": "Timed runs of each command of the fresh measurement (default: [baseline] runs)",
    "verbose": "Stream the output of cargo and nextest as they run",
}


@task(klass=CountingTask, default=True, help=HELP)
def run(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    record=None,
    contract=None,
    base=None,
    now=None,
    save=None,
    runs=None,
    json=False,
    verbose=False,
):
    """Daily: measure, check gates and the disk budget, append the history, draw, report."""
    with task_edge(json=json, verbose=verbose) as out:
        from functools import partial

        from perf_tasks.clean.job import clean_over_budget
        from perf_tasks.monitor import job
        from perf_tasks.ui.baseline import progress

        where = context_of(c, root)
        paths = {"record": path_of(record), "contract": path_of(contract), "base": path_of(base)}
        request = job.MonitorRequest(program_of(c), **paths, now=now, save=path_of(save), runs=runs)
        dry = bool(c.config.run.dry)  # invoke's --dry: the clean over budget refuses, as its task
        clean = partial(clean_over_budget, where, invoke_dry=dry, on_status=out.line)
        with progress(out, verbose=verbose) as reporting:
            done = job.run(where, request, progress=reporting, clean=clean)
        finish(out, done)


ns = Collection("monitor", run)
