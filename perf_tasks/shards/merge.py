"""The shards' JUnit reports back into one record of the run, the record `gate`, `monitor` and
the next plan read. Pure: texts and listings in, the record's `tests` part out.

nextest's JUnit leaves out #[ignore]d tests (the listing with `--run-ignored all` counts them),
and an archive never runs doctests (a job of their own runs `cargo test --doc`: its output gives
their outcomes). A test the listing has that no shard ran, or that two shards ran, is named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from perf_tasks.measure import nextest_runs
from perf_tasks.measure.nextest_runs import Case
from perf_tasks.measure.stats import summarize
from perf_tasks.shards.listing import Listed

RUNNER = "nextest-shards"


@dataclass(frozen=True)
class ShardReport:
    shard: int
    source: str  # the report's path, as shown
    cases: tuple[Case, ...]
    wall_s: float  # the run's own time (`<testsuites time=...>`): this shard's wall time


def read_report(text: str, *, shard: int, source: str) -> ShardReport:
    """One shard's JUnit report; ValueError (naming nothing: the caller names the file)."""
    cases = nextest_runs.parse_junit(text)
    wall = nextest_runs.run_wall(text)
    if wall is None:
        wall = sum(c.time_s for c in cases)
    return ShardReport(shard, source, cases, wall)


@dataclass(frozen=True)
class Merged:
    cases: tuple[Case, ...]  # every test case of every shard, each test once
    missing: tuple[str, ...]  # listed, runnable, and in no shard's report
    duplicated: tuple[str, ...]  # in more than one shard's report
    ignored: int  # #[ignore]d tests the listing has

    @property
    def complete(self) -> bool:
        return not self.missing and not self.duplicated


def merge(reports: Sequence[ShardReport], listed: Sequence[Listed]) -> Merged:
    seen = Counter(c.id for r in reports for c in r.cases)
    cases = {c.id: c for r in reports for c in r.cases}
    runnable = {f"{t.binary} {t.name}" for t in listed if not t.ignored}
    return Merged(
        cases=tuple(cases[k] for k in sorted(cases)),
        missing=tuple(sorted(runnable - set(cases))),
        duplicated=tuple(sorted(k for k, n in seen.items() if n > 1)),
        ignored=sum(t.ignored for t in listed),
    )


def tests_part(
    merged: Merged,
    reports: Sequence[ShardReport],
    *,
    command: str,
    doc: dict[str, Any] | None,
) -> dict[str, Any]:
    """The record's `tests`, with the keys a baseline's has (docs/baseline-record.md). Its wall
    time is the slowest shard's: the time the sharded run keeps CI waiting. One run: no spread."""
    cases = [c for c in merged.cases if c.status != "skipped"] or list(merged.cases)
    counts = nextest_runs.counts_from_junit(merged.cases, None)
    skipped = counts.skipped + len(merged.missing)
    wall = max((r.wall_s for r in reports), default=0.0)
    return {
        "command": command,
        "env": {},
        "before_each_run": None,
        "runs": 1,
        "warmup": 0,
        "exit_codes": [],
        "wall_s": summarize([wall]).as_json(),
        "cpu_s": None,
        "peak_tree_rss_bytes": None,
        "peak_process_rss_bytes": None,
        # Not "nextest": the slowest shard's wall time is not an unsharded run's, so a comparison
        # with a baseline's record is advisory (a different runner), never a verdict on it.
        "runner": RUNNER,
        "profile": "perf-tasks-shard",
        "profile_source": "perf-tasks",
        "tool_config": None,
        **{**counts.as_json(), "skipped": skipped, "ignored": merged.ignored},
        "counts_varied": False,
        "failing": list(nextest_runs.failing([merged.cases])),
        "varied": [],
        "durations": nextest_runs.median_durations([cases]),
        "durations_range": nextest_runs.duration_ranges([cases]),
        "timed_out": list(nextest_runs.timed_out([merged.cases])),
        "doc": doc,
        "shards": [
            {"shard": r.shard, "report": r.source, "tests": len(r.cases), "wall_s": r.wall_s}
            for r in reports
        ],
    }


def doc_part(stdout: str, *, source: str) -> dict[str, Any]:
    """The record's `tests.doc` from the doctest job's `cargo test --doc` output: its counts, and
    the doctests that failed."""
    counts = nextest_runs.parse_cargo_test(stdout)
    if counts is None:
        raise ValueError(f"{source} has no `test result:` line: not the output of cargo test --doc")
    return {
        "command": "cargo test --doc --workspace --no-fail-fast",
        "runs": 1,
        "warmup": 0,
        "wall_s": None,
        **counts.as_json(),
        "counts_varied": False,
        "failing": list(nextest_runs.failing_outcomes([nextest_runs.cargo_test_outcomes(stdout)])),
        "varied": [],
    }
