"""The shard plan: every test on one of N shards. Pure: no file, no process.

Tests with a measured duration go longest first onto the shard with the least predicted time (ties
to the lowest shard); a test with none yet (new since the durations were taken) goes to the shard
its stable hash picks, the same at planning and at run time, in every process. Shards count from 1,
as nextest's `--partition hash:K/N` does.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KIND = "perf-tasks.shard-plan"
SCHEMA_VERSION = 1
MAX_SHARDS = 1024  # GitHub's matrix allows 256 jobs; more is a typo
MAX_PLAN_BYTES = 64 * 2**20  # 100,000 tests take a few MiB


@dataclass(frozen=True)
class Placed:
    binary: str  # nextest's binary id
    name: str
    shard: int  # 1..N
    seconds: float | None  # its measured duration; None: placed by its hash

    @property
    def id(self) -> str:
        return f"{self.binary} {self.name}"


@dataclass(frozen=True)
class Plan:
    shards: int
    tests: tuple[Placed, ...]  # in the order they were placed: measured ones slowest first
    sources: tuple[str, ...] = ()  # where the durations came from

    def predicted_s(self) -> tuple[float, ...]:
        """Each shard's sum of measured durations (tests placed by hash count 0)."""
        return predicted(((t.shard, t.seconds or 0.0) for t in self.tests), self.shards)

    @property
    def ideal_s(self) -> float:
        return ideal(tuple(t.seconds or 0.0 for t in self.tests), self.shards)

    def of_shard(self, shard: int) -> tuple[Placed, ...]:
        return tuple(t for t in self.tests if t.shard == shard)

    def shard_of(self) -> dict[tuple[str, str], int]:
        return {(t.binary, t.name): t.shard for t in self.tests}

    def as_json(self) -> dict[str, Any]:
        """binary -> test -> [shard, seconds or null]: compact for a suite of 100,000 tests."""
        tests: dict[str, dict[str, list[Any]]] = {}
        for t in self.tests:
            tests.setdefault(t.binary, {})[t.name] = [t.shard, t.seconds]
        predicted_s = self.predicted_s()
        return {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "shards": self.shards,
            "durations_from": list(self.sources),
            "predicted_s": [round(s, 3) for s in predicted_s],
            "ideal_s": round(self.ideal_s, 3),
            "tests": tests,
        }


class BadPlan(ValueError):
    """A plan file that is not one we wrote, or is damaged; the message names the field."""


def balance(
    listed: Iterable[tuple[str, str]],
    seconds: Mapping[tuple[str, str], float],
    shards: int,
    *,
    sources: Sequence[str] = (),
) -> Plan:
    """Every listed test (binary id, name) on one of `shards`: the measured longest first onto the
    least-loaded shard, the others by their stable hash. Tests that `seconds` knows but that are
    not listed (removed since) are left out."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    tests = sorted(set(listed))
    measured = sorted(((seconds[t], t) for t in tests if t in seconds), key=lambda p: (-p[0], p[1]))
    loads = [(0.0, k) for k in range(1, shards + 1)]  # already a heap: all 0, by shard
    placed: list[Placed] = []
    for secs, (binary, name) in measured:
        load, shard = heapq.heappop(loads)
        placed.append(Placed(binary, name, shard, secs))
        heapq.heappush(loads, (load + secs, shard))
    placed.extend(
        Placed(binary, name, hash_shard(binary, name, shards), None)
        for binary, name in tests
        if (binary, name) not in seconds
    )
    return Plan(shards, tuple(placed), tuple(sources))


def hash_shard(binary: str, name: str, shards: int) -> int:
    """The shard (1..N) of a test the plan does not know: a hash of its id that every process
    and every Python computes alike (never `hash()`, which is salted per process)."""
    digest = hashlib.sha256(f"{binary}\0{name}".encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def predicted(placed: Iterable[tuple[int, float]], shards: int) -> tuple[float, ...]:
    """Sum of seconds per shard, from (shard, seconds) pairs."""
    loads = [0.0] * shards
    for shard, secs in placed:
        loads[shard - 1] += secs
    return tuple(loads)


def ideal(seconds: Sequence[float], shards: int) -> float:
    """No plan's slowest shard can be faster: the larger of an even split and the longest test."""
    return max(sum(seconds) / shards, max(seconds, default=0.0))


def dumps(plan: Plan) -> str:
    return json.dumps(plan.as_json(), indent=1, ensure_ascii=False) + "\n"


def parse(text: str, *, source: str) -> Plan:
    """A plan file's text back to a Plan; `BadPlan` (naming `source` and the field) otherwise."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadPlan(f"{source} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise BadPlan(f'{source} is not a perf-tasks shard plan (no "kind": "{KIND}")')
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise BadPlan(
            f"{source} has schema_version {version}; this perf-tasks reads up to "
            f"{SCHEMA_VERSION}: upgrade perf-tasks, or plan again (tests.shard --shards N)"
        )
    if version != SCHEMA_VERSION:
        raise BadPlan(
            f"{source}: schema_version must be {SCHEMA_VERSION}, got "
            f"{json.dumps(data.get('schema_version'))[:40]}"
        )
    shards = data.get("shards")
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise BadPlan(f"{source}: shards must be a whole number from 1 to {MAX_SHARDS}")
    tests = data.get("tests")
    if not isinstance(tests, dict):
        raise BadPlan(f"{source}: tests must be a table of binary -> test -> [shard, seconds]")
    placed = []
    for binary, per_test in tests.items():
        if not isinstance(per_test, dict):
            raise BadPlan(f"{source}: tests.{binary} must be a table of test -> [shard, seconds]")
        for name, entry in per_test.items():
            placed.append(_placed(binary, name, entry, shards, source=source))
    sources = data.get("durations_from") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise BadPlan(f"{source}: durations_from must be a list of texts")
    return Plan(shards, tuple(placed), tuple(sources))


def _placed(binary: str, name: str, entry: object, shards: int, *, source: str) -> Placed:
    where = f"{source}: tests.{binary}.{name}"
    if not isinstance(entry, list) or len(entry) != 2:
        raise BadPlan(f"{where} must be [shard, seconds or null]")
    shard, secs = entry
    if isinstance(shard, bool) or not isinstance(shard, int) or not 1 <= shard <= shards:
        raise BadPlan(f"{where}: the shard must be a whole number from 1 to {shards}")
    if secs is not None and (
        isinstance(secs, bool) or not isinstance(secs, (int, float)) or not 0 <= secs < 1e7
    ):
        raise BadPlan(f"{where}: seconds must be a number from 0, or null")
    return Placed(binary, name, shard, None if secs is None else float(secs))
