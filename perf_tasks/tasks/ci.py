"""`invoke ci.init`: GitHub Actions workflows for the workspace (ci.yml and monitoring.yml);
`invoke ci.audit`: what is slow or wasteful in the workflows already there, the safe part fixed."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import (
    JSON_HELP,
    ROOT_HELP,
    CountingTask,
    context_of,
    finish,
    task_edge,
)

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show both files (a diff for one already there); write nothing",
    "force": "Replace workflow files that are already there",
    "install": "pip requirement CI installs perf-tasks with ([ci] install, else this version)",
    "use_action": "Install perf-tasks with its GitHub action instead: OWNER/REPO@<commit>",
    "shards": "Run the tests in N shards: build and archive once, N jobs, doctests, a merge",
}


@task(klass=CountingTask, help=HELP)
def init(  # type: ignore[no-untyped-def]
    c, root=None, install=None, use_action=None, force=False, dry_run=False, json=False, shards=None
):
    """Write GitHub workflows: ci.yml (path-filtered, cached) and monitoring.yml."""
    with task_edge(json=json) as out:
        from perf_tasks.ci import init as ci_init

        request = ci_init.InitRequest(
            install=install, force=force, dry_run=dry_run, use_action=use_action, shards=shards
        )
        finish(out, ci_init.init(context_of(c, root), request))


AUDIT_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "fix": "Make the safe rewrites (cache keys, restore-keys, retention-days, path filters)",
    "dry_run": "With --fix: show the rewrites as a diff; write nothing",
}


@task(help=AUDIT_HELP)
def audit(c, root=None, fix=False, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Audit the GitHub workflows: caches, retention, path filters, tests; --fix the safe part."""
    with task_edge(json=json) as out:
        from perf_tasks.ci.audit import job

        request = job.AuditRequest(fix=fix, dry_run=dry_run)
        finish(out, job.run(context_of(c, root), request))


ns = Collection("ci", init, audit)
