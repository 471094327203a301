"""`invoke nextest.init`: a `ci` profile for cargo-nextest in `.config/nextest.toml`."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, context_of, finish, task_edge

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show the unified diff; write nothing",
}


@task(help=HELP)
def init(c, root=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Create or merge .config/nextest.toml's ci profile: no fail-fast, retries, timeouts, JUnit."""
    with task_edge(json=json) as out:
        from perf_tasks.profiles import job

        finish(out, job.nextest_init(context_of(c, root), dry_run=dry_run))


ns = Collection("nextest", init)
