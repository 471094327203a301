"""Compare two baseline records, metric by metric, and say which changes are outside the noise.

A change is outside the noise when it is larger than its band:

- times (wall, CPU): max(5% of the old median, 3 x the larger MAD of the two records);
- sampled RAM peaks: the same band as times, and at least 1 MiB;
- disk bytes: max(1% of the old value, 1 MiB);
- test counts (and the units a warm build compiles): any change.

What can fail the comparison (exit 1) is a regression outside the noise in a wall time, a disk
size, a test count or the warm build's units. CPU time and RAM are shown with the same bands, as
the explanation of a wall-time change: they are too sensitive to what else the machine runs to
fail a comparison on their own.

When the two environments differ (CPU, toolchain, test runner), the comparison is advisory: time
and disk changes are shown but do not fail it; test counts still do. Pure: records in, a
`Comparison` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perf_tasks.errors import ExitCode
from perf_tasks.measure.environment import busy_note, differences

MIB = 2**20
TIME_RELATIVE = 0.05
MAD_FACTOR = 3.0
BYTES_RELATIVE = 0.01
BYTES_ABSOLUTE = MIB

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

# Phases with timed measurements: (name, path in the record).
PHASES = (
    ("build", ("build",)),
    ("build.incremental", ("build", "incremental")),
    ("build.cold", ("build", "cold")),
    ("tests", ("tests",)),
    ("tests.doc", ("tests", "doc")),
)
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
        }


@dataclass(frozen=True)
class Comparison:
    rows: tuple[Row, ...]
    advisory: tuple[str, ...]  # why the comparison is only advisory; empty when it is strict
    notes: tuple[str, ...]
    old_label: str
    new_label: str

    @property
    def regressions(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.verdict == REGRESSION and r.counts)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INCOMPLETE if self.regressions else ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.baseline-comparison",
            "old": self.old_label,
            "new": self.new_label,
            "advisory": list(self.advisory),
            "notes": list(self.notes),
            "regressions": [r.metric for r in self.regressions],
            "rows": [r.as_json() for r in self.rows],
        }


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    advisory = differences(old.get("environment") or {}, new.get("environment") or {})
    old_runner = _get(old, ("tests", "runner"))
    new_runner = _get(new, ("tests", "runner"))
    if old_runner != new_runner:
        advisory.append(f"test runner: {old_runner!r} -> {new_runner!r}")
    strict = not advisory
    rows: list[Row] = []
    notes: list[str] = []
    for name, path in PHASES:
        o, n = _get(old, path), _get(new, path)
        if o is None and n is None:
            continue
        if o is not None and n is not None and o.get("command") != n.get("command"):
            notes.append(f"{name}: the command changed: {o.get('command')} -> {n.get('command')}")
        for key, kind, counted in (
            ("wall_s", TIME, strict),
            ("cpu_s", TIME, False),
            ("peak_tree_rss_bytes", RAM, False),
            ("peak_process_rss_bytes", RAM, False),
        ):
            rows.append(_stat_row(name, key, kind, _sub(o, key), _sub(n, key), counted=counted))
        if name.startswith("build"):
            direction = -1 if name == "build" else 0
            units = ("units", "compiled")
            rows.append(
                _count_row(name, "units.compiled", _get(o, units), _get(n, units), direction)
            )
        else:
            for key, direction in COUNT_DIRECTIONS.items():
                rows.append(_count_row(name, key, _sub(o, key), _sub(n, key), direction))
    for which, data in (("old", old), ("new", new)):
        busy = busy_note(data.get("environment") or {})
        if busy:
            notes.append(f"the {which} record was measured on {busy}: a time change may be noise")
    disk_names = list(dict.fromkeys([*(old.get("disk") or {}), *(new.get("disk") or {})]))
    for name in disk_names:
        rows.append(
            _bytes_row(
                f"{name}.bytes",
                _get(old, ("disk", name, "bytes")),
                _get(new, ("disk", name, "bytes")),
                strict,
            )
        )
    return Comparison(
        rows=tuple(r for r in rows if r.old is not None or r.new is not None),
        advisory=tuple(advisory),
        notes=tuple(notes),
        old_label=label(old),
        new_label=label(new),
    )


def time_threshold(old: Mapping[str, Any], new: Mapping[str, Any]) -> float:
    mad = max(float(old.get("mad") or 0.0), float(new.get("mad") or 0.0))
    return max(TIME_RELATIVE * abs(float(old["median"])), MAD_FACTOR * mad)


def bytes_threshold(old: float) -> float:
    return max(BYTES_RELATIVE * abs(old), BYTES_ABSOLUTE)


def _stat_row(
    group: str,
    key: str,
    kind: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    counted: bool,
) -> Row:
    if old is None or new is None:
        o = None if old is None else old.get("median")
        n = None if new is None else new.get("median")
        return _one_sided(group, key, kind, o, n)
    threshold = time_threshold(old, new)
    if kind == RAM:
        threshold = max(threshold, BYTES_ABSOLUTE)
    o, n = float(old["median"]), float(new["median"])
    return Row(group, key, kind, o, n, threshold, _verdict(n - o, threshold, -1), counted)


def _bytes_row(key: str, old: float | None, new: float | None, counted: bool) -> Row:
    if old is None or new is None:
        return _one_sided("disk", key, BYTES, old, new)
    threshold = bytes_threshold(old)
    verdict = _verdict(new - old, threshold, -1)
    return Row("disk", key, BYTES, old, new, threshold, verdict, counted)


def _count_row(group: str, key: str, old: float | None, new: float | None, direction: int) -> Row:
    if old is None or new is None:
        return _one_sided(group, key, COUNT, old, new)
    return Row(group, key, COUNT, old, new, 0, _verdict(new - old, 0, direction), True)


def _one_sided(group: str, key: str, kind: str, old: Any, new: Any) -> Row:
    verdict = ADDED if old is None else REMOVED
    return Row(group, key, kind, old, new, None, verdict, False)


def _verdict(delta: float, threshold: float, better: int) -> str:
    """`better` is +1 when a larger value is better, -1 when smaller is, 0 when neither."""
    if abs(delta) <= threshold:
        return SAME
    if better == 0:
        return CHANGED
    return IMPROVEMENT if delta * better > 0 else REGRESSION


def label(record: Mapping[str, Any]) -> str:
    """`2026-01-02T03:04:05Z @ abc1234 (dirty)`: when and on what a record was measured."""
    git = _get(record, ("environment", "git")) or {}
    commit = git.get("commit")
    where = ""
    if commit:
        where = f" @ {commit[:10]}" + (" (dirty)" if git.get("dirty") else "")
    return f"{record.get('started_at', '?')}{where}"


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _sub(node: Mapping[str, Any] | None, key: str) -> Any:
    return None if node is None else node.get(key)
