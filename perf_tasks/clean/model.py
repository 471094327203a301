"""The data a cleaning run passes around: plans in, reports out. No behaviour lives here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 1

# Categories, as they appear in tables and JSON.
TARGET = "target"
BUILD = "build-dir"
STALE = "stale"  # a unit (hash) the configured commands no longer build
INCREMENTAL = "incremental"
PROFILE = "profile"  # a whole profile or triple dir the configured commands do not use
CARGO_OUTPUT = "cargo-output"  # target/tmp, target/package: cargo makes them again when needed
DOC = "doc"
NEXTEST = "nextest"
RUNS = "runs"
ARTIFACTS = "artifacts"
OUTPUT = "output"
TRASH = "unfinished"  # quarantine left by an interrupted run


@dataclass(frozen=True)
class Item:
    """One path to remove, with its size as `du` counts it and why it goes."""

    path: Path
    bytes: int
    files: int
    category: str
    reason: str


@dataclass(frozen=True)
class Skip:
    """A path we decided not to touch, and why."""

    path: Path
    reason: str
    blocking: bool = False  # the user asked for it to go and it cannot: the run is incomplete


@dataclass(frozen=True)
class Failure:
    path: Path
    error: str


@dataclass(frozen=True)
class Area:
    """A folder the run works in, for the closing line: its size before (and after)."""

    label: str
    path: Path
    bytes: int


@dataclass(frozen=True)
class Plan:
    mode: str
    root: Path
    items: tuple[Item, ...]
    skipped: tuple[Skip, ...]
    freed_bytes: int  # what removing every item gives back (a file counts when its last link goes)
    areas: tuple[Area, ...]
    # The same, per category: links across categories make these add up to more than freed_bytes.
    freed_by_category: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # things the user should know ("stale sweep: not yet", ...)
    scan_errors: tuple[Failure, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)  # mode-specific facts (stale sweep, ...)

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)


def by_category(items: Sequence[Item]) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for item in items:
        grouped.setdefault(item.category, []).append(item.path)
    return grouped


@dataclass(frozen=True)
class Report:
    plan: Plan
    dry_run: bool
    removed: tuple[Item, ...] = ()
    skipped: tuple[Skip, ...] = ()  # the plan's skips plus what apply refused
    errors: tuple[Failure, ...] = ()
    freed_bytes: int = 0
    freed_by_category: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    areas_after: tuple[Area, ...] = field(default=())
    extra: dict[str, object] = field(default_factory=dict)  # mode-specific facts (cargo home, ...)

    @property
    def ok(self) -> bool:
        """Nothing failed: every path could be read, nothing asked for is blocked (a mount
        point), and, unless a dry run, every item went."""
        if self.errors or self.plan.scan_errors or any(s.blocking for s in self.skipped):
            return False
        return self.dry_run or len(self.removed) == len(self.plan.items)

    @property
    def freed_shared_bytes(self) -> int:
        """What the run frees beyond the sum of each category alone: files whose links span
        categories (rustc links work products between `incremental/` and units) go only with
        all of them."""
        return max(0, self.freed_bytes - sum(self.freed_by_category.values()))
