"""`invoke nextest.init`: a `ci` profile for cargo-nextest in `.config/nextest.toml`."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "dry_run": "Show the unified diff; write nothing",
}


@task(help=HELP)
def init(c, root=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Create or merge .config/nextest.toml's ci profile: no fail-fast, retries, timeouts, JUnit."""
    with task_edge(json=json):
        from perf_tasks.fs import guarded
        from perf_tasks.profiles import nextest_config as nextest
        from perf_tasks.ui import profiles_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        where = root_of(c, root)
        with guarded.editing(where, dry_run=dry_run):  # from the read to the rename
            edit = nextest.plan(where)
            if not dry_run:
                edit.write(where)
        view.render_edit(out, edit, dry_run=dry_run)


ns = Collection("nextest", init)
