"""`invoke tests.runners`: cargo test against cargo nextest on this workspace, measured side by
side; a recommendation only outside the noise, and never when their outcomes differ."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge
from perf_tasks.tasks.baseline import CountingTask, _stoppable

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
    with task_edge(json=json), _stoppable(json=json):
        import os

        from perf_tasks.ab.engine import DEFAULT_MAX_PAIRS
        from perf_tasks.ab.stats import MIN_PAIRS
        from perf_tasks.errors import ExitCode, UsageError
        from perf_tasks.runners import recommend as compare
        from perf_tasks.ui.baseline.ab import ab_progress
        from perf_tasks.ui.output import Output
        from perf_tasks.ui.runners_view import render_plan, render_report

        pairs = DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
        if pairs < MIN_PAIRS:
            raise UsageError(
                f"--max-pairs {pairs} is too few: a 95% interval needs at least {MIN_PAIRS}"
            )
        out = Output(json=json)
        request = compare.Request(max_pairs=pairs, timeout_s=timeout or None)
        where = root_of(c, root)
        if dry_run:
            plan, _ = compare.plan(where, request, env=os.environ)
            return render_plan(out, plan)
        with ab_progress(out) as report:
            result = compare.compare_runners(where, request, env=os.environ, on_progress=report)
        render_report(out, result)
    if not result.ok:
        raise Exit(code=int(ExitCode.INCOMPLETE))


ns = Collection("tests", runners)
