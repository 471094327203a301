"""What nextest lists: every test with its binary id, whether it is #[ignore]d, and whether it
matched the listing's filters (a `--partition`'s among them), as nextest 0.9.148's
`list --message-format json` says per test case: `"filter-match": {"status": "matches"}`, or
`{"status": "mismatch", "reason": "partition"}`."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from perf_tasks import command
from perf_tasks.errors import CommandFailed
from perf_tasks.measure import nextest_runs

PROFILE = "perf-tasks-shard"
LIST_TIMEOUT_S = 1800.0  # the first listing builds the tests


@dataclass(frozen=True)
class Listed:
    binary: str
    name: str
    ignored: bool
    matches: bool  # selected by the listing's filters and partition

    @property
    def key(self) -> tuple[str, str]:
        return (self.binary, self.name)


@dataclass(frozen=True)
class Source:
    """Where the tests come from: the workspace (built by the listing when needed), or a nextest
    archive unpacked against the workspace (`--workspace-remap`)."""

    root: Path
    program: str  # cargo-nextest
    env: tuple[tuple[str, str], ...]
    archive: Path | None = None

    def args(self) -> tuple[str, ...]:
        if self.archive is None:
            return ("--workspace",)
        return ("--archive-file", str(self.archive), "--workspace-remap", str(self.root))


def parse(json_text: str) -> tuple[Listed, ...]:
    """Every test case of a listing, in nextest's order."""
    try:
        data = json.loads(json_text)
    except ValueError as exc:
        raise CommandFailed(f"cargo nextest list did not print JSON: {exc}") from None
    found = []
    for binary, suite in (data.get("rust-suites") or {}).items():
        for name, case in (suite.get("testcases") or {}).items():
            match = (case.get("filter-match") or {}).get("status")
            found.append(Listed(binary, name, bool(case.get("ignored")), match == "matches"))
    return tuple(found)


def list_tests(
    source: Source,
    *,
    partition: str | None = None,
    ignored: Literal["default", "all"] = "default",
) -> tuple[Listed, ...]:
    """`cargo nextest list`, every test of the workspace (its own default-filter aside), with
    `--partition` when given (`hash:1/4`, `slice:2/4`)."""
    args = [*source.args(), "--message-format", "json", "--run-ignored", ignored]
    if partition is not None:
        args += ["--partition", partition]
    with tempfile.TemporaryDirectory(prefix="perf-tasks-list-") as scratch:
        config = Path(scratch) / "nextest.toml"
        config.write_text(nextest_runs.tool_config(PROFILE, store_dir=scratch), encoding="utf-8")
        argv = nextest_runs.argv(
            source.program, "list", profile=PROFILE, tool_config=config, args=args
        )
        out = command.run(
            argv,
            cwd=source.root,
            env=dict(source.env),
            timeout_s=LIST_TIMEOUT_S,
            what="`cargo nextest list`",
        )
    return parse(out.stdout)


def partitions(
    source: Source, kind: Literal["hash", "slice"], shards: int
) -> dict[tuple[str, str], int]:
    """Which shard nextest's own `--partition KIND:K/N` puts each test in (ignored ones aside)."""
    found: dict[tuple[str, str], int] = {}
    for k in range(1, shards + 1):
        for test in list_tests(source, partition=f"{kind}:{k}/{shards}"):
            if test.matches and not test.ignored:
                found[test.key] = k
    return found


def runnable(tests: Sequence[Listed]) -> tuple[tuple[str, str], ...]:
    """The tests a run without `--run-ignored` runs."""
    return tuple(t.key for t in tests if not t.ignored)
