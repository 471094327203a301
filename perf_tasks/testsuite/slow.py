"""`tests.slow`: the slowest tests, and every test over nextest's slow-timeout, each with its share
of the suite's wall time and, where the monitor's history holds its times, its trend.

Durations come from `measure/durations.py` (the last baseline record, or `--durations FILE...`).
The slow-timeout is the one nextest would use for the baseline's test profile (`[baseline]
test_profile`): that profile's `slow-timeout` in the workspace's `.config/nextest.toml`, else the
profiles it inherits from, else `default`'s, else nextest's own 60 s. The monitor's history keeps a
test's time only for a test its contract gates (`test:<binary-id> <name>` rows): for any other test
there is no trend, and the result says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError, UsageError
from perf_tasks.measure import durations as durations_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.durations import Durations, TestTime
from perf_tasks.monitor.history import HISTORY_FILE

DEFAULT_TOP = 10
NEXTEST_DEFAULT_SLOW_S = 60.0
DEFAULT_PROFILE = "default"
TEST_METRIC = "test:"  # the monitor's history names a gated test's time `test:<id>`
_UNITS = {
    "ms": 0.001,
    "msec": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)")


@dataclass(frozen=True)
class Request:
    top: int = DEFAULT_TOP
    files: tuple[Path, ...] = ()  # JUnit reports or baseline records; none: the last record

    def __post_init__(self) -> None:
        if self.top < 1:
            raise UsageError(f"--top {self.top}: name at least 1 test to show")

    @classmethod
    def of(cls, top: int | None, files: Sequence[str] | None) -> Request:
        paths = tuple(Path(f) for f in files or () if f)
        if files and len(paths) != len(files):
            raise UsageError(
                "--durations got an empty path: name a JUnit report or a baseline.json"
            )
        return cls(DEFAULT_TOP if top is None else top, paths)


@dataclass(frozen=True)
class SlowTimeout:
    seconds: float
    profile: str  # the profile asked for
    source: str  # where the value was found: `.config/nextest.toml [profile.ci]`, nextest's default


@dataclass(frozen=True)
class Trend:
    first_s: float
    last_s: float
    entries: int  # history entries holding the test's time

    @property
    def change(self) -> float | None:
        return None if self.first_s <= 0 else self.last_s / self.first_s - 1


@dataclass(frozen=True)
class Row:
    test: TestTime
    share: float  # of the suite's wall time (or of the summed test time, when the wall is unknown)
    over_timeout: bool
    failed: bool
    trend: Trend | None

    def as_json(self) -> dict[str, Any]:
        trend = self.trend
        return {
            "binary": self.test.binary,
            "name": self.test.name,
            "seconds": self.test.seconds,
            "share": round(self.share, 4),
            "over_slow_timeout": self.over_timeout,
            "failed": self.failed,
            "trend": None
            if trend is None
            else {
                "first_s": trend.first_s,
                "last_s": trend.last_s,
                "entries": trend.entries,
                "change": None if trend.change is None else round(trend.change, 4),
            },
        }


@dataclass(frozen=True)
class History:
    path: Path
    entries: int  # 0: no history (yet)
    per_test: int  # tests whose times it holds


@dataclass(frozen=True)
class Slow:
    root: Path
    durations: Durations
    top: tuple[Row, ...]
    over_timeout: tuple[Row, ...]  # every test over the slow-timeout, slowest first
    slow_timeout: SlowTimeout
    history: History
    exit_code: int = 0

    @property
    def share_of(self) -> str:
        return "wall" if self.durations.wall_s else "summed"

    def as_json(self) -> dict[str, Any]:
        d = self.durations
        return {
            "sources": list(d.sources),
            "tests": len(d.tests),
            "wall_s": d.wall_s,
            "summed_s": round(d.total_s, 3),
            "share_of": "the suite's wall time" if d.wall_s else "the summed test time",
            "slow_timeout": {
                "seconds": self.slow_timeout.seconds,
                "profile": self.slow_timeout.profile,
                "source": self.slow_timeout.source,
            },
            "top": [row.as_json() for row in self.top],
            "over_slow_timeout": [row.as_json() for row in self.over_timeout],
            "trend": {
                "history": str(self.history.path),
                "entries": self.history.entries,
                "tests_with_times": self.history.per_test,
            },
        }


def slow(ctx: RunContext, request: Request, *, program: str = "perf-tasks") -> Slow:
    durations = durations_mod.load(ctx.root, request.files, program=program)
    settings = ctx.settings
    timeout = slow_timeout(nextest_runs.workspace_config(ctx.root), settings.baseline.test_profile)
    history_path = ctx.root / settings.monitor.dir / HISTORY_FILE
    trends, history = trends_of(history_path)
    return report(ctx.root, durations, timeout, trends, history, top=request.top)


def report(
    root: Path,
    durations: Durations,
    timeout: SlowTimeout,
    trends: Mapping[str, Trend],
    history: History,
    *,
    top: int,
) -> Slow:
    """The rows: pure, from the durations, the slow-timeout and the history's trends."""
    whole = durations.wall_s or durations.total_s

    def row(test: TestTime) -> Row:
        return Row(
            test,
            test.seconds / whole if whole > 0 else 0.0,
            test.seconds > timeout.seconds,
            test.id in durations.failed,
            trends.get(test.id),
        )

    over = tuple(row(t) for t in durations.tests if t.seconds > timeout.seconds)
    return Slow(
        root,
        durations,
        tuple(row(t) for t in durations.tests[:top]),
        over,
        timeout,
        history,
    )


