"""A finding of `doctor`, as data: what is wrong, how we know, what it costs, what fixes it.

Checks are small pure functions over the gathered facts (`facts.py`) that return findings; one
module per area (`tests.py`, `disk.py`, `builds.py`, `ci.py`). Nothing here reads or prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Priority = Literal["P1", "P2", "P3"]  # the team's: P1 caches, retention, parallelism; P2 profile
# tuning, conditional execution; P3 refactors
Level = Literal["error", "warning", "note"]

LEVELS: tuple[Level, ...] = ("error", "warning", "note")


@dataclass(frozen=True)
class Evidence:
    """One fact a finding rests on: the figure or text, and where it was read."""

    text: str
    source: str = ""  # a file relative to the root, "environment", "the last record", ...
    line: int | None = None

    @property
    def where(self) -> str:
        if not self.source:
            return ""
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source or None, "line": self.line}


@dataclass(frozen=True)
class Impact:
    """What the finding costs: time or bytes, measured or estimated (`text` says from what)."""

    text: str
    seconds: float | None = None
    bytes: int | None = None
    measured: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "seconds": self.seconds,
            "bytes": self.bytes,
            "measured": self.measured,
        }


NO_IMPACT = Impact("not measured")


@dataclass(frozen=True)
class Finding:
    id: str  # stable: "disk.target-over-budget"
    priority: Priority
    level: Level
    title: str  # one line: what is wrong
    evidence: tuple[Evidence, ...]
    fix: str  # the exact command, or the exact text to change in which file
    impact: Impact = NO_IMPACT

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "priority": self.priority,
            "level": self.level,
            "title": self.title,
            "evidence": [e.as_json() for e in self.evidence],
            "impact": self.impact.as_json(),
            "fix": self.fix,
        }


def ranked(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """By priority, then level (errors first), then impact (seconds, then bytes; larger first),
    then id: the same findings always come in the same order."""

    def order(f: Finding) -> tuple[str, int, float, float, str]:
        seconds = f.impact.seconds or 0.0
        size = float(f.impact.bytes or 0)
        return (f.priority, LEVELS.index(f.level), -seconds, -size, f.id)

    return tuple(sorted(findings, key=order))


@dataclass(frozen=True)
class Silenced:
    """A finding the workspace has decided to live with (`[doctor] silence`), and why."""

    finding: Finding
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {**self.finding.as_json(), "silenced": self.reason}


def split_silenced(
    findings: Sequence[Finding], silence: Sequence[tuple[str, str]]
) -> tuple[tuple[Finding, ...], tuple[Silenced, ...]]:
    """The findings still shown, and those silenced by id (with the reason)."""
    reasons = dict(silence)
    shown = tuple(f for f in findings if f.id not in reasons)
    quiet = tuple(Silenced(f, reasons[f.id]) for f in findings if f.id in reasons)
    return shown, quiet
