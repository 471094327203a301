"""`perf-tasks init`: the starter perf-tasks.toml of a workspace (and its .gitignore lines)."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, context_of, finish, task_edge

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show the unified diff of each file; write nothing",
    "force": "Replace a perf-tasks.toml already there (or write one beside [tool.perf-tasks])",
    "gitignore": "Also add the records of one machine (docs/performance/) to .gitignore",
}


@task(default=True, help=HELP)
def workspace(c, root=None, gitignore=False, force=False, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Write a starter perf-tasks.toml: every key at its default, commented, with what it does."""
    with task_edge(json=json) as out:
        from perf_tasks.starter import job

        request = job.InitRequest(gitignore=gitignore, force=force, dry_run=dry_run)
        finish(out, job.init(context_of(c, root), request))


ns = Collection("init", workspace)
