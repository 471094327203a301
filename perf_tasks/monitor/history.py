"""The monitor's history: one JSON object per line (`history.jsonl`), oldest first, bounded.

Each entry is one daily run: when (`at`, UTC), at which commit, the figures of the record, the
contract's absolute bounds, the gates it breached and whether the target dir was over its budget.
The file is rewritten whole and atomically on each run, keeping the newest `keep_entries` entries
and none older than `keep_days` by a clock it can be compared with (see `append`), so it can live
in a CI cache or in git.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from perf_tasks.errors import ConfigError
from perf_tasks.measure.phases import TIMED
from perf_tasks.measure.schema import Record
from perf_tasks.text import lines as lines_of

HISTORY_FILE = "history.jsonl"
SCHEMA_VERSION = 1


# A time every clock reading can be written as: `datetime` holds years 1 to 9999.
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


def parse_time(text: str, *, what: str, clamp: bool = False) -> datetime:
    """An ISO 8601 time (`2026-01-02T03:04:05Z`) as an aware UTC datetime.

    A time that is outside `datetime`'s range once in UTC (`9999-12-31T23:00:00-12:00`) is a
    ConfigError naming `what`, as a time that does not parse is: one line, never a traceback.
    With `clamp` (an entry of the history: never a reason to refuse the whole file) it is the
    nearest end of the range instead."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ConfigError(
            f"{what}: {text!r} is not a time: write ISO 8601, such as 2026-01-02T03:04:05Z"
        ) from None
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:
        if clamp:
            offset = when.utcoffset()
            return LATEST if offset is not None and offset < timedelta(0) else EARLIEST
        raise ConfigError(
            f"{what}: {text!r} is outside the years 1 to 9999 once in UTC: write a time in that "
            "range, such as 2026-01-02T03:04:05Z"
        ) from None


def iso(when: datetime) -> str:
    """`when` in UTC as `2026-01-02T03:04:05Z`; years below 1000 keep four digits (strftime's
    `%Y` does not pad them), so that `parse_time` reads back every time this writes."""
    utc = when.astimezone(timezone.utc)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


@dataclass(frozen=True)
class Entry:
    at: datetime
    commit: str | None = None
    values: Mapping[str, float] = field(default_factory=dict)  # metric -> seconds or bytes
    bounds: Mapping[str, float] = field(default_factory=dict)  # metric -> absolute bound
    breaches: tuple[str, ...] = ()
    over_budget: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "at": iso(self.at),
            "commit": self.commit,
            "values": dict(self.values),
            "bounds": dict(self.bounds),
            "breaches": list(self.breaches),
            "over_budget": self.over_budget,
        }


def figures(record: Record) -> dict[str, float]:
    """The figures a day's entry keeps: each timed phase's wall and CPU medians, each output's
    bytes."""
    found: dict[str, float] = {}
    for name, phase in record.timed():
        for key in ("wall_s", "cpu_s"):
            stats = phase.stats(key)
            if stats is not None:
                found[f"{name.value}.{key}"] = stats.median
    for output, usage in record.disk.items():
        if usage.exists:
            found[f"disk.{output}.bytes"] = float(usage.bytes)
    return found


PHASE_ORDER = tuple(name.value for name in TIMED)


def read(path: Path) -> list[Entry]:
    """The entries of a history file, oldest first; none when there is no file yet."""
    from perf_tasks.fs.regular import read_text

    try:
        text = read_text(path)
    except FileNotFoundError:
        return []
    except OSError as exc:  # a folder, a FIFO, a runaway file: one line, never a hang
        raise ConfigError(
            f"cannot read the monitor history {path}: {exc.strerror or exc}"
        ) from None
    entries = []
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except ValueError:
            raise ConfigError(
                f"{where}: not a JSON line: fix or remove that line of the history"
            ) from None
        entries.append(_entry(data, where=where))
    return sorted(entries, key=lambda e: e.at)


def _entry(data: object, *, where: str) -> Entry:
    def fail(what: str) -> ConfigError:
        return ConfigError(f"{where}: {what}: fix or remove that line of the history")

    if not isinstance(data, dict):
        raise fail("an entry must be a JSON object")
    if not isinstance(data.get("at"), str):
        raise fail("`at` must be an ISO 8601 time")
    numbers: dict[str, dict[str, float]] = {}
    for key in ("values", "bounds"):
        table = data.get(key) or {}
        if not isinstance(table, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in table.values()
        ):  # json reads NaN and Infinity: a chart cannot scale an axis to them
            raise fail(f"`{key}` must map metrics to finite numbers")
        numbers[key] = {str(k): float(v) for k, v in table.items()}
    breaches = data.get("breaches") or []
    if not isinstance(breaches, list) or not all(isinstance(b, str) for b in breaches):
        raise fail("`breaches` must be a list of metrics")
    commit = data.get("commit")
    return Entry(
        at=parse_time(data["at"], what=where, clamp=True),
        commit=commit if isinstance(commit, str) else None,
        values=numbers["values"],
        bounds=numbers["bounds"],
        breaches=tuple(breaches),
        over_budget=bool(data.get("over_budget")),
    )


def append(
    entries: Iterable[Entry],
    new: Entry,
    *,
    keep_entries: int,
    keep_days: float,
    now: datetime,
) -> list[Entry]:
    """The history with `new` in it (replacing an entry of the same time), oldest first, bounded:
    at most `keep_entries` (the newest, always with `new`), and none that is older than
    `keep_days` by a clock it can be compared with.

    A clock can be years off either way: this run's time (`--now`, the record's start), the
    machine's (`now`), an entry's own. The days count back from the earlier of this run's time and
    the machine's, so one of them ahead cannot age real entries out. Only the stretch of the
    history that holds that reference is judged: a gap longer than `keep_days` between two entries
    (a clock that jumped, or stayed wrong for several runs; or a long pause) separates entries that
    cannot be compared, and those before it are kept, as are those after the reference. The count
    still bounds them all, the oldest by time going first."""
    others = [e for e in entries if e.at != new.at]
    timeline = sorted([*others, new], key=lambda e: e.at)
    try:
        window = timedelta(days=keep_days)
    except OverflowError:  # `keep_days = inf` (TOML has it): no limit by days
        window = None
    reference = min(new.at, now)
    judged = [i for i, e in enumerate(timeline) if e.at <= reference]
    too_old: set[int] = set()
    if window is not None and judged:
        try:
            cutoff = reference - window
        except OverflowError:  # past year 1: nothing is that old
            cutoff = EARLIEST
        start = judged[-1]
        while start > 0 and timeline[start].at - timeline[start - 1].at <= window:
            start -= 1
        too_old = {i for i in range(start, judged[-1] + 1) if timeline[i].at < cutoff}
    kept = [e for i, e in enumerate(timeline) if i not in too_old or e is new]
    if len(kept) > keep_entries:
        rest = [e for e in kept if e is not new]
        newest_rest = rest[len(rest) - (keep_entries - 1) :] if keep_entries > 1 else []
        kept = sorted([*newest_rest, new], key=lambda e: e.at)
    return kept


def dumps(entries: Sequence[Entry]) -> str:
    return "".join(json.dumps(e.as_json(), sort_keys=True) + "\n" for e in entries)
