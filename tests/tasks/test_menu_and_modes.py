"""The menu as users see it, the closing line's figures, and clean.artifacts through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT, age, du, perf, tiny_workspace, write

from perf_tasks.quantities import format_bytes

MENU = """\
Available tasks:

  baseline.compare             Compare with the record or --against a revision;
                               exit 1 on a regression.
  baseline.record (baseline)   Record disk, build and test times, CPU and RAM
                               in docs/performance/ (Baseline.md + JSON).
  cache.compare                Time cold builds with no cache, an empty sccache
                               and a warm one; say if the cache pays.
  ci.audit                     Audit the GitHub workflows: caches, retention,
                               path filters, tests; --fix the safe part.
  ci.init                      Write GitHub workflows: ci.yml (path-filtered,
                               cached) and monitoring.yml.
  clean.artifacts              Apply artifact retention under artifacts/
                               (benchmarks 7 d, test reports 7 d, data 14 d).
  clean.cache                  Remove incremental caches, nextest's store and
                               doc/; report what ~/.cargo holds.
  clean.nuke                   Remove all the workspace generates: target and
                               build dirs, output/scg, cache, artifacts.
  clean.routine (clean)        Routine cleanup: stale units, stale incremental
                               caches, old runs and artifacts.
  clean.runs                   Remove old run folders under output/scg/ (keep
                               the newest 10 and any under 14 days old).
  clean.target                 Bring the target dir under its budget: stale
                               units, then unused profiles, largest first.
  contract.init                Write a starter contract from a fresh
                               measurement (or --record); never over one
                               (--force).
  doctor.run (doctor)          Check tests, disk, builds and CI against the
                               team's checklist; exit 1 on an error.
  gate.check (gate)            Check a fresh measurement (or --record) against
                               the contract's gates; exit 1 on a breach.
  init.workspace (init)        Write a starter perf-tasks.toml: every key at
                               its default, commented, with what it does.
  monitor.run (monitor)        Daily: measure, check gates and the disk budget,
                               append the history, draw, report.
  nextest.init                 Create or merge .config/nextest.toml's ci
                               profile: no fail-fast, retries, timeouts, JUnit.
  profiles.apply               Add or update [profile.*] in the workspace
                               root's Cargo.toml; nothing else changes.
  profiles.compare             Build and test with two profiles in pairs, in a
                               scratch copy; recommend one, or not.
  profiles.show (profiles)     Show the profiles cargo builds with, inherits
                               resolved, and where each value is set.
  tests.affected               The packages a change since --base can affect,
                               as a nextest filterset; --run runs it.
  tests.ignored                Every ignored test (nextest's list) and doctest,
                               by package, with its #[ignore] reason.
  tests.merge                  Merge the shards' reports into one record of the
                               run, for gate, monitor and the next plan.
  tests.order                  Start the slowest tests first: priority bands in
                               .config/nextest.toml, from durations.
  tests.runners                Time cargo test and nextest in pairs; recommend
                               one, or show the tests they differ on.
  tests.shard                  Plan duration-balanced shards of the tests
                               (--shards N), or run one (--run K/N).
  tests.slow                   The slowest tests, and any over nextest's slow-
                               timeout, with their share of the wall time.
  verify.check                 Run every test and doctest again; exit 1 if a
                               test or an outcome differs from the record.
  verify.record                Run every test and doctest once; record the list
                               and each test's outcome.

"""


def test_the_whole_menu_under_invoke_and_perf_tasks() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == MENU
    ours = perf("--list")
    assert ours.stdout == MENU.replace("Available tasks:", "Subcommands:")


def test_the_closing_line_gives_the_sizes_du_gives(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    before = du(root / "target")
    proc = perf("clean.cache", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    after = du(root / "target")
    assert after < before
    last = proc.stdout.strip().splitlines()[-1]
    freed = before - after
    expected = (
        f"target/ {format_bytes(before)} \u2192 {format_bytes(after)} "
        f"(\u2212{format_bytes(freed)}, \u2212{100 * freed / before:.0f}%) in "
    )
    assert last.startswith(expected), last


def test_artifacts_retention_by_rule_with_verbose(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    art = root / "artifacts"
    old_bench = write(art / "bench" / "run-bench.json")  # benchmark JSON: 7 days
    old_report = write(art / "ci" / "junit.xml")  # test reports: 7 days
    data_10d = write(art / "data" / "table.csv")  # data: 14 days
    data_20d = write(art / "data" / "old.csv")
    fresh = write(art / "bench" / "new-bench.json")
    for path, days in ((old_bench, 8), (old_report, 8), (data_10d, 10), (data_20d, 20)):
        age(path, days)
    proc = perf("clean.artifacts", "--verbose", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    assert not old_bench.exists() and not old_report.exists() and not data_20d.exists()
    assert data_10d.exists() and fresh.exists()
    lines = proc.stdout.splitlines()
    removed = sorted(ln.split(" (")[0] for ln in lines if ln.startswith("removed "))
    assert removed == [
        "removed artifacts/bench/run-bench.json",
        "removed artifacts/ci/junit.xml",
        "removed artifacts/data/old.csv",
    ]
    assert any("benchmark JSON older than 7 days (8 days)" in ln for ln in lines)
    assert any("data artifacts older than 14 days (20 days)" in ln for ln in lines)


def closing_sizes(line: str) -> tuple[str, str]:
    """("81.0 MB", "61.7 MB") from a closing line."""
    before, after = line.split(" \u2192 ")
    return before.rsplit(" ", 2)[-2] + " " + before.rsplit(" ", 1)[-1], " ".join(
        after.split(" ")[:2]
    )


def test_the_dry_run_promises_what_the_real_run_does_with_hard_links(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    session = root / "target" / "debug" / "incremental" / "tiny-1x2y" / "s-abc"
    shared = write(session / "work-product.o", b"o" * 400_000)
    # rustc links the same work product into the unit's folder, which the cache mode keeps
    os.link(shared, root / "target" / "debug" / "deps" / "tiny-0123abcd.work-product.o")
    dry = perf("clean.cache", "--dry-run", "--root", str(root))
    assert dry.returncode == 0, dry.stderr
    real = perf("clean.cache", "--root", str(root))
    assert real.returncode == 0, real.stderr
    promised = closing_sizes(dry.stdout.strip().splitlines()[-1].removeprefix("dry run: "))
    done = closing_sizes(real.stdout.strip().splitlines()[-1])
    assert promised == done
    assert done[1] == format_bytes(du(root / "target"))


def test_freed_per_category_adds_up_with_a_shared_row(tmp_path: Path) -> None:
    import json

    root = tiny_workspace(tmp_path / "ws")
    session = root / "target" / "debug" / "incremental" / "tiny-1x2y" / "s-abc"
    linked = write(session / "blob", b"b" * 300_000)
    os.link(linked, root / "target" / "doc" / "tiny" / "blob")  # a link across two categories
    size = du(linked)
    proc = perf("clean.cache", "--dry-run", "--json", "--root", str(root))
    totals = json.loads(proc.stdout)["totals"]
    alone = sum(c["freed_bytes"] for c in totals["by_category"].values())
    assert totals["freed_shared_bytes"] == size
    assert alone + totals["freed_shared_bytes"] == totals["freed_bytes"]
    text = perf("clean.cache", "--dry-run", "--root", str(root)).stdout
    row = next(ln for ln in text.splitlines() if ln.startswith("shared between categories"))
    assert row.split()[-2:] == format_bytes(size).split()
