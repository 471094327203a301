"""`invoke verify.record` / `verify.check`: prove that the tests pass the same before and after."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, context_of, finish, program_of, task_edge

RECORD_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "out": "Where to write the record (default: <root>/docs/performance/verify.json)",
}
CHECK_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "record": "The record to compare with (default: <root>/docs/performance/verify.json)",
    "before": "Instead of a record: run the tests of this git revision, in a scratch worktree",
    "after": "With --before: the revision to compare it with (default: the work tree as it is)",
}


@task(help=RECORD_HELP)
def record(c, root=None, out=None, json=False):  # type: ignore[no-untyped-def]
    """Run every test and doctest once; record the list and each test's outcome."""
    with task_edge(json=json) as output:
        from perf_tasks.ui.baseline import progress
        from perf_tasks.verify import job

        request = job.RecordRequest(out=out)
        with progress(output) as reporting:
            done = job.record(context_of(c, root), request, progress=reporting)
        finish(output, done)


@task(help=CHECK_HELP)
def check(c, root=None, record=None, before=None, after=None, json=False):  # type: ignore[no-untyped-def]
    """Run every test and doctest again; exit 1 if a test or an outcome differs from the record."""
    with task_edge(json=json) as out:
        from perf_tasks.ui.baseline import progress
        from perf_tasks.verify import job

        request = job.CheckRequest(program_of(c), record=record, before=before, after=after)
        with progress(out) as reporting:
            done = job.check(context_of(c, root), request, progress=reporting)
        finish(out, done)


ns = Collection("verify", record, check)
