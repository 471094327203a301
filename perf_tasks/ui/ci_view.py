"""How `ci.init` looks (the files, or their diffs, of a dry run; what a real run wrote) and how
`ci.audit` looks (its findings, each with its fix; the diff of --fix)."""

from __future__ import annotations

from perf_tasks.ci.audit.job import Audited
from perf_tasks.ci.init import Initialized
from perf_tasks.quantities import plural
from perf_tasks.ui.output import Output, show_path, shown
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


@renders(Audited)
def render_audit(out: Output, done: Audited) -> None:
    """Each finding as `file:line: level [id] (priority) message`, its fix below it; then the
    diff of a dry run, or what --fix wrote."""
    root = done.root
    fixed = {id(f) for f in done.fixed}
    for f in done.audit.findings:
        where = show_path(f.path, root) + (f":{f.line}" if f.line else "")
        tag = " (fixed)" if id(f) in fixed and done.written else ""
        out.line(f"{where}: {f.level} [{f.id}] {f.priority}{tag} {shown(f.message)}")
        if not tag:
            out.line(f"    fix: {shown(f.fix)}")
    if done.request.dry_run or done.written:
        for change in done.changes:
            out.console.file.write(change.diff())
    render_audit_summary(out, done)


@renders(Audited, beside_json="after")
def render_audit_summary(out: Output, done: Audited) -> None:
    files = len(done.audit.files)
    total = len(done.audit.findings)
    fixable = sum(1 for f in done.audit.findings if f.fixable)
    names = ", ".join(shown(c.shown) for c in done.changes)
    if done.written:
        out.line(f"fixed {plural(len(done.fixed), 'finding')}: wrote {names}")
    elif done.request.dry_run and done.changes:
        out.line(f"dry run: --fix would change {names}; nothing was written")
    elif done.request.fix:
        out.line("--fix: nothing to change")
    left = len(done.remaining)
    out.line(
        f"{plural(files, 'file')} audited: {plural(total, 'finding')}, {left} left"
        + (f", {fixable} fixable with --fix" if not done.request.fix and fixable else "")
    )
    for name in done.missing_linters:
        out.line(
            f"note: {name} is not on PATH: its checks were skipped (the `audit` extra installs it)"
        )
