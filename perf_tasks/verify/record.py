"""The verify record: every test, its outcome, read and written as JSON, and the comparison of two.

Pure data: nothing here runs a command. A test is keyed by its binary and its name; doctests carry
no line number in their name (see `collect.doctest_name`), so several may share a key: `count`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.errors import ConfigError
from perf_tasks.fs.atomic import write_atomic

SCHEMA = "perf-tasks/verify"
SCHEMA_VERSION = 1
DEFAULT_PATH = Path("docs") / "performance" / "verify.json"

PASSED = "passed"
FAILED = "failed"
IGNORED = "ignored"  # marked #[ignore] (or a doctest marked `ignore`): listed, not run
SKIPPED = "skipped"  # listed, not ignored, yet not run (a filter, a crash of its binary)
OUTCOMES = (PASSED, FAILED, IGNORED, SKIPPED)

TEST = "test"
DOCTEST = "doctest"


@dataclass(frozen=True, order=True)
class Entry:
    binary: str  # nextest's binary id ("demo-core::core_api"); "demo-core (doctests)"
    name: str  # "tests::tokenize_empty", "crates/demo-core/src/lib.rs - tokenize"
    kind: str  # TEST or DOCTEST
    outcome: str  # one of OUTCOMES
    count: int = 1  # doctests that share binary, name and outcome once the line is dropped

    def as_json(self) -> dict[str, Any]:
        return {
            "binary": self.binary,
            "name": self.name,
            "kind": self.kind,
            "outcome": self.outcome,
            "count": self.count,
        }


@dataclass(frozen=True)
class Record:
    tests: tuple[Entry, ...]  # sorted; one entry per (binary, name, kind, outcome)
    runner: str  # e.g. "cargo-nextest 0.9.148"

    def as_json(self) -> dict[str, Any]:
        totals = Counter[str]()
        for t in self.tests:
            totals[t.outcome] += t.count
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "runner": self.runner,
            "totals": {o: totals[o] for o in OUTCOMES},
            "tests": [t.as_json() for t in self.tests],
        }

    @property
    def total(self) -> int:
        return sum(t.count for t in self.tests)


def make(tests: Iterable[Entry], *, runner: str) -> Record:
    """A record whose identical tests (same key and outcome) are merged into one with a count."""
    counts = Counter[tuple[str, str, str, str]]()
    for t in tests:
        counts[(t.binary, t.name, t.kind, t.outcome)] += t.count
    merged = (Entry(b, n, k, o, c) for (b, n, k, o), c in counts.items())
    return Record(tests=tuple(sorted(merged)), runner=runner)


def write(path: Path, record: Record) -> None:
    write_atomic(path, json.dumps(record.as_json(), indent=2) + "\n")


def read(path: Path, *, program: str = "perf-tasks") -> Record:
    """The record at `path`, or one-line ConfigError: missing, not JSON, not ours, other schema.

    `program` is what the user runs (`perf-tasks` or `invoke`), named in the advice."""
    from perf_tasks.fs.regular import read_text

    try:
        text = read_text(path)  # a FIFO or /dev/zero: one line, never a hang
    except FileNotFoundError:
        advice = f"run `{program} verify.record`"
        raise ConfigError(f"{path}: no verify record there: {advice}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the verify record: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a verify record (not JSON: {exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a verify record (JSON nested too deeply)") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(f'{path}: not a verify record (no "schema": "{SCHEMA}")')
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: verify record of schema version {version!r}, this perf-tasks reads "
            f"{SCHEMA_VERSION}: record it again with `{program} verify.record`"
        )
    return from_json(data, source=path)


def from_json(data: Mapping[str, Any], *, source: Path) -> Record:
    tests = data.get("tests")
    if not isinstance(tests, list):
        raise ConfigError(f'{source}: not a verify record ("tests" is not a list)')
    out = []
    for i, item in enumerate(tests):
        try:
            test = Entry(
                binary=_str(item["binary"]),
                name=_str(item["name"]),
                kind=_str(item["kind"]),
                outcome=_str(item["outcome"]),
                count=int(item.get("count", 1)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError(f"{source}: not a verify record (tests[{i}] is malformed)") from None
        if test.outcome not in OUTCOMES or test.kind not in (TEST, DOCTEST) or test.count < 1:
            raise ConfigError(f"{source}: not a verify record (tests[{i}] is malformed)")
        out.append(test)
    runner = data.get("runner")
    return make(out, runner=runner if isinstance(runner, str) else "")


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


# What happened to a test between the record and the new run.
DISAPPEARED = "disappeared"
APPEARED = "new"
BECAME_IGNORED = "became ignored"
BECAME_SKIPPED = "became skipped"
CHANGED = "changed outcome"


@dataclass(frozen=True, order=True)
class Difference:
    binary: str
    name: str
    change: str  # DISAPPEARED, APPEARED, BECAME_IGNORED, BECAME_SKIPPED, CHANGED
    before: str | None  # the recorded outcome; None for a new test
    after: str | None  # the new outcome; None for a test that disappeared
    count: int = 1

    def as_json(self) -> dict[str, Any]:
        return {
            "binary": self.binary,
            "name": self.name,
            "change": self.change,
            "before": self.before,
            "after": self.after,
            "count": self.count,
        }


@dataclass(frozen=True)
class Comparison:
    record: Path | None  # the record compared with; None when both sides ran now
    before: Record
    after: Record
    differences: tuple[Difference, ...]
    sides: tuple[str, str] | None = None  # with --before/--after: what ran on each side

    @property
    def same(self) -> bool:
        return not self.differences

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "ok": self.same,
            "record": None if self.record is None else str(self.record),
        }
        if self.sides is not None:
            data["before"], data["after"] = self.sides
            data["tests"] = {"before": self.before.total, "after": self.after.total}
        else:
            data["tests"] = {"recorded": self.before.total, "now": self.after.total}
        data["differences"] = [d.as_json() for d in self.differences]
        return data


def _outcomes(record: Record) -> dict[tuple[str, str], Counter[str]]:
    out: dict[tuple[str, str], Counter[str]] = {}
    for t in record.tests:
        out.setdefault((t.binary, t.name), Counter())[t.outcome] += t.count
    return out


def _change(after: str) -> str:
    return {IGNORED: BECAME_IGNORED, SKIPPED: BECAME_SKIPPED}.get(after, CHANGED)


def compare(
    before: Record,
    after: Record,
    *,
    record: Path | None,
    sides: tuple[str, str] | None = None,
) -> Comparison:
    """Same tests, same outcomes, or the differences. Tests that share a key (doctests without
    their line) are matched by count: one outcome lost and another gained is a change."""
    old, new = _outcomes(before), _outcomes(after)
    diffs: list[Difference] = []
    for key in sorted(old.keys() | new.keys()):
        lost = old.get(key, Counter()) - new.get(key, Counter())
        gained = new.get(key, Counter()) - old.get(key, Counter())
        lost_list = [o for o in OUTCOMES for _ in range(lost[o])]
        gained_list = [o for o in OUTCOMES for _ in range(gained[o])]
        pairs = Counter[tuple[str, str | None, str | None]]()
        for old_outcome, new_outcome in zip(lost_list, gained_list, strict=False):
            pairs[(_change(new_outcome), old_outcome, new_outcome)] += 1
        for old_outcome in lost_list[len(gained_list) :]:
            pairs[(DISAPPEARED, old_outcome, None)] += 1
        for new_outcome in gained_list[len(lost_list) :]:
            pairs[(APPEARED, None, new_outcome)] += 1
        for (change, was, now), n in pairs.items():
            diffs.append(Difference(key[0], key[1], change, was, now, n))
    return Comparison(
        record=record, before=before, after=after, differences=tuple(diffs), sides=sides
    )
