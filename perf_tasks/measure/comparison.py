"""Compare two baseline records, metric by metric, and say which changes are outside the noise.

Records may come from different times, so the bands are wide and each kind of figure has its own
(docs/usage/compare.md):

- CPU time (user + sys of the whole tree): the main signal, as it moves least when the machine
  is busy. Band: max(20% of the old median, 3 x the larger MAD, 50 ms).
- wall time: band max(15% of the old median, 3 x the larger MAD, 50 ms), and the two runs' spreads
  must not overlap (the fastest new run slower than the slowest old one). It does not count when
  the new measurement had more of the machine taken by other processes (0.25 cores or more) than
  the old one: it is then shown as "worse", with a note.
- sampled RAM peaks: max(5%, 3 x the larger MAD, 1 MiB); shown, never counted.
- disk bytes: max(1% of the old value, 1 MiB);
- test counts (and the units a warm build compiles): any change.

What can fail the comparison (exit 1) is a regression outside the noise in a CPU or wall time, a
disk size, a test count or the warm build's units, and, always, a failing, flaky or newly ignored
test in the new record (`measure/outcomes.py`). A suspected time regression is confirmed by a
same-time A/B against the record's revision when git has it (`ab/confirm.py`); this module only
compares two records.

When the two environments differ (CPU, toolchain, test runner), the comparison is advisory: time
and disk changes are shown but do not fail it; test counts still do. When only the build
environment differs (`RUSTFLAGS`, `CARGO_INCREMENTAL`, `CARGO_TARGET_DIR`, ...), the verdicts it
affects are advisory: the times, and the target dir's size. Pure: records in, a `Comparison` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perf_tasks.errors import ExitCode
from perf_tasks.measure.environment import busy_note, differences, is_build_variable
from perf_tasks.measure.outcomes import OUTCOMES_METRIC, problems
from perf_tasks.measure.phases import TIMED, PhaseName
from perf_tasks.measure.read import as_record
from perf_tasks.measure.schema import Record, Stats, Timed

MIB = 2**20
WALL_RELATIVE = 0.15
CPU_RELATIVE = 0.20
RAM_RELATIVE = 0.05
TIME_FLOOR_S = 0.050
MAD_FACTOR = 3.0
BUSIER_CORES = 0.25  # more of the machine taken by others than this: wall times do not count
BYTES_RELATIVE = 0.01
BYTES_ABSOLUTE = MIB
# A sampled peak can miss a short-lived process: RAM is shown, never counted.
RAM_UNCOUNTED = "RAM peaks are sampled: shown, never counted"

TIME = "time"
RAM = "ram"
BYTES = "bytes"
COUNT = "count"

REGRESSION = "regression"
IMPROVEMENT = "improvement"
CHANGED = "changed"  # outside the noise, neither better nor worse (ignored tests, say)
SAME = "same"  # within the noise band
ADDED = "added"  # only in the new record
REMOVED = "removed"  # only in the old record

# Test counts: key -> +1 when more is better, -1 when fewer is better, 0 when neither.
COUNT_DIRECTIONS = {"passed": +1, "failed": -1, "skipped": 0, "ignored": 0}


@dataclass(frozen=True)
class Row:
    group: str  # a phase ("build", "tests.doc", ...) or "disk"
    key: str  # "wall_s", "units.compiled", "target.bytes", "failed", ...
    kind: str  # TIME, RAM, BYTES or COUNT
    old: float | None
    new: float | None
    threshold: float | None  # the noise band; a change within it does not count
    verdict: str
    counts: bool  # whether this verdict can fail the comparison
    uncounted: str = ""  # when it cannot: why (the environments differ, a busy machine, ...)

    @property
    def metric(self) -> str:
        """The key's path in the record: `build.incremental.wall_s`, `disk.target.bytes`."""
        return f"{self.group}.{self.key}"

    @property
    def delta(self) -> float | None:
        if self.old is None or self.new is None:
            return None
        return self.new - self.old

    @property
    def delta_pct(self) -> float | None:
        delta = self.delta
        if delta is None or not self.old:
            return None
        return 100.0 * delta / self.old

    def as_json(self) -> dict[str, Any]:
        pct = self.delta_pct
        return {
            "metric": self.metric,
            "group": self.group,
            "key": self.key,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "delta": self.delta,
            "delta_pct": None if pct is None else round(pct, 2),
            "threshold": self.threshold,
            "verdict": self.verdict,
            "counts": self.counts,
            "uncounted": self.uncounted or None,
        }


