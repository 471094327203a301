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
    path_of,
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


SHARD_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "shards": "Plan this many shards from the measured durations",
    "durations": "A JUnit report of nextest or a baseline.json to plan from (repeatable; "
    "default: the last baseline record)",
    "plan": "The plan file (default: shard-plan.json in [baseline] dir)",
    "run": "Run shard K of N (`2/4`) of the plan with nextest",
    "archive": "With --run: the nextest archive to run from (`cargo nextest archive`)",
    "out": "With --run: the folder its JUnit report goes to (default: target/perf-tasks-shards)",
}


@task(klass=CountingTask, help=SHARD_HELP, iterable=["durations"])
def shard(  # type: ignore[no-untyped-def]
    c,
    root=None,
    shards=None,
    durations=None,
    plan=None,
    run=None,
    archive=None,
    out=None,
    json=False,
):
    """Plan duration-balanced shards of the tests (--shards N), or run one (--run K/N)."""
    with task_edge(json=json) as output:
        from perf_tasks.shards import job

        if run is None:
            request = job.PlanRequest.of(shards, durations, path_of(plan), run_only=(archive, out))
            finish(output, job.plan(context_of(c, root), request, program=program_of(c)))
        else:
            ask = job.RunRequest.of(
                run, path_of(plan), path_of(archive), path_of(out), plan_only=(shards, durations)
            )
            finish(output, job.run(context_of(c, root), ask))


MERGE_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "shards": "How many shards ran: each one's report must be there",
    "reports": "The folder of the shards' junit-K-of-N.xml (default: target/perf-tasks-shards)",
    "archive": "List the tests (the ignored ones too) from this nextest archive",
    "doctests": "The doctest job's output (`cargo test --doc --workspace`), for their outcomes",
    "out": "Where the record goes (default: record.json beside the reports)",
}


@task(klass=CountingTask, help=MERGE_HELP)
def merge(  # type: ignore[no-untyped-def]
    c, root=None, shards=None, reports=None, archive=None, doctests=None, out=None, json=False
):
    """Merge the shards' reports into one record of the run, for gate, monitor and the next plan."""
    with task_edge(json=json) as output:
        from perf_tasks.shards import job

        paths = (path_of(reports), path_of(archive), path_of(doctests), path_of(out))
        finish(output, job.merge(context_of(c, root), job.MergeRequest.of(shards, *paths)))


AFFECTED_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "base": "The revision to count changes from (its merge base with HEAD), e.g. origin/main",
    "run": "Run the affected tests with nextest",
    "dry_run": "With --run: show the nextest command; run nothing",
}


@task(help=AFFECTED_HELP)
def affected(c, base=None, run=False, root=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """The packages a change since --base can affect, as a nextest filterset; --run runs it."""
    with task_edge(json=json) as out:
        from perf_tasks.testsuite import affected as selection
        from perf_tasks.ui.baseline import stream_fd

        request = selection.Request(base or "", run=run, dry_run=dry_run)
        finish(out, selection.affected(context_of(c, root), request, stream_fd=stream_fd(out)))


@task(help={"root": ROOT_HELP, "json": JSON_HELP})
def ignored(c, root=None, json=False):  # type: ignore[no-untyped-def]
    """Every ignored test (nextest's list) and doctest, by package, with its #[ignore] reason."""
    with task_edge(json=json) as out:
        from perf_tasks.testsuite import ignored as listing

        finish(out, listing.ignored(context_of(c, root)))


SLOW_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "top": "How many of the slowest tests to show (default 10)",
    "durations": "A JUnit report of nextest or a baseline.json (repeat for several; default: the "
    "last baseline record)",
}


@task(klass=CountingTask, iterable=["durations"], help=SLOW_HELP)
def slow(c, top=None, durations=None, root=None, json=False):  # type: ignore[no-untyped-def]
    """The slowest tests, and any over nextest's slow-timeout, with their share of the wall time."""
    with task_edge(json=json) as out:
        from perf_tasks.testsuite import slow as slowest

        request = slowest.Request.of(top, durations)
        finish(out, slowest.slow(context_of(c, root), request, program=program_of(c)))


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


ns = Collection("tests", runners, shard, merge, affected, ignored, slow, order)
