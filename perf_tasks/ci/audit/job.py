"""The entry point of `ci.audit`: a request in, an `Audited` result out (the findings, and under
`--fix` the files changed, written through the guarded writer under the run lock)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.ci.audit import findings_of, fix, linter_findings, read_sources, sort, tools
from perf_tasks.ci.audit.model import ERROR, WARNING, Audit, Finding
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode, UsageError
from perf_tasks.fs import guarded

SCHEMA_VERSION = 1
LINTERS = ("actionlint", "zizmor")


@dataclass(frozen=True)
class AuditRequest:
    fix: bool = False  # make the safe rewrites
    dry_run: bool = False  # show the rewrites' diff; write nothing

    def __post_init__(self) -> None:
        if self.dry_run and not self.fix:
            raise UsageError("--dry-run shows what --fix would change: pass both")


@dataclass(frozen=True)
class Audited:
    root: Path
    audit: Audit
    changes: tuple[fix.Change, ...]  # planned (dry run) or written
    written: bool
    request: AuditRequest
    missing_linters: tuple[str, ...] = ()

    @property
    def fixed(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.changes for f in c.fixed)

    @property
    def remaining(self) -> tuple[Finding, ...]:
        """What is left once the changes are written (all of it in a dry run or without --fix)."""
        if not self.written:
            return self.audit.findings
        done = {id(f) for f in self.fixed}
        return tuple(f for f in self.audit.findings if id(f) not in done)

    @property
    def exit_code(self) -> int:
        """1 while a warning or an error is left, else 0."""
        left = any(f.level in (ERROR, WARNING) for f in self.remaining)
        return int(ExitCode.INCOMPLETE if left else ExitCode.OK)

    def as_json(self) -> dict[str, Any]:
        fixed = {id(f) for f in self.fixed}
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": self.exit_code == 0,
            "fix": self.request.fix,
            "dry_run": self.request.dry_run,
            "findings": [
                {**f.as_json(self.root), "fixed": id(f) in fixed and self.written}
                if self.request.fix
                else f.as_json(self.root)
                for f in self.audit.findings
            ],
            "files": [
                {"file": c.shown, "written": self.written, "diff": c.diff()} for c in self.changes
            ],
            "missing_linters": list(self.missing_linters),
        }


def run(context: RunContext, request: AuditRequest) -> Audited:
    """Audit the workflows; with `fix`, plan the rewrites, prove them, and (unless a dry run)
    write them under the run lock held from the read to the rename."""
    root, env = context.root, context.env
    missing = tuple(name for name in LINTERS if tools.available(name, env) is None)
    with guarded.editing(root, dry_run=not request.fix or request.dry_run):
        sources = read_sources(root)
        found = findings_of(root, sources)
        planned = fix.plan(sources, found) if request.fix else fix.Fix((), ())
        write = request.fix and not request.dry_run and bool(planned.changes)
        if write:
            guarded.write(root, [(c.before, c.new) for c in planned.changes])
    linted = linter_findings(root, sources, env)
    audit = Audit(sort((*found, *planned.refused, *linted)), tuple(s.path for s in sources))
    return Audited(root, audit, planned.changes, write, request, missing)