def slow_timeout(config: Mapping[str, Any], profile: str) -> SlowTimeout:
    """The slow-timeout nextest uses for `profile`: its own, then what it inherits, then
    `default`'s, then nextest's 60 s."""
    profiles = config.get("profile")
    profiles = profiles if isinstance(profiles, dict) else {}
    seen: list[str] = []
    name: str | None = profile
    while name is not None and name not in seen:
        seen.append(name)
        table = profiles.get(name)
        if not isinstance(table, dict):
            break
        if "slow-timeout" in table:
            where = f".config/nextest.toml [profile.{name}] slow-timeout"
            return SlowTimeout(_period(table["slow-timeout"], where), profile, where)
        inherits = table.get("inherits")
        name = inherits if isinstance(inherits, str) else None
    default = profiles.get(DEFAULT_PROFILE)
    if isinstance(default, dict) and "slow-timeout" in default and DEFAULT_PROFILE not in seen:
        where = f".config/nextest.toml [profile.{DEFAULT_PROFILE}] slow-timeout"
        return SlowTimeout(_period(default["slow-timeout"], where), profile, where)
    return SlowTimeout(NEXTEST_DEFAULT_SLOW_S, profile, "nextest's default")


def _period(value: Any, where: str) -> float:
    """`"60s"`, `"2m 30s"`, or `{ period = "60s", terminate-after = 2 }`, in seconds."""
    text = value.get("period") if isinstance(value, dict) else value
    if isinstance(text, str):
        seconds = parse_duration(text)
        if seconds is not None:
            return seconds
    raise ConfigError(
        f'{where} = {value!r} is not a duration nextest reads: write e.g. "60s" or '
        '{ period = "60s", terminate-after = 2 }'
    )


def parse_duration(text: str) -> float | None:
    """A humantime duration (`60s`, `1m 30s`, `500ms`) in seconds; None when it is not one."""
    total, pos = 0.0, 0
    text = text.strip()
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match[2] not in _UNITS:
            return None
        total += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    # nextest holds a duration in a u64 of seconds: more than that (or infinite, as a float
    # overflows) is one it refuses, never a slow-timeout no test can reach.
    return total if text and math.isfinite(total) and total < MAX_DURATION_S else None


MAX_DURATION_S = float(2**64)


def trends_of(path: Path) -> tuple[dict[str, Trend], History]:
    """Each test's first and last time in the monitor's history, where it holds any."""
    from perf_tasks.monitor import history as history_mod

    entries = history_mod.read(path)
    times: dict[str, list[float]] = {}
    for entry in entries:
        for metric, value in entry.values.items():
            if metric.startswith(TEST_METRIC):
                times.setdefault(metric[len(TEST_METRIC) :], []).append(value)
    trends = {
        test: Trend(values[0], values[-1], len(values)) for test, values in times.items() if values
    }
    return trends, History(path, len(entries), len(trends))
