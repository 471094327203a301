"""`invoke doctor`: the team's diagnostics checklist in one command, findings ranked P1/P2/P3
with their evidence and the exact fix. Builds and runs nothing."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, context_of, finish, task_edge

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "verbose": "Show every piece of evidence, each impact, and the facts that could not be read",
}


@task(default=True, help=HELP)
def run(c, root=None, json=False, verbose=False):  # type: ignore[no-untyped-def]
    """Check tests, disk, builds and CI against the team's checklist; exit 1 on an error."""
    with task_edge(json=json, verbose=verbose) as out:
        from functools import partial

        from perf_tasks.clean.job import survey_target
        from perf_tasks.doctor import job

        where = context_of(c, root)
        survey = partial(survey_target, where)
        finish(out, job.diagnose(where, job.Request(), survey=survey))


ns = Collection("doctor", run)
