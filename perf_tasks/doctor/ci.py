"""Slow CI: the findings of `ci.audit` (perf_tasks/ci/audit/), with its priorities and fixes.
Its checks are not written twice: this only turns each of its findings into one of doctor's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from perf_tasks.doctor.facts import Facts
from perf_tasks.doctor.model import Evidence, Finding, Level, Priority
from perf_tasks.errors import PerfTasksError
from perf_tasks.paths import relative

Audit = Callable[[Path], Any]  # root -> an object with `findings`, as ci.audit's `audit`

# ci.audit's findings that doctor's tests area reports already, from the same scan of the
# workflows that also reads scripts, nextest's config and cargo's aliases: one finding per line.
SHOWN_ELSEWHERE = frozenset({"ci.include-ignored"})

PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3")
LEVELS: tuple[Level, ...] = ("error", "warning", "note")


def check(facts: Facts, *, audit: Audit | None = None) -> list[Finding]:
    if audit is None:
        from perf_tasks.ci.audit import audit as audit_workflows

        audit = audit_workflows
    try:
        result = audit(facts.root)
    except PerfTasksError as exc:  # a workflow it cannot read: said, and the other areas stand
        return [
            Finding(
                "ci.audit-failed",
                "P1",
                "note",
                "the CI workflows could not be audited",
                (Evidence(str(exc)),),
                "fix what the evidence names, then run `perf-tasks doctor` again",
            )
        ]
    return list(adapt(facts.root, result))


def adapt(root: Path, result: Any) -> Iterator[Finding]:
    """Each of ci.audit's findings as doctor's: its id (under `ci.`), priority, level, the file
    and line as evidence, its message and its fix."""
    for f in result.findings:
        if str(f.id) in SHOWN_ELSEWHERE:
            continue
        ident = str(f.id) if str(f.id).startswith("ci.") else f"ci.{f.id}"
        priority: Priority = next((p for p in PRIORITIES if p == f.priority), "P2")
        level: Level = next((v for v in LEVELS if v == f.level), "warning")
        path = Path(f.path)
        shown = relative(path if path.is_absolute() else root / path, root)
        yield Finding(
            ident,
            priority,
            level,
            str(f.message),
            (Evidence(str(f.message), shown, f.line),),
            str(f.fix),
        )
