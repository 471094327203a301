"""What each mode selects, on real files: run and artifact policy, caches, nuke on a real build."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import age, du, tiny_workspace, write

from perf_tasks import workspace
from perf_tasks.clean import run
from perf_tasks.clean.modes.artifacts import match_rule
from perf_tasks.clean.modes.runs import RunInfo, decide_runs
from perf_tasks.clean.safety import Guard
from perf_tasks.fs.glob import glob_match
from perf_tasks.fs.partition import partition
from perf_tasks.settings import Settings, parse

NOW = 2_000_000_000.0
DAY = 86400.0


def guard_for(root: Path) -> Guard:
    return Guard.for_workspace(workspace.load(root))


# ------------------------------------------------------------------------------------- runs


def infos(*ages_days: float, marker_at: int | None = None) -> list[RunInfo]:
    return [
        RunInfo(Path(f"/r/run{i}"), NOW - a * DAY, "RUNNING" if i == marker_at else None)
        for i, a in enumerate(ages_days)
    ]


def test_runs_keep_the_newest_n_and_any_younger_than_the_limit() -> None:
    settings = parse({"runs": {"keep_newest": 2, "keep_days": 14}}, source="t")
    remove, _ = decide_runs(infos(1, 20, 30, 40, 13), settings, now=NOW)
    # newest two are run0 (1 d) and run4 (13 d); of the rest only those over 14 days go
    assert sorted(p.name for p, _ in remove) == ["run1", "run2", "run3"]
    remove, _ = decide_runs(infos(30, 31, 32), Settings(), now=NOW)
    assert remove == []  # fewer than the newest 10


def test_runs_being_written_are_never_removed() -> None:
    settings = parse({"runs": {"keep_newest": 0, "keep_days": 0, "active_minutes": 10}}, source="t")
    runs = [*infos(30, 31, marker_at=1), RunInfo(Path("/r/live"), NOW - 120, None)]
    remove, skipped = decide_runs(runs, settings, now=NOW)
    assert [p.name for p, _ in remove] == ["run0"]
    assert {s.path.name: s.reason for s in skipped} == {
        "run1": "still being written: holds RUNNING",
        "live": "still being written: changed 2 min 0 s ago",
    }


def test_run_age_is_the_newest_mtime_inside(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    scg = root / "output" / "scg"
    for i in range(12):
        write(scg / f"run{i:02}" / "deep" / "result.json")
        age(scg / f"run{i:02}", 30 + i)
    # run05 looks old at the top but holds a file written an hour ago
    os.utime(scg / "run05" / "deep" / "result.json", (time.time() - 3600,) * 2)
    write(scg / "run11" / "job.lock", "")
    age(scg / "run11", 40)
    guard = guard_for(root)
    plan, scanned = run.plan("runs", guard, Settings(), now=time.time())
    names = sorted(i.path.name for i in plan.items)
    # newest 10 by inner mtime: run05 and run00..run09 minus run05 counted once -> run10 goes;
    # run11 holds a marker
    assert names == ["run10"]
    assert any(s.path.name == "run11" and "job.lock" in s.reason for s in plan.skipped)
    assert plan.items[0].bytes == du(scg / "run10")
    report = run.execute(plan, scanned, guard, dry_run=False)
    assert report.ok and not (scg / "run10").exists() and (scg / "run11").exists()


# --------------------------------------------------------------------------------- artifacts


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("**/*bench*.json", "criterion/x/bench-new.json", True),
        ("**/*bench*.json", "bench.json", True),
        ("*.json", "a/b.json", False),
        ("**/test-report*/**", "ci/test-reports/junit/a.xml", True),
        ("data/*.bin", "data/x.bin", True),
        ("data/*.bin", "data/y/x.bin", False),
        ("**/*", "anything/at/all", True),
    ],
)
def test_glob_match(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_first_matching_rule_decides() -> None:
    rules = Settings().artifacts.rules
    assert match_rule(rules, "perf/bench-1.json").name == "benchmark JSON"  # type: ignore[union-attr]
    assert match_rule(rules, "reports/junit.xml").name == "test reports"  # type: ignore[union-attr]
    assert match_rule(rules, "dump/x.parquet").name == "data artifacts"  # type: ignore[union-attr]


def test_artifact_retention_by_kind(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    art = root / "artifacts"
    old_bench = write(art / "bench" / "bench-run.json")
    new_bench = write(art / "bench" / "bench-today.json")
    old_report = write(art / "reports" / "junit.xml")
    mid_data = write(art / "data" / "frames.bin")
    old_data = write(art / "data" / "old.bin")
    for path, days in ((old_bench, 8), (old_report, 8), (mid_data, 10), (old_data, 15)):
        os.utime(path, (time.time() - days * DAY,) * 2)
    guard = guard_for(root)
    plan, scanned = run.plan("artifacts", guard, Settings(), now=time.time())
    assert sorted(i.path for i in plan.items) == sorted([old_bench, old_report, old_data])
    run.execute(plan, scanned, guard, dry_run=False)
    assert new_bench.exists() and mid_data.exists() and not old_data.exists()


# ------------------------------------------------------------------------------------- cache


def test_cache_removes_incremental_doc_and_nextest_but_not_deps(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "target" / "nextest" / "ci" / "junit.xml")
    home = write(
        tmp_path / "cargo-home" / "registry" / "src" / "idx" / "crate-1.0" / "lib.rs"
    ).parents[4]
    guard = guard_for(root)
    plan, scanned = run.plan("cache", guard, Settings(), now=time.time())
    rel = sorted(i.path.relative_to(root / "target").as_posix() for i in plan.items)
    assert rel == ["debug/incremental", "doc", "nextest"]
    run.execute(plan, scanned, guard, dry_run=False)
    assert (root / "target" / "debug" / "deps" / "libtiny-0123abcd.rlib").exists()
    extras = run.cache_extras({"CARGO_HOME": str(home)}, now=time.time())
    parts = extras["cargo_home"]["parts"]  # type: ignore[index]
    assert parts["registry sources"] == du(home / "registry" / "src")


# -------------------------------------------------------------------------------- dry run


def test_dry_run_builds_the_same_plan_and_deletes_nothing(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    before = du(root)
    guard = guard_for(root)
    plan, scanned = run.plan("nuke", guard, Settings(), now=time.time())
    report = run.execute(plan, scanned, guard, dry_run=True)
    assert du(root) == before
    assert report.removed == () and report.freed_bytes == plan.freed_bytes > 0
    again, _ = run.plan("nuke", guard, Settings(), now=time.time())
    assert again.items == plan.items


def test_partition_adds_up_to_the_folder(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    target = root / "target"
    items = {target / "debug" / "deps" / "libtiny-0123abcd.rlib", target / "doc"}
    rest, shallow = partition(target, items)
    from perf_tasks.fs.scan import scan

    assert scan([*items, *rest], shallow=shallow).total().bytes == du(target)


# ------------------------------------------------------------------------- real cargo build


@pytest.mark.cargo
def test_nuke_on_a_real_build_matches_du_and_leaves_cargo_able_to_build(demo_copy: Path) -> None:
    target = demo_copy / "target"
    expected = du(target)
    guard = guard_for(demo_copy)
    plan, scanned = run.plan("nuke", guard, Settings(), now=time.time())
    area = next(a for a in plan.areas if a.path == target)
    assert area.bytes == expected
    report = run.execute(plan, scanned, guard, dry_run=False)
    assert report.ok
    after = next(a for a in report.areas_after if a.path == target)
    assert after.bytes == du(target)
    assert report.freed_bytes == expected - after.bytes
    from conftest import cargo

    cargo("build", "--workspace", "--quiet", cwd=demo_copy)


def test_freed_per_category_counts_a_file_only_when_its_last_link_goes(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    blob = write(root / "cache" / "blob", b"b" * 100_000)
    os.link(blob, root / "src" / "blob-kept")  # a link that stays: the bytes are not freed
    alone = write(root / "cache" / "alone", b"a" * 50_000)
    guard = guard_for(root)
    plan, scanned = run.plan(
        "nuke", guard, parse({"clean": {"nuke": ["cache"]}}, source="t"), now=time.time()
    )
    report = run.execute(plan, scanned, guard, dry_run=False)
    assert report.ok
    blocks = os.lstat(root / "src" / "blob-kept").st_blocks * 512
    assert report.freed_by_category == {"output": plan.bytes - blocks}
    assert report.freed_bytes == plan.bytes - blocks
    assert not alone.exists()
