"""How `ci.init` looks: the files (or their diffs) of a dry run, what a real run wrote, JSON."""

from __future__ import annotations

from perf_tasks.ci.init import Initialized
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders


@renders(Initialized)
def render_init(out: Output, done: Initialized) -> None:
    """A dry run prints each new file whole and each changed one as a diff; a real run says what
    it wrote."""
    plan, written, force = done.plan, done.written, done.request.force
    if done.request.dry_run:
        said = []
        for f in plan.files:
            if f.action == "create":
                out.line(f"==> {shown(f.shown)} (would create) <==")
                out.console.file.write(f.new)
                said.append(f"create {shown(f.shown)}")
            elif f.action == "replace":
                out.console.file.write(f.diff())
                needs = "" if force else ", needs --force"
                said.append(f"replace {shown(f.shown)}{needs}")
            else:
                out.line(f"{shown(f.shown)} is up to date")
        if said:
            out.line(f"dry run: would {'; '.join(said)}; nothing was written")
    else:
        for f in plan.files:
            if f in written:
                out.line(f"{'created' if f.action == 'create' else 'replaced'} {shown(f.shown)}")
            else:
                out.line(f"{shown(f.shown)} is up to date")
    for choice in plan.choices:
        out.line(shown(choice))
    render_notes(out, done)


@renders(Initialized, beside_json="after")
def render_notes(out: Output, done: Initialized) -> None:
    for note in done.plan.notes:
        out.warn(shown(note))
