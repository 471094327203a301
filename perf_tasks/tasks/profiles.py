"""`invoke profiles.show` and `profiles.apply`: the workspace's cargo profiles, read and written."""

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


COMPARE_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "a": "The profile to compare against (dev, release, one of Cargo.toml's or perf-tasks.toml's)",
    "b": "The profile measured against it (dev-fast, ci, ...)",
    "max_pairs": "The most pairs to run while a figure is undecided (default 12, at least 6)",
    "timeout": "Seconds one command may take before it is ended (default: no limit)",
}


@task(klass=CountingTask, help=COMPARE_HELP, positional=["a", "b"])
def compare(c, a=None, b=None, root=None, max_pairs=None, timeout=None, json=False):  # type: ignore[no-untyped-def]
    """Build and test with two profiles in pairs, in a scratch copy; recommend one, or not."""
    with task_edge(json=json) as out:
        from perf_tasks.experiments import profiles as experiment
        from perf_tasks.ui.baseline import progress

        request = experiment.Request.of(a, b, max_pairs, timeout)
        with progress(out) as reporting:
            done = experiment.run(context_of(c, root), request, progress=reporting)
        finish(out, done)


ns = Collection("profiles", show, apply, compare)