@dataclass(frozen=True)
class TestRow:
    """A test slower by the per-test rule (`slower_test`), from the records' per-test times."""

    id: str  # nextest's `<binary-id> <test-name>`
    old_s: float  # its slowest old run (its median when the record has no range)
    new_s: float  # its fastest new run (likewise)
    counts: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "old_s": self.old_s, "new_s": self.new_s, "counts": self.counts}


@dataclass(frozen=True)
class Comparison:
    rows: tuple[Row, ...]
    advisory: tuple[str, ...]  # why the comparison is only advisory; empty when it is strict
    notes: tuple[str, ...]
    old_label: str
    new_label: str
    tests: tuple[TestRow, ...] = ()
    confirmation: Mapping[str, Any] | None = None  # the same-time A/B that confirmed, as JSON
    # a failing, flaky or newly ignored test in the new record: always counts, never confirmed
    outcomes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.verdict == REGRESSION and r.counts)

    @property
    def slower_tests(self) -> tuple[TestRow, ...]:
        return tuple(t for t in self.tests if t.counts)

    @property
    def exit_code(self) -> ExitCode:
        failing = self.regressions or self.slower_tests or self.outcomes
        return ExitCode.INCOMPLETE if failing else ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.baseline-comparison",
            "old": self.old_label,
            "new": self.new_label,
            "advisory": list(self.advisory),
            "notes": list(self.notes),
            "regressions": [r.metric for r in self.regressions]
            + [f"test:{t.id}" for t in self.slower_tests]
            + ([OUTCOMES_METRIC] if self.outcomes else []),
            "outcomes": list(self.outcomes),
            "rows": [r.as_json() for r in self.rows],
            "tests": [t.as_json() for t in self.tests],
            "confirmation": self.confirmation,
        }


