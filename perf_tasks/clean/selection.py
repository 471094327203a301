"""What a mode selects: candidate paths with a category and a reason, and the folders it works
in. `plan.build_plan` guards and sizes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks.clean.model import Skip
from perf_tasks.fs.scan import Scan


@dataclass(frozen=True)
class Candidate:
    path: Path
    category: str
    reason: str


@dataclass
class Selection:
    candidates: list[Candidate] = field(default_factory=list)
    areas: list[tuple[str, Path]] = field(default_factory=list)  # (label, folder)
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prescan: Scan | None = None  # a scan that may already cover what build_plan needs

    def extend(self, other: Selection) -> Selection:
        self.candidates += other.candidates
        self.areas += [a for a in other.areas if a not in self.areas]
        self.skipped += other.skipped
        self.notes += other.notes
        self.prescan = self.prescan or other.prescan
        return self


def label(root: Path, path: Path) -> str:
    try:
        return f"{path.relative_to(root).as_posix()}/"
    except ValueError:
        return f"{path}/"
