"""`invoke ci.init`: GitHub Actions workflows for the workspace (ci.yml and monitoring.yml)."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show both files (a diff for one already there); write nothing",
    "force": "Replace workflow files that are already there",
    "install": "pip requirement CI installs perf-tasks with ([ci] install, else this version)",
}


@task(help=HELP)
def init(c, root=None, install=None, force=False, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Write GitHub workflows: ci.yml (path-filtered, cached) and monitoring.yml."""
    with task_edge(json=json):
        from perf_tasks.ci import init as ci_init
        from perf_tasks.fs import guarded
        from perf_tasks.ui import ci_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        where = root_of(c, root)
        with guarded.editing(where, dry_run=dry_run):  # from the read to the rename
            plan = ci_init.plan(where, install=install)
            written = () if dry_run else ci_init.write(plan, force=force)
        view.render_init(out, plan, written, dry_run=dry_run, force=force)


ns = Collection("ci", init)