def compare(old: Record | Mapping[str, Any], new: Record | Mapping[str, Any]) -> Comparison:
    """Compare two records, typed or as their JSON (read with `read_record`)."""
    old, new = as_record(old, source="the old record"), as_record(new, source="the new record")
    advisory = differences(old.environment.comparable(), new.environment.comparable())
    old_runner = old.tests.runner if old.tests else None
    new_runner = new.tests.runner if new.tests else None
    if old_runner != new_runner:
        advisory.append(f"test runner: {old_runner!r} -> {new_runner!r}")
    strict = not advisory
    built_differently = build_env_differences(old.environment.build_env, new.environment.build_env)
    advisory += built_differently
    env_why = "the environments differ" if not strict else ""
    build_why = env_why or ("the build environment differs" if built_differently else "")
    rows: list[Row] = []
    notes: list[str] = []
    for name in TIMED:
        o, n = old.phase(name), new.phase(name)
        group = name.value
        if o is None and n is None:
            continue
        if o is not None and n is not None and o.command != n.command:
            notes.append(f"{name}: the command changed: {o.command} -> {n.command}")
        busier = _busier(o, n)
        if busier:
            notes.append(
                f"{name}: other processes took {busier} more of the machine during the new "
                "measurement: its wall time does not count (its CPU time does)"
            )
        busy_why = f"other processes took {busier} more of the machine" if busier else ""
        for key, kind, uncounted in (
            ("wall_s", TIME, build_why or busy_why),
            ("cpu_s", TIME, build_why),
            ("peak_tree_rss_bytes", RAM, RAM_UNCOUNTED),
            ("peak_process_rss_bytes", RAM, RAM_UNCOUNTED),
        ):
            o_stats = None if o is None else o.stats(key)
            n_stats = None if n is None else n.stats(key)
            rows.append(_stat_row(group, key, kind, o_stats, n_stats, uncounted=uncounted))
        if name.is_build:
            direction = -1 if name == PhaseName.BUILD else 0
            rows.append(_count_row(group, "units.compiled", _compiled(o), _compiled(n), direction))
        else:
            for key, direction in COUNT_DIRECTIONS.items():
                rows.append(_count_row(group, key, _count(o, key), _count(n, key), direction))
    for which, record in (("old", old), ("new", new)):
        env = record.environment
        busy = busy_note(env.load_average, env.cpu_cores)
        if busy:
            notes.append(f"the {which} record was measured on {busy}: a time change may be noise")
    for disk_name in dict.fromkeys([*old.disk, *new.disk]):
        o_disk, n_disk = old.disk.get(disk_name), new.disk.get(disk_name)
        rows.append(
            _bytes_row(
                f"{disk_name}.bytes",
                None if o_disk is None else o_disk.bytes,
                None if n_disk is None else n_disk.bytes,
                build_why if disk_name == "target" else env_why,
            )
        )
    tests = slower_tests(old, new, counted=strict)
    if "cargo-test" in (old_runner, new_runner):
        notes.append(
            "cargo test gives no per-test times, so no test is compared on its own; with "
            "cargo-nextest installed, each test is"
        )
    if tests and not (old.tests and old.tests.durations_range):
        notes.append(
            "per-test times: the old record has only each test's median (no per-run range), so "
            "the per-test rule compares medians"
        )
    return Comparison(
        rows=tuple(r for r in rows if r.old is not None or r.new is not None),
        advisory=tuple(advisory),
        notes=tuple(notes),
        old_label=label(old),
        new_label=label(new),
        tests=tuple(tests),
        outcomes=tuple(p.line() for p in problems(new, old)),
    )


# The per-test rule (the same as the A/B engine's, `ab/stats.py`): the fastest new run slower than
# the slowest old run x 1.5 and + 100 ms. Both floors: thousands of tiny tests would otherwise
# flag some by chance.
TEST_FACTOR = 1.5
TEST_FLOOR_S = 0.100


def slower_test(before_max_s: float, after_min_s: float) -> bool:
    return after_min_s > before_max_s * TEST_FACTOR and after_min_s > before_max_s + TEST_FLOOR_S


def slower_tests(old: Record, new: Record, *, counted: bool) -> list[TestRow]:
    """Tests both records timed whose new times are slower by the per-test rule."""
    if old.tests is None or new.tests is None:
        return []
    found = []
    for binary, tests in sorted(new.tests.durations.items()):
        for name, new_median in sorted(tests.items()):
            old_median = old.tests.durations.get(binary, {}).get(name)
            if old_median is None:
                continue
            old_range = old.tests.durations_range.get(binary, {}).get(name)
            new_range = new.tests.durations_range.get(binary, {}).get(name)
            slowest_old = old_range[1] if old_range else old_median
            fastest_new = new_range[0] if new_range else new_median
            if slower_test(slowest_old, fastest_new):
                found.append(TestRow(f"{binary} {name}", slowest_old, fastest_new, counted))
    return found


