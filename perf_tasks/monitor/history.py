"""The monitor's history: one JSON object per line (`history.jsonl`), oldest first, bounded.

Each entry is one daily run: when (`at`, UTC), at which commit, the figures of the record, the
contract's absolute bounds, the gates it breached and whether the target dir was over its budget.
The file is rewritten whole and atomically on each run, keeping the newest `keep_entries` entries
and none older than `keep_days` before this run's, so it can live in a CI cache or in git.
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


def parse_time(text: str, *, what: str) -> datetime:
    """An ISO 8601 time (`2026-01-02T03:04:05Z`) as an aware UTC datetime."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ConfigError(
            f"{what}: {text!r} is not a time: write ISO 8601, such as 2026-01-02T03:04:05Z"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        at=parse_time(data["at"], what=where),
        commit=commit if isinstance(commit, str) else None,
        values=numbers["values"],
        bounds=numbers["bounds"],
        breaches=tuple(breaches),
        over_budget=bool(data.get("over_budget")),
    )


def append(
    entries: Iterable[Entry], new: Entry, *, keep_entries: int, keep_days: float
) -> list[Entry]:
    """The history with `new` in it (replacing an entry of the same time), oldest first, bounded:
    none older than `keep_days` before `new`, then at most `keep_entries`, always with `new`.

    The days count from this run's entry, not from the newest one: an entry stamped in the future
    (a runner's clock off by a year) would otherwise push every real entry, this run's too, out of
    the window, for good."""
    try:
        cutoff = new.at - timedelta(days=keep_days)
    except OverflowError:  # `keep_days = inf` (TOML has it), or past year 1: no limit by days
        cutoff = datetime.min.replace(tzinfo=timezone.utc)
    kept = sorted(
        [e for e in entries if e.at != new.at and e.at >= cutoff] + [new], key=lambda e: e.at
    )
    if len(kept) > keep_entries:
        others = [e for e in kept if e is not new]
        newest_others = others[len(others) - (keep_entries - 1) :]
        kept = sorted([*newest_others, new], key=lambda e: e.at)
    return kept


def dumps(entries: Sequence[Entry]) -> str:
    return "".join(json.dumps(e.as_json(), sort_keys=True) + "\n" for e in entries)
