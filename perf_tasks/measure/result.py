"""What running a plan produced: progress events, the timed phases, the whole result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import disk as disk_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.commands import Plan, Step
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.timing import Measurement


@dataclass(frozen=True)
class Event:
    """Progress: a step starts (run 0 of 0 for an untimed one), or one of its runs does."""

    phase: PhaseName | str
    argv: tuple[str, ...]
    run: int = 0
    runs: int = 0
    warmup: bool = False
    tests_done: int | None = None  # during a test run: the tests that ended so far
    tests_listed: int | None = None  # and how many the runner said it would run


@dataclass(frozen=True)
class Phase:
    """A timed step and what its runs produced."""

    step: Step
    measurement: Measurement
    units: tuple[cargo_mod.Units, ...] = ()  # builds, per run
    counts: nextest_runs.Counts | None = None  # tests: the run with the most failures
    counts_varied: bool = False
    varied: tuple[str, ...] = ()  # tests: `binary name` of each test whose outcome varied
    timed_out: tuple[str, ...] = ()  # tests: `binary name` of each test nextest ended as hung
    failing: tuple[str, ...] = ()  # tests: each test that failed in any run
    durations: dict[str, dict[str, float]] | None = None  # binary -> test -> median seconds
    durations_range: dict[str, dict[str, list[float]]] | None = None  # -> [min, max] seconds


@dataclass(frozen=True)
class Result:
    plan: Plan
    started_at: float  # epoch seconds
    elapsed_s: float
    environment: dict[str, Any]
    phases: dict[PhaseName, Phase]
    disk: dict[str, disk_mod.OutputUsage]
    warnings: tuple[str, ...]
    sources_changed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (phase, files edited in it)
    disk_added: dict[str, int] = field(default_factory=dict)  # output -> bytes the run added

    @property
    def tests_failed(self) -> int:
        return sum(p.counts.failed for p in self.phases.values() if p.counts is not None)
