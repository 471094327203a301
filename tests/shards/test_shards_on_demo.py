"""Real cargo and nextest on the demo: plan from an unsharded run's report, add tests after
planning, archive once, run 3 shards AT ONCE from the archive, merge; every test runs exactly
once, and the merged record has the same tests and outcomes as one unsharded run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import perf

from perf_tasks.measure import nextest_runs
from perf_tasks.measure import record as record_mod

pytestmark = pytest.mark.slow

ADDED = """
#[test]
fn added_after_planning() {}

#[test]
fn fails_after_planning() {
    assert_eq!(1 + 1, 3, "a failing outcome must reach the merged record");
}
"""


def unsharded(ws: Path, store: Path) -> tuple[nextest_runs.Case, ...]:
    """One plain nextest run of the whole workspace, its JUnit report read."""
    config = store / "tool.toml"
    store.mkdir(parents=True, exist_ok=True)
    config.write_text(nextest_runs.tool_config("whole", store_dir=str(store)))
    argv = nextest_runs.argv(
        nextest_runs.PROGRAM, "run", profile="whole", tool_config=config, args=["--workspace"]
    )
    subprocess.run(argv, cwd=ws, capture_output=True, check=False, timeout=600)
    return nextest_runs.parse_junit((store / "whole" / "junit.xml").read_text())


def outcomes(cases: tuple[nextest_runs.Case, ...]) -> dict[str, str]:
    return {c.id: c.status for c in cases}


def test_three_shards_at_once_from_one_archive_cover_every_test_once(
    demo_copy: Path, tmp_path: Path
) -> None:
    ws = demo_copy
    before = unsharded(ws, tmp_path / "before")
    assert before, "the unsharded run left no report to plan from"
    planned = perf(
        "tests.shard", "--shards", "3", "--durations", str(tmp_path / "before/whole/junit.xml"),
        "--plan", str(tmp_path / "plan.json"), cwd=ws,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert "nextest hash:" in planned.stdout and "nextest slice:" in planned.stdout
    assert "this plan" in planned.stdout and "ideal:" in planned.stdout

    # Tests added after planning: a new binary, and a test in a binary the plan knows.
    (ws / "crates/demo-core/tests/added.rs").write_text(ADDED)
    with (ws / "crates/demo-core/tests/core_api.rs").open("a") as f:
        f.write("\n#[test]\nfn also_added_after_planning() {}\n")
    archive = tmp_path / "tests.tar.zst"
    subprocess.run(
        [nextest_runs.PROGRAM, "nextest", "archive", "--workspace", "--archive-file", str(archive)],
        cwd=ws, capture_output=True, check=True, timeout=900,
    )  # fmt: skip
    out = ws / "shards"  # given relative to the root, as a user in the root types it
    env = {**os.environ}

    def shard(k: int) -> subprocess.Popen[str]:
        argv = [sys.executable, "-m", "perf_tasks", "tests.shard", "--run", f"{k}/3", "--json"]
        argv += [
            "--plan",
            str(tmp_path / "plan.json"),
            "--archive",
            str(archive),
            "--out",
            "shards",
        ]
        return subprocess.Popen(
            argv, cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    runs = [shard(k) for k in (1, 2, 3)]  # at once
    done = [(p.communicate(timeout=600), p.returncode) for p in runs]
    # A shard with the failing test exits 1; every shard ran.
    assert all(code in (0, 1) for _, code in done), done
    ran = [json.loads(stdout) for (stdout, _), _ in done]
    assert sum(r["unplanned"] for r in ran) == 3

    cases = [
        c
        for k in (1, 2, 3)
        for c in nextest_runs.parse_junit((out / f"junit-{k}-of-3.xml").read_text())
    ]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "a test ran in two shards"
    after = unsharded(ws, tmp_path / "after")
    assert outcomes(tuple(cases)) == outcomes(after)  # the same tests, the same outcomes
    for added in (
        "demo-core::added added_after_planning",
        "demo-core::added fails_after_planning",
        "demo-core::core_api also_added_after_planning",
    ):
        assert ids.count(added) == 1

    doc = subprocess.run(
        ["cargo", "test", "--doc", "--workspace", "--no-fail-fast"],
        cwd=ws, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    (tmp_path / "doc.txt").write_text(doc.stdout)
    # From another folder, every path relative to it.
    merged = perf(
        "tests.merge", "--root", str(ws), "--shards", "3", "--reports", "ws/shards",
        "--archive", "tests.tar.zst", "--doctests", "doc.txt", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert merged.returncode == 1, merged.stderr  # the failing test
    summary = json.loads(merged.stdout)
    assert summary["failing"] == ["demo-core::added fails_after_planning"]
    assert summary["missing"] == [] and summary["duplicated"] == []
    record = record_mod.load(out / "record.json", program="perf-tasks")
    assert record.tests is not None
    counts = record.tests.run.counts
    assert counts is not None
    assert (counts.passed, counts.failed) == (
        sum(s == "passed" for s in outcomes(after).values()),
        sum(s == "failed" for s in outcomes(after).values()),
    )
    assert counts.ignored == 1  # checksum_of_large_input_matches_reference, from the listing
    assert {f"{b} {n}" for b, t in record.tests.durations.items() for n in t} == set(
        outcomes(after)
    )
    assert record.tests.doc is not None and record.tests.doc.counts is not None
    assert record.tests.doc.counts.passed == nextest_runs.parse_cargo_test(doc.stdout).passed  # type: ignore[union-attr]
    assert record.ok is False


def test_a_first_plan_without_durations_places_every_test_by_its_hash(
    demo_copy: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    proc = perf("tests.shard", "--shards", "2", "--plan", str(plan), "--json", cwd=demo_copy)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["unmeasured"] == summary["tests"] == 13
    placed = json.loads(plan.read_text())["tests"]
    assert all(seconds is None for tests in placed.values() for _, seconds in tests.values())
