"""`invoke profiles.show` and `profiles.apply`: the workspace's cargo profiles, read and written."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge

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
    with task_edge(json=json):
        import os
        from pathlib import Path

        from perf_tasks.profiles import apply, resolve
        from perf_tasks.ui import profiles_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        path = root_of(c, root)
        if not (path / apply.MANIFEST).is_file():
            from perf_tasks.errors import WorkspaceError

            raise WorkspaceError(f"no Cargo.toml in {path}: pass --root with a Rust workspace")
        apply.check_is_workspace_root(path, env=os.environ)
        configs = list(config or ())
        resolved = resolve.resolve(path, env=os.environ, config_args=configs, cwd=Path.cwd())
        ignored = apply.members_with_profiles(path, env=os.environ)
        view.render_show(out, resolved, notes=[apply.ignored_note(ignored)] if ignored else [])


@task(help=APPLY_HELP, iterable=["profile"])
def apply(c, root=None, profile=None, dry_run=False, json=False):  # type: ignore[no-untyped-def]
    """Add or update [profile.*] in the workspace root's Cargo.toml; nothing else changes."""
    with task_edge(json=json):
        import os

        from perf_tasks import settings
        from perf_tasks.fs import guarded
        from perf_tasks.profiles import apply as apply_mod
        from perf_tasks.ui import profiles_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        path = root_of(c, root)
        requested = apply_mod.names(list(profile or ()))
        profiles = apply_mod.wanted(requested, settings.load(path))
        with guarded.editing(path, dry_run=dry_run):  # from the read to the rename
            edit = apply_mod.plan(path, profiles)
            apply_mod.check_is_workspace_root(path, env=os.environ)
            ignored = apply_mod.members_with_profiles(path, env=os.environ)
            if not dry_run:
                edit.write(path)
        notes = [apply_mod.ignored_note(ignored)] if ignored else []
        view.render_edit(out, edit, dry_run=dry_run, notes=notes)


ns = Collection("profiles", show, apply)
