"""How `ci.init` looks: the files (or their diffs) of a dry run, what a real run wrote, JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from perf_tasks.ui.output import Output, shown

if TYPE_CHECKING:
    from perf_tasks.ci.init import File, Plan

SCHEMA_VERSION = 1


def init_json(plan: Plan, written: Sequence[File], *, dry_run: bool, force: bool) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "ok": True,
        "dry_run": dry_run,
        "install": plan.options.install,
        "files": [
            {
                "file": f.shown,
                "action": f.action,
                "needs_force": f.exists and f.changes and not force,
                "written": f in written,
                "diff": f.diff(),
                "text": f.new,
            }
            for f in plan.files
        ],
        "notes": list(plan.notes),
    }


def render_init(
    out: Output, plan: Plan, written: Sequence[File], *, dry_run: bool, force: bool
) -> None:
    """A dry run prints each new file whole and each changed one as a diff; a real run says what
    it wrote."""
    if out.json:
        out.emit_json(init_json(plan, written, dry_run=dry_run, force=force))
    elif dry_run:
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
    for note in plan.notes:
        out.warn(shown(note))
