"""The entry point of `ci.audit`: a request in, an `Audited` result out (the findings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.ci.audit import findings_of, linter_findings, read_sources, sort, tools
from perf_tasks.ci.audit.model import ERROR, WARNING, Audit
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode

SCHEMA_VERSION = 1
LINTERS = ("actionlint", "zizmor")


@dataclass(frozen=True)
class AuditRequest:
    pass


@dataclass(frozen=True)
class Audited:
    root: Path
    audit: Audit
    request: AuditRequest
    missing_linters: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """1 while a warning or an error is found, else 0."""
        left = any(f.level in (ERROR, WARNING) for f in self.audit.findings)
        return int(ExitCode.INCOMPLETE if left else ExitCode.OK)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": self.exit_code == 0,
            "findings": [f.as_json(self.root) for f in self.audit.findings],
            "missing_linters": list(self.missing_linters),
        }


def run(context: RunContext, request: AuditRequest) -> Audited:
    """Audit the workflows and composite actions; what the linters say about them."""
    root, env = context.root, context.env
    missing = tuple(name for name in LINTERS if tools.available(name, env) is None)
    sources = read_sources(root)
    found = findings_of(root, sources)
    linted = linter_findings(root, sources, env)
    audit = Audit(sort((*found, *linted)), tuple(s.path for s in sources))
    return Audited(root, audit, request, missing)
