"""How `init` looks: the diff of a dry run, what a real run wrote."""

from __future__ import annotations

from perf_tasks.starter.job import Initialized
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders

_DONE = {"create": "created", "replace": "replaced", "update": "updated"}


@renders(Initialized)
def render_init(out: Output, done: Initialized) -> None:
    """A dry run prints the unified diff of each file that would change; a real run says what it
    wrote."""
    files = done.plan.files
    if done.request.dry_run:
        for f in files:
            if f.changes:
                out.console.file.write(f.unified_diff())
        said = [f"{f.action} {shown(f.shown)}" for f in files if f.changes]
        if said:
            out.line(f"dry run: would {'; '.join(said)}; nothing was written")
    for f in files:
        if f in done.written:
            out.line(f"{_DONE[f.action]} {shown(f.shown)}")
        elif not f.changes:
            out.line(f"{shown(f.shown)} is up to date")
    render_notes(out, done)


@renders(Initialized, beside_json="after")
def render_notes(out: Output, done: Initialized) -> None:
    if done.needs_force:
        out.warn(f"{shown(done.needs_force)}: writing it needs --force")
