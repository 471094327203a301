"""`invoke tests.runners`: cargo test against cargo nextest on this workspace, measured side by
side; a recommendation only outside the noise, and never when their outcomes differ."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import (
    JSON_HELP,
    ROOT_HELP,
    CountingTask,
    context_of,
    finish,
    program_of,
    task_edge,
)

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show every command it would run; run nothing",
    "max_pairs": "The most pairs to run while the wall time is undecided (default 12, at least 6)",
    "timeout": "Seconds one run of a command may take before it is ended (default: no limit)",
}


@task(klass=CountingTask, help=HELP)
def runners(c, root=None, max_pairs=None, timeout=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Time cargo test and nextest in pairs; recommend one, or show the tests they differ on."""
    with task_edge(json=json) as out:
        from perf_tasks.runners import recommend as compare
        from perf_tasks.ui.baseline import progress

        request = compare.Request.of(max_pairs, timeout, dry_run=dry_run)
        with progress(out) as reporting:
            done = compare.run(context_of(c, root), request, progress=reporting)
        finish(out, done)


ORDER_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "profile": "The nextest profile whose overrides get the priorities (default: ci)",
    "durations": "A JUnit report of nextest or a baseline.json (repeat to merge several; "
    "default: the last baseline record)",
    "dry_run": "Show the unified diff; write nothing",
    "measure": "Time the suite with and without the order in pairs; write it only on a clear gain",
    "max_pairs": "With --measure: the most pairs while the wall time is undecided (default 12)",
    "timeout": "With --measure: seconds one run may take before it is ended (default: no limit)",
}


@task(klass=CountingTask, help=ORDER_HELP, iterable=["durations"])
def order(  # type: ignore[no-untyped-def]
    c,
    root=None,
    profile=None,
    durations=None,
    dry_run=False,
    measure=False,
    max_pairs=None,
    timeout=None,
    json=False,
):
    """Start the slowest tests first: priority bands in .config/nextest.toml, from durations."""
    with task_edge(json=json) as out:
        from perf_tasks.testorder import job
        from perf_tasks.ui.baseline import progress

        request = job.Request.of(
            profile,
            durations,
            dry_run=dry_run,
            measure=measure,
            max_pairs=max_pairs,
            timeout_s=timeout,
            program=program_of(c),
        )
        with progress(out) as reporting:
            finish(out, job.order(context_of(c, root), request, progress=reporting))


ns = Collection("tests", runners, order)
