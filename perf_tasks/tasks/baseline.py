"""`invoke baseline` and `invoke baseline.compare`: one performance record of the workspace."""

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
    "runs": "Timed runs of each command (default 3, or [baseline] runs)",
    "warmup": "Untimed runs before the timed ones (default 0, or [baseline] warmup)",
    "verbose": "Stream the output of cargo and nextest as they run",
    "timeout": "Seconds one run of a command may take before it and its processes are ended "
    "(default 3600, or [baseline] timeout; 0: no limit)",
}
RECORD_HELP = {
    **HELP,
    "dry_run": "Show every command the baseline would run; run nothing",
    "cold": "Also time a build from scratch, in scratch dirs (your target dir is untouched)",
    "cold_runs": "Runs of the cold build (default 1, or [baseline] cold_runs)",
}
COMPARE_HELP = {
    **HELP,
    "old": "The reference record (default: the workspace's docs/performance/baseline.json)",
    "new": "A second record to compare, instead of measuring afresh",
    "save": "Also write the fresh record to this path (the reference is never overwritten)",
    "runs": "Timed runs of each command (default: as many as the reference had)",
    "warmup": "Untimed runs before the timed ones (default: as the reference had)",
    "dry_run": "Show every command the fresh measurement would run; run nothing",
    "against": "Measure the work tree against this git revision (HEAD, origin/main, a commit), "
    "now, in interleaved pairs, built in a scratch worktree; instead of a record",
    "confirm": "Confirm a suspected time regression by a same-time A/B against the record's "
    "revision before failing (default); --no-confirm lets the record comparison decide alone",
    "max_pairs": "With --against (or a confirmation): the most pairs to run while a metric is "
    "undecided (default 12, at least 6)",
    "cold": "With --against: time cold builds too (each from an empty target dir), in both arms",
    "max_minutes": "MINUTES (2.5 is fine): how long the A/B's timed runs may take (its screen "
    "always runs): no pair "
    "starts that would end past them; what is still in doubt is reported undecided (exit 1 only "
    "for a decided regression)",
    "screen": "Screen with the first pair and pair only what is in doubt (default); --no-screen "
    "measures everything in every pair, every figure to 6 pairs",
}


@task(klass=CountingTask, default=True, help=RECORD_HELP)
def record(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    runs=None,
    warmup=None,
    cold=False,
    cold_runs=None,
    timeout=None,
    dry_run=False,
    json=False,
    verbose=False,
):
    """Record disk, build and test times, CPU and RAM in docs/performance/ (Baseline.md + JSON)."""
    with task_edge(json=json, verbose=verbose) as out:
        from perf_tasks.measure import job
        from perf_tasks.measure.baseline import Requested
        from perf_tasks.ui.baseline import progress

        asked = Requested(runs, warmup, cold=cold, cold_runs=cold_runs, timeout_s=timeout)
        request = job.RecordRequest(asked, program_of(c), dry_run=dry_run)
        with progress(out, verbose=verbose) as reporting:
            done = job.record(context_of(c, root), request, progress=reporting)
        finish(out, done)


@task(klass=CountingTask, help=COMPARE_HELP)
def compare(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    old=None,
    new=None,
    runs=None,
    warmup=None,
    save=None,
    timeout=None,
    against=None,
    max_pairs=None,
    confirm=True,
    cold=False,
    max_minutes=None,
    screen=True,
    dry_run=False,
    json=False,
    verbose=False,
):
    """Compare with the record or --against a revision; exit 1 on a regression."""
    with task_edge(json=json, verbose=verbose) as out:
        from perf_tasks.measure import job
        from perf_tasks.measure.baseline import RecordPaths, Requested
        from perf_tasks.ui.baseline import progress

        paths = RecordPaths(old=path_of(old), new=path_of(new), save=path_of(save))
        asked = Requested(runs=runs, warmup=warmup, timeout_s=timeout)
        ab = {"max_pairs": max_pairs, "max_minutes": max_minutes, "screen": screen}
        request = job.CompareRequest(
            paths, asked, program_of(c), against, cold, confirm, dry_run=dry_run, **ab
        )
        where = context_of(c, root) if request.needs_workspace else None
        with progress(out, verbose=verbose) as reporting:
            done = job.compare(where, request, progress=reporting)
        finish(out, done)


ns = Collection("baseline", record, compare)
