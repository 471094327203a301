"""What the audit finds and what it would change: findings, and the splices that fix them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

P1, P2, P3 = "P1", "P2", "P3"  # caches and retention; conditional execution and tests; the linters
ERROR, WARNING, NOTE = "error", "warning", "note"
LEVELS = (NOTE, WARNING, ERROR)


@dataclass(frozen=True)
class Splice:
    """One change to one file's text: `text` in place of `[start, end)` (character offsets in the
    text as read, BOM set aside). `node` is the YAML node the change is meant to touch, `kind` how
    ("set": a scalar's new value; "add": a key added to a mapping; "append": an item added to a
    sequence), and `value` the YAML text of what the re-parsed file must then hold there."""

    path: Path
    start: int
    end: int
    text: str
    kind: str
    node: Any = field(compare=False, repr=False)
    key: str | None = None  # the key an "add" adds
    value: object = None  # what the re-parsed node must hold: parse.data's shape


@dataclass(frozen=True)
class Finding:
    """One thing to change in a workflow: where, how urgent, and the exact change or command."""

    id: str  # stable: "ci.cache-key-differs"
    priority: str  # "P1", "P2", "P3"
    level: str  # "error", "warning", "note"
    path: Path
    line: int | None  # 1-based; None when the finding is about the whole file
    message: str
    fix: str  # the exact change to make, or the command to run
    job: str | None = None
    fixable: bool = False  # `--fix` makes this change itself
    splices: tuple[Splice, ...] = field(default=(), compare=False, repr=False)

    def as_json(self, root: Path) -> dict[str, Any]:
        from perf_tasks.paths import relative

        return {
            "id": self.id,
            "priority": self.priority,
            "level": self.level,
            "file": relative(self.path, root),
            "line": self.line,
            "job": self.job,
            "message": self.message,
            "fix": self.fix,
            "fixable": self.fixable,
        }


@dataclass(frozen=True)
class Audit:
    """Every finding over the workspace's workflows and composite actions, in file and line
    order; `files` are the files read."""

    findings: tuple[Finding, ...]
    files: tuple[Path, ...] = ()

    def worst(self) -> str | None:
        """The highest level found ("error" > "warning" > "note"), None when nothing was found."""
        levels = {f.level for f in self.findings}
        return next((level for level in reversed(LEVELS) if level in levels), None)
