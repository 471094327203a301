"""A baseline record as read back: typed and frozen (docs/baseline-record.md).

`measure/read.py` makes one from JSON, checking every field; None means "not measured".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from perf_tasks.measure.environment import COMPARABLE
from perf_tasks.measure.phases import TIMED, PhaseName


@dataclass(frozen=True)
class Stats:
    """The summary of a metric over the runs."""

    median: float
    mad: float = 0.0
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Units:
    compiled: int | None
    fresh: int | None


@dataclass(frozen=True)
class Counts:
    passed: int | None = None
    failed: int | None = None
    skipped: int | None = None
    ignored: int | None = None
    flaky: int | None = None  # passed after a retry

    def get(self, key: str) -> int | None:
        value: int | None = getattr(self, key)
        return value


@dataclass(frozen=True)
class Timed:
    """A timed phase: `build`, `build.incremental`, `build.cold`, `tests` or `tests.doc`."""

    command: str | None = None
    runs: int | None = None
    warmup: int | None = None
    wall_s: Stats | None = None
    cpu_s: Stats | None = None
    peak_tree_rss_bytes: Stats | None = None
    peak_process_rss_bytes: Stats | None = None
    peak_process_name: str | None = None
    units: Units | None = None  # builds
    counts: Counts | None = None  # tests
    # CPU seconds the rest of the machine used during each run (None where unknown)
    others_cpu_s: tuple[float | None, ...] = ()
    # tests: each test that failed in any run; each whose outcome was not the same in every run
    failing: tuple[str, ...] = ()
    varied: tuple[str, ...] = ()

    @property
    def contention(self) -> float | None:
        """How many cores the rest of the machine kept busy while this phase ran, in the median
        run; None when it was not measured."""
        known = sorted(x for x in self.others_cpu_s if x is not None)
        if not known or self.wall_s is None or self.wall_s.median <= 0:
            return None
        n = len(known)
        return (known[(n - 1) // 2] + known[n // 2]) / 2 / self.wall_s.median

    def stats(self, key: str) -> Stats | None:
        value: Stats | None = getattr(self, key)
        return value


@dataclass(frozen=True)
class Build:
    warm: Timed
    incremental: Timed | None = None
    cold: Timed | None = None
    touched: str | None = None  # the file the incremental build touches


@dataclass(frozen=True)
class Tests:
    run: Timed
    runner: str | None = None  # "nextest" or "cargo-test"
    profile: str | None = None
    profile_source: str | None = None  # "workspace" or "perf-tasks"
    doc: Timed | None = None
    durations: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # binary -> test
    tool_config: ToolConfig | None = None
    # binary -> test -> (fastest, slowest) over the runs; empty in records made before it existed
    durations_range: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolConfig:
    path: str
    text: str


@dataclass(frozen=True)
class Part:
    bytes: int
    files: int | None = None


@dataclass(frozen=True)
class ProfileUsage:
    bytes: int
    files: int | None
    parts: Mapping[str, Part]  # deps, build, incremental, other


@dataclass(frozen=True)
class DiskUsage:
    bytes: int
    files: int | None = None
    paths: tuple[str, ...] = ()
    exists: bool = True
    profiles: Mapping[str, ProfileUsage] = field(default_factory=dict)  # target only
    other: Part | None = None  # target only


@dataclass(frozen=True)
class Git:
    commit: str | None
    dirty: bool = False


@dataclass(frozen=True)
class Environment:
    cpu_model: str | None = None
    cpu_cores: int | None = None
    os: str | None = None
    rustc: str | None = None
    cargo: str | None = None
    nextest: str | None = None
    git: Git | None = None
    load_average: tuple[float, ...] | None = None
    cpu_cores_physical: int | None = None
    ram_bytes: int | None = None
    os_release: str | None = None
    kernel: str | None = None
    cargo_lock_sha256: str | None = None
    build_env: Mapping[str, str] = field(default_factory=dict)

    def comparable(self) -> dict[str, Any]:
        """The keys that must agree for a strict comparison (`environment.COMPARABLE`)."""
        return {key: getattr(self, key) for key in COMPARABLE}


@dataclass(frozen=True)
class Settings:
    """What the record was measured with."""

    runs: int | None = None
    warmup: int | None = None
    cold: bool = False
    cold_runs: int | None = None


@dataclass(frozen=True)
class Record:
    schema_version: int | None = None
    tool_version: str | None = None
    workspace_name: str | None = None
    started_at: str | None = None
    elapsed_s: float | None = None
    ok: bool | None = None
    settings: Settings = field(default_factory=Settings)
    environment: Environment = field(default_factory=Environment)
    build: Build | None = None
    tests: Tests | None = None
    disk: Mapping[str, DiskUsage] = field(default_factory=dict)  # before the measurement ran
    disk_added: Mapping[str, int] = field(default_factory=dict)  # what the measurement added
    warnings: tuple[str, ...] = ()

    def timed(self) -> list[tuple[PhaseName, Timed]]:
        """The timed phases the record has, in order."""
        return [(name, phase) for name in TIMED if (phase := self.phase(name)) is not None]

    def phase(self, name: PhaseName) -> Timed | None:
        """The figures of a timed phase, None when the record has none."""
        if name == PhaseName.BUILD:
            return self.build.warm if self.build else None
        if name == PhaseName.BUILD_INCREMENTAL:
            return self.build.incremental if self.build else None
        if name == PhaseName.BUILD_COLD:
            return self.build.cold if self.build else None
        if name == PhaseName.TESTS:
            return self.tests.run if self.tests else None
        if name == PhaseName.TESTS_DOC:
            return self.tests.doc if self.tests else None
        return None
