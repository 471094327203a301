"""Per-test durations from what earlier runs left: a baseline record, or JUnit reports of CI runs.

The one source of durations for everything that plans from them (`tests.slow`, `tests.shard`,
`tests.order`, `doctor`): ask `load()`; never read a record's `durations` or a JUnit file
yourself. A test is named as nextest names it: its binary id and its name.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.errors import ConfigError, UsageError
from perf_tasks.measure.nextest_runs import Case, parse_junit, run_wall
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.schema import Record

MAX_JUNIT_BYTES = 256 * 1024 * 1024  # a report of a large suite runs to tens of MB


@dataclass(frozen=True)
class TestTime:
    binary: str  # nextest's binary id: "demo-core", "demo-core::core_api"
    name: str
    seconds: float  # the median over the runs that ran it

    @property
    def id(self) -> str:
        """`binary name`, as nextest prints a test."""
        return f"{self.binary} {self.name}"


@dataclass(frozen=True)
class Durations:
    tests: tuple[TestTime, ...]  # slowest first; ties by id, so the order is stable
    sources: tuple[str, ...]  # the files they came from
    failed: frozenset[str] = frozenset()  # ids of tests that failed in a run read
    # The whole run's wall time (the median over the sources that say it); None when none does.
    wall_s: float | None = None

    @property
    def total_s(self) -> float:
        return sum(t.seconds for t in self.tests)

    def by_id(self) -> dict[str, TestTime]:
        return {t.id: t for t in self.tests}


def load(
    root: Path,
    files: Sequence[Path] = (),
    *,
    program: str = "perf-tasks",
    missing_ok: bool = False,
) -> Durations:
    """Durations from `files` (JUnit reports, or baseline records ending in `.json`, merged), or
    from the workspace's last baseline record when no file is given. `missing_ok`: no file given
    and no record is no durations at all (a first plan), not an error; a file given must be
    there."""
    if files:
        return merged([_read(path, program=program) for path in files])
    from perf_tasks import settings
    from perf_tasks.measure.commands import JSON_FILE

    path = root / settings.load(root).baseline.dir / JSON_FILE
    if path.is_symlink() and not path.exists():
        raise ConfigError(
            f"{path} is a symlink to {os.readlink(path)}, which does not exist: restore the "
            "record, or remove the link"
        )
    # Only a record that is not there at all is "no durations": a folder, a FIFO or a device
    # there is an error of its own (from the reader), never a plan made without its durations.
    if not os.path.lexists(path):
        if missing_ok:
            return Durations((), ())
        raise UsageError(
            f"no durations: no baseline record at {path}; run `{program} baseline`, or pass "
            "--durations FILE (a JUnit report of nextest, or a baseline.json)"
        )
    return _read(path, program=program)


def from_record(record: Record, *, source: str) -> Durations:
    per_binary = record.tests.durations if record.tests is not None else {}
    tests = [
        TestTime(binary, name, seconds)
        for binary, per_test in per_binary.items()
        for name, seconds in per_test.items()
    ]
    phase = record.phase(PhaseName.TESTS)
    failing = phase.failing if phase is not None else ()
    wall = phase.wall_s.median if phase is not None and phase.wall_s is not None else None
    return Durations(_slowest_first(tests), (source,), frozenset(failing), wall)


def from_cases(
    runs: Iterable[Iterable[Case]], *, sources: Sequence[str], wall_s: float | None = None
) -> Durations:
    """Several runs of JUnit cases: each test's median over the runs that ran it (skipped cases
    carry no time)."""
    times: dict[tuple[str, str], list[float]] = {}
    failed: set[str] = set()
    for cases in runs:
        for case in cases:
            if case.status == "skipped" or case.bad_time is not None:
                continue  # no time to plan from
            times.setdefault((case.binary, case.name), []).append(case.time_s)
            if case.status == "failed":
                failed.add(case.id)
    tests = [
        TestTime(binary, name, round(statistics.median(values), 3))
        for (binary, name), values in times.items()
    ]
    return Durations(_slowest_first(tests), tuple(sources), frozenset(failed), wall_s)


def merged(parts: Sequence[Durations]) -> Durations:
    """One test in several sources: the median of its times there."""
    times: dict[tuple[str, str], list[float]] = {}
    for part in parts:
        for test in part.tests:
            times.setdefault((test.binary, test.name), []).append(test.seconds)
    tests = [
        TestTime(binary, name, round(statistics.median(values), 3))
        for (binary, name), values in times.items()
    ]
    sources = tuple(source for part in parts for source in part.sources)
    failed = frozenset().union(*(part.failed for part in parts))
    walls = [part.wall_s for part in parts if part.wall_s is not None]
    wall = round(statistics.median(walls), 3) if walls else None
    return Durations(_slowest_first(tests), sources, failed, wall)


def _read(path: Path, *, program: str) -> Durations:
    if path.suffix == ".json":
        from perf_tasks.measure import record as record_mod

        return from_record(record_mod.load(path, program=program), source=str(path))
    from perf_tasks.fs.regular import read_input

    missing = UsageError(f"no durations file at {path}: pass a JUnit report or a baseline.json")
    text = read_input(path, kind="a JUnit report", missing=missing, limit=MAX_JUNIT_BYTES)
    try:
        cases = parse_junit(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    untimed = next((case for case in cases if case.bad_time is not None), None)
    if untimed is not None:
        # A plan from a time that is no duration (NaN sorts anywhere, -1 or infinity shares
        # wrongly) would be wrong without saying so: the report is refused, naming the test.
        raise ConfigError(
            f"{path}: test {untimed.id}: {untimed.bad_time}; pass a JUnit report of nextest"
        )
    return from_cases([cases], sources=[str(path)], wall_s=run_wall(text))


def _slowest_first(tests: Iterable[TestTime]) -> tuple[TestTime, ...]:
    return tuple(sorted(tests, key=lambda t: (-t.seconds, t.id)))
