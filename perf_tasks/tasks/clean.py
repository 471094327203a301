"""`invoke clean*`: free disk space that the workspace's builds and runs left behind."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import DRY_RUN_HELP, JSON_HELP, ROOT_HELP, root_of, task_edge

HELP = {
    "root": ROOT_HELP,
    "dry_run": DRY_RUN_HELP,
    "json": JSON_HELP,
    "verbose": "List every item and skip",
    "force": "Also clean profiles that a running cargo build holds",
}
STALE_HELP = {
    "build": "Run the configured cargo commands first, letting them compile (see [stale] commands)",
    "shared": "Also sweep a target dir outside the workspace root (a shared CARGO_TARGET_DIR)",
}
# Deleting more than this is worth a progress bar.
_LARGE_BYTES = 500 * 10**6
_LARGE_FILES = 20_000


def _clean(
    c: Context,
    mode: str,
    *,
    root: str | None,
    dry_run: bool,
    json: bool,
    verbose: bool,
    force: bool,
    ask: bool = False,
    build: bool = False,
    shared: bool | None = None,
    within_budget: bool = False,
) -> None:
    with task_edge(json=json):
        import dataclasses
        import os
        import time
        from contextlib import nullcontext

        from perf_tasks import settings as settings_mod
        from perf_tasks import workspace
        from perf_tasks.clean import run, stale
        from perf_tasks.clean.safety import Guard
        from perf_tasks.errors import ExitCode
        from perf_tasks.runlock import run_lock
        from perf_tasks.ui.clean_view import render
        from perf_tasks.ui.output import Output
        from perf_tasks.units import format_bytes

        out = Output(json=json)
        check_flags(c, dry_run=dry_run, build=build, ask=ask, can_ask=out.can_ask)
        path = root_of(c, root)
        config = settings_mod.load(path)
        ws = workspace.load(path)
        guard = Guard.for_workspace(ws, config)
        options = stale.Options(
            build=build, shared=shared, env=dict(os.environ), on_status=out.line
        )
        # A real run holds the workspace so that two of them (two cron jobs) never collide.
        with nullcontext() if dry_run else run_lock(ws.root):
            plan, scanned = run.plan(
                mode,
                guard,
                config,
                now=time.time(),
                force=force,
                stale_options=options,
                within_budget=within_budget,
            )
            if ask and not dry_run and plan.items:
                question = (
                    f"Remove {len(plan.items)} items ({format_bytes(plan.bytes)}) under {ws.root}?"
                )
                if not out.confirm(question):
                    raise Exit("nothing removed", code=int(ExitCode.INCOMPLETE))
            large = plan.bytes >= _LARGE_BYTES or sum(i.files for i in plan.items) >= _LARGE_FILES
            with out.progress("removing", large=large and not dry_run) as progress:
                report = run.execute(
                    plan, scanned, guard, dry_run=dry_run, force=force, progress=progress
                )
        if mode == "cache":
            extras = run.cache_extras(os.environ, now=time.time())
            report = dataclasses.replace(report, extra=extras)
        render(out, report, verbose=verbose)
        if not report.ok:  # unreadable, not removed, or blocked (a mount point); dry run too
            raise Exit(code=int(ExitCode.INCOMPLETE))
        if build and run.build_failed(report):
            raise Exit(code=1)  # the build the user asked for failed; the note says why


def check_flags(c: Context, *, dry_run: bool, build: bool, ask: bool, can_ask: bool) -> None:
    """Refuse, before any work, the runs that could delete what the user did not mean to."""
    from perf_tasks.errors import UsageError

    if c.config.run.dry and not dry_run:
        raise UsageError(
            "invoke's --dry only echoes commands; it does not stop a deletion. "
            "Use --dry-run to see the plan"
        )
    if dry_run and build:
        raise UsageError("--build compiles, and a dry run never does: pass one of them")
    if ask and not dry_run and not can_ask:
        raise UsageError(
            "clean.nuke asks before it removes everything, and there is no terminal to ask on: "
            "pass --yes"
        )


@task(default=True, help={**HELP, **STALE_HELP})
def routine(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    dry_run=False,
    json=False,
    verbose=False,
    force=False,
    build=False,
    shared=False,
):
    """Routine cleanup: stale units, stale incremental caches, old runs and artifacts."""
    _clean(
        c,
        "routine",
        root=root,
        dry_run=dry_run,
        json=json,
        verbose=verbose,
        force=force,
        build=build,
        shared=shared or None,
    )


@task(help={**HELP, "yes": "Remove without asking; needed where there is no terminal"})
def nuke(c, root=None, dry_run=False, json=False, verbose=False, force=False, yes=False):  # type: ignore[no-untyped-def]
    """Remove all the workspace generates: target and build dirs, output/scg, cache, artifacts."""
    _clean(
        c, "nuke", root=root, dry_run=dry_run, json=json, verbose=verbose, force=force, ask=not yes
    )


@task(help=HELP)
def runs(c, root=None, dry_run=False, json=False, verbose=False, force=False):  # type: ignore[no-untyped-def]
    """Remove old run folders under output/scg/ (keep the newest 10 and any under 14 days old)."""
    _clean(c, "runs", root=root, dry_run=dry_run, json=json, verbose=verbose, force=force)


@task(help=HELP)
def artifacts(c, root=None, dry_run=False, json=False, verbose=False, force=False):  # type: ignore[no-untyped-def]
    """Apply artifact retention under artifacts/ (benchmarks 7 d, test reports 7 d, data 14 d)."""
    _clean(c, "artifacts", root=root, dry_run=dry_run, json=json, verbose=verbose, force=force)


@task(help=HELP)
def cache(c, root=None, dry_run=False, json=False, verbose=False, force=False):  # type: ignore[no-untyped-def]
    """Remove incremental caches, nextest's store and doc/; report what ~/.cargo holds."""
    _clean(c, "cache", root=root, dry_run=dry_run, json=json, verbose=verbose, force=force)


@task(
    help={
        **HELP,
        **STALE_HELP,
        "force": "Clean even when the target dir is within its budget ([budgets] target)",
    }
)
def target(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    dry_run=False,
    json=False,
    verbose=False,
    force=False,
    build=False,
    shared=False,
):
    """Bring the target dir under its budget: stale units, then unused profiles, largest first."""
    _clean(
        c,
        "target",
        root=root,
        dry_run=dry_run,
        json=json,
        verbose=verbose,
        force=False,  # a running build's profiles stay untouched here: --force means the budget
        build=build,
        shared=shared or None,
        within_budget=force,
    )


ns = Collection("clean", routine, nuke, runs, artifacts, cache, target)
