"""`doctor`'s one call: a frozen request in, a frozen result out. Gather the facts once, run every
area's checks over them, rank the findings, set the silenced ones aside. Nothing here prints."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from perf_tasks.context import RunContext
from perf_tasks.doctor import builds, ci, disk, tests
from perf_tasks.doctor.facts import Facts, Survey, gather
from perf_tasks.doctor.model import Finding, Silenced, ranked, split_silenced
from perf_tasks.errors import ExitCode

SCHEMA_VERSION = 1

Check = Callable[[Facts], Sequence[Finding]]
# The areas, in the order the text shows them when priorities tie.
AREAS: tuple[tuple[str, Check], ...] = (
    ("tests", tests.check),
    ("disk", disk.check),
    ("builds", builds.check),
    ("ci", ci.check),
)


@dataclass(frozen=True)
class Request:
    """Nothing to choose yet: the default doctor builds and runs nothing. (`--measure`, the
    measured checks, is not implemented.)"""


@dataclass(frozen=True)
class Diagnosis:
    root: str
    findings: tuple[Finding, ...]  # ranked: priority, level, impact
    silenced: tuple[Silenced, ...]
    missing: tuple[tuple[str, str], ...]  # facts that could not be read, and why
    unused_silences: tuple[str, ...]  # `[doctor] silence` ids that matched no finding
    elapsed_s: float

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INCOMPLETE if self.errors else ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        counts = {level: 0 for level in ("error", "warning", "note")}
        for f in self.findings:
            counts[f.level] += 1
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": not self.errors,
            "root": self.root,
            "counts": counts,
            "findings": [f.as_json() for f in self.findings],
            "silenced": [s.as_json() for s in self.silenced],
            "unused_silences": list(self.unused_silences),
            "missing": [{"fact": k, "why": v} for k, v in self.missing],
            "elapsed_s": round(self.elapsed_s, 3),
        }


def diagnose(context: RunContext, request: Request, *, survey: Survey | None) -> Diagnosis:
    """Every check of every area over one gathering of the facts. `survey`: the stale planner's
    dry run of the target dir (the task passes clean's; None leaves the disk unsurveyed)."""
    started = time.monotonic()
    facts = gather(context, survey=survey)
    found = [f for _area, check in AREAS for f in check(facts)]
    rules = [(rule.id, rule.reason) for rule in context.settings.doctor.silence]
    shown, silenced = split_silenced(ranked(found), rules)
    ids = {f.id for f in found}
    return Diagnosis(
        root=str(context.root),
        findings=shown,
        silenced=silenced,
        missing=tuple(sorted(facts.problems.items())),
        unused_silences=tuple(i for i, _ in rules if i not in ids),
        elapsed_s=time.monotonic() - started,
    )
