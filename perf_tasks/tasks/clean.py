"""`invoke clean*`: free disk space that the workspace's builds and runs left behind."""

from __future__ import annotations

from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.tasks import task

from perf_tasks.tasks._edge import DRY_RUN_HELP, JSON_HELP, ROOT_HELP, context_of, finish, task_edge

HELP = {
    "root": ROOT_HELP,
    "dry_run": DRY_RUN_HELP,
    "json": JSON_HELP,
    "verbose": "List every item and skip",
    "force": "Also clean profile dirs that a running cargo build holds",
}
# clean.runs and clean.artifacts work outside cargo's profile dirs: no --force for them.
PLAIN_HELP = {k: v for k, v in HELP.items() if k != "force"}
SHARED_HELP = {
    "shared": "Also clean a target or build dir outside the workspace root (maybe shared with "
    "other workspaces: a common CARGO_TARGET_DIR)",
}
STALE_HELP = {
    "build": "Run the configured cargo commands first, letting them compile (see [stale] commands)",
    **SHARED_HELP,
}


def _clean(
    c: Context, mode: str, *, root: str | None, json: bool, verbose: bool, **flags: Any
) -> None:
    """One cleaning run: the policy is in clean/job; asking and the progress bar are the UI's."""
    with task_edge(json=json, verbose=verbose) as out:
        from perf_tasks.clean import job

        done = job.clean(
            context_of(c, root),
            job.Request(mode, **flags),
            invoke_dry=bool(c.config.run.dry),
            on_status=out.line,
            confirm=out.confirm if out.can_ask else None,
            progress=lambda large: out.progress("removing", large=large),
        )
        finish(out, done)


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
    flags = {"dry_run": dry_run, "force": force, "build": build, "shared": shared or None}
    _clean(c, "routine", root=root, json=json, verbose=verbose, **flags)


@task(
    help={**HELP, **SHARED_HELP, "yes": "Remove without asking; needed where there is no terminal"}
)
def nuke(  # type: ignore[no-untyped-def]
    c, root=None, dry_run=False, json=False, verbose=False, force=False, yes=False, shared=False
):
    """Remove all the workspace generates: target and build dirs, output/scg, cache, artifacts."""
    flags = {"dry_run": dry_run, "force": force, "ask": not yes, "shared": shared or None}
    _clean(c, "nuke", root=root, json=json, verbose=verbose, **flags)


@task(help=PLAIN_HELP)
def runs(c, root=None, dry_run=False, json=False, verbose=False):  # type: ignore[no-untyped-def]
    """Remove old run folders under output/scg/ (keep the newest 10 and any under 14 days old)."""
    _clean(c, "runs", root=root, json=json, verbose=verbose, dry_run=dry_run)


@task(help=PLAIN_HELP)
def artifacts(c, root=None, dry_run=False, json=False, verbose=False):  # type: ignore[no-untyped-def]
    """Apply artifact retention under artifacts/ (benchmarks 7 d, test reports 7 d, data 14 d)."""
    _clean(c, "artifacts", root=root, json=json, verbose=verbose, dry_run=dry_run)


@task(help={**HELP, **SHARED_HELP})
def cache(c, root=None, dry_run=False, json=False, verbose=False, force=False, shared=False):  # type: ignore[no-untyped-def]
    """Remove incremental caches, nextest's store and doc/; report what ~/.cargo holds."""
    flags = {"dry_run": dry_run, "force": force, "shared": shared or None}
    _clean(c, "cache", root=root, json=json, verbose=verbose, **flags)


@task(
    help={
        **PLAIN_HELP,
        **STALE_HELP,
        "force": "Also remove every profile, triple, doc/, tmp/ and nextest store the configured "
        "commands do not use, whatever the budget",
        "budget": "The target dir's budget for this run, e.g. '2 GB' "
        "(default: [budgets] target, 5 GB)",
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
    budget=None,
):
    """Bring the target dir under its budget: stale units, then unused profiles, largest first."""
    # A running build's profiles stay untouched here: --force is about the budget.
    flags = {"dry_run": dry_run, "build": build, "shared": shared or None}
    flags |= {"within_budget": force, "budget": budget}
    _clean(c, "target", root=root, json=json, verbose=verbose, **flags)


ns = Collection("clean", routine, nuke, runs, artifacts, cache, target)
