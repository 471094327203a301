"""`invoke profiles.show` and `profiles.apply`: the workspace's cargo profiles, read and written."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, context_of, finish, task_edge

SHOW_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "config": "A `--config` as you pass it to cargo (KEY=VALUE or a file); repeat for more",
}
APPLY_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "profile": "Profiles to write: dev-fast, ci, or a [profiles.<name>] of perf-tasks.toml; "
    "repeat the flag or separate names by commas (--profile dev-fast,ci)",
    "dry_run": "Show the unified diff; write nothing",
}


@task(default=True, help=SHOW_HELP, iterable=["config"])
def show(c, root=None, json=False, config=None):  # type: ignore[no-untyped-def]
    """Show the profiles cargo builds with, inherits resolved, and where each value is set."""
    with task_edge(json=json) as out:
        from pathlib import Path

        from perf_tasks.profiles import job

        request = job.ShowRequest(tuple(config or ()))
        finish(out, job.show(context_of(c, root), request, cwd=Path.cwd()))


@task(help=APPLY_HELP, iterable=["profile"])
def apply(c, root=None, profile=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Add or update [profile.*] in the workspace root's Cargo.toml; nothing else changes."""
    with task_edge(json=json) as out:
        from perf_tasks.profiles import job

        request = job.ApplyRequest(tuple(profile or ()), dry_run=dry_run)
        finish(out, job.apply(context_of(c, root), request))


ns = Collection("profiles", show, apply)