def build_env_differences(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """`build environment: RUSTFLAGS: '-C x' -> unset`, for each build variable that differs. A
    record may hold variables that are not (an older perf-tasks recorded every NEXTEST_*, display
    settings among them): they never count."""
    found = []
    for name in sorted(n for n in set(old) | set(new) if is_build_variable(n)):
        if old.get(name) != new.get(name):
            before = repr(old[name]) if name in old else "unset"
            after = repr(new[name]) if name in new else "unset"
            found.append(
                f"build environment: {name}: {before} -> {after} (times and the target dir's "
                "size are not comparable)"
            )
    return found


def _compiled(phase: Timed | None) -> int | None:
    return None if phase is None or phase.units is None else phase.units.compiled


def _count(phase: Timed | None, key: str) -> int | None:
    return None if phase is None or phase.counts is None else phase.counts.get(key)


def _busier(old: Timed | None, new: Timed | None) -> str | None:
    """ "0.8 cores" when other processes kept that much more of the machine busy during the new
    measurement than during the old one (BUSIER_CORES or more); None otherwise or when unknown."""
    if old is None or new is None or new.contention is None:
        return None
    more = new.contention - (old.contention or 0.0)
    return f"{more:.2f} cores" if more >= BUSIER_CORES else None


def time_threshold(old: Stats, new: Stats, key: str = "wall_s") -> float:
    """The band of a wall or CPU time (`key`), or of a RAM peak (any other key)."""
    spread = MAD_FACTOR * max(old.mad, new.mad)
    if key == "cpu_s":
        return max(CPU_RELATIVE * abs(old.median), spread, TIME_FLOOR_S)
    if key == "wall_s":
        return max(WALL_RELATIVE * abs(old.median), spread, TIME_FLOOR_S)
    return max(RAM_RELATIVE * abs(old.median), spread)


def _overlap(old: Stats, new: Stats) -> bool:
    """The runs' ranges overlap: the fastest new run is no slower than the slowest old one."""
    if old.max is None or new.min is None:
        return False
    return new.min <= old.max


def bytes_threshold(old: float) -> float:
    return max(BYTES_RELATIVE * abs(old), BYTES_ABSOLUTE)


def _stat_row(
    group: str,
    key: str,
    kind: str,
    old: Stats | None,
    new: Stats | None,
    *,
    uncounted: str,
) -> Row:
    if old is None or new is None:
        o = None if old is None else old.median
        n = None if new is None else new.median
        return _one_sided(group, key, kind, o, n)
    threshold = time_threshold(old, new, key)
    if kind == RAM:
        threshold = max(threshold, BYTES_ABSOLUTE)
    o, n = old.median, new.median
    verdict = _verdict(n - o, threshold, -1)
    if key == "wall_s" and verdict == REGRESSION and _overlap(old, new):
        verdict = SAME  # within the spread of the runs: noise, however the medians fell
    return Row(group, key, kind, o, n, threshold, verdict, not uncounted, uncounted)


def _bytes_row(key: str, old: float | None, new: float | None, uncounted: str) -> Row:
    if old is None or new is None:
        return _one_sided("disk", key, BYTES, old, new)
    threshold = bytes_threshold(old)
    verdict = _verdict(new - old, threshold, -1)
    return Row("disk", key, BYTES, old, new, threshold, verdict, not uncounted, uncounted)


def _count_row(group: str, key: str, old: float | None, new: float | None, direction: int) -> Row:
    if old is None or new is None:
        return _one_sided(group, key, COUNT, old, new)
    return Row(group, key, COUNT, old, new, 0, _verdict(new - old, 0, direction), True)


def _one_sided(group: str, key: str, kind: str, old: Any, new: Any) -> Row:
    verdict = ADDED if old is None else REMOVED
    why = "only in the old record" if new is None else "only in the new record"
    return Row(group, key, kind, old, new, None, verdict, False, why)


def _verdict(delta: float, threshold: float, better: int) -> str:
    """`better` is +1 when a larger value is better, -1 when smaller is, 0 when neither."""
    if abs(delta) <= threshold:
        return SAME
    if better == 0:
        return CHANGED
    return IMPROVEMENT if delta * better > 0 else REGRESSION


def label(record: Record) -> str:
    """`2026-01-02T03:04:05Z @ abc1234 (dirty)`: when and on what a record was measured."""
    git = record.environment.git
    where = ""
    if git is not None and git.commit:
        where = f" @ {git.commit[:10]}" + (" (dirty)" if git.dirty else "")
    return f"{record.started_at or '?'}{where}"
