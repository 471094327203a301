"""`monitor`, the daily job, as users run it: records on several days (fixed times), the bounded
history, the chart, the report; and the pure history rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers import perf

from perf_tasks.monitor import history
from perf_tasks.monitor.report import largest_changes

OUT = Path("docs") / "performance" / "monitor"
DAY0 = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)


def stat(median: float) -> dict[str, Any]:
    return {"median": median, "min": median * 0.9, "max": median * 1.1, "mad": median * 0.01}


def day_record(path: Path, day: int, *, target: int = 80_000_000) -> Path:
    """A record as `baseline` writes them, cut to what the monitor reads; slower each day."""
    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": history.iso(DAY0 + timedelta(days=day)),
        "environment": {"git": {"commit": f"{day:02d}" * 20, "dirty": False}},
        "build": {
            "runs": 3,
            "wall_s": stat(0.02),
            "cpu_s": stat(0.02),
            "incremental": {"runs": 3, "wall_s": stat(0.2), "cpu_s": stat(0.2 + 0.01 * day)},
        },
        "tests": {
            "runs": 3,
            "wall_s": stat(0.15 + 0.02 * day),
            "cpu_s": stat(0.2),
            "durations": {"demo-core::core_api": {"slow": 0.005 * (day + 1)}},
        },
        "disk": {"target": {"bytes": target + day * 10**6}, "cache": {"bytes": 0, "exists": False}},
    }
    path.write_text(json.dumps(data))
    return path


def contract(root: Path, *rows: str) -> None:
    path = root / "benches" / "PERFORMANCE_CONTRACT.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = "\n".join(f"| {r} |" for r in rows)
    path.write_text(f"# Contract\n\n| metric | bound | note |\n|---|---|---|\n{table}\n")


ROWS = (
    "tests.wall_s | ≤ 240 ms | suite",
    "build.incremental.cpu_s | ≤ 400 ms | build",
    "disk.target.bytes | ≤ 5 GB | budget",
    "test:demo-core::core_api slow | ≤ 200 ms | one test",
    "tests.each | ≤ +50% and +100 ms | relative: skipped without a base",
)


@pytest.mark.slow
def test_monitor_over_several_days_draws_the_chart_and_reports(tmp_path: Path) -> None:
    contract(tmp_path, *ROWS)
    (tmp_path / "perf-tasks.toml").write_text("[monitor]\nkeep_entries = 3\n")
    results = []
    for day in range(1, 6):
        record = day_record(tmp_path / f"r{day}.json", day)
        results.append(perf("monitor", "--root", str(tmp_path), "--record", str(record), "--json"))
    assert [r.returncode for r in results] == [0, 0, 0, 0, 1], results[-1].stderr
    last = json.loads(results[-1].stdout)
    assert last["gates"]["breaches"] == ["tests.wall_s"]  # 0.25 s on day 5, over 0.24 s
    assert last["entries"] == 3  # keep_entries
    lines = (tmp_path / OUT / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["at"][:10] for line in lines] == [
        "2026-11-04",
        "2026-11-05",
        "2026-11-06",
    ]
    entry = json.loads(lines[-1])
    assert entry["values"]["tests.wall_s"] == pytest.approx(0.25)
    assert entry["values"]["test:demo-core::core_api slow"] == pytest.approx(0.03)
    assert entry["bounds"]["tests.wall_s"] == pytest.approx(0.24)
    assert entry["breaches"] == ["tests.wall_s"]
    svg = (tmp_path / OUT / "trend.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg
    for label in ("date (UTC)", "milliseconds", "MB", "bound of tests.wall_s", "tests.cpu_s"):
        assert label in svg, label
    report = (tmp_path / OUT / "report.md").read_text()
    assert "![trend of the monitored figures](trend.svg)" in report
    assert "Gates: **1 of 5 breached.**" in report
    assert "- `tests.wall_s` = 250 ms breaches ≤ 240 ms (contract line 5)" in report
    assert "| `test:demo-core::core_api slow` | 20.0 ms | 25.0 ms | 30.0 ms | +50.0% |" in report
    assert "relative gates not checked, the monitor has no base" in report


@pytest.mark.slow
def test_the_same_history_draws_the_same_chart(tmp_path: Path) -> None:
    contract(tmp_path, *ROWS[:3])
    for day in range(3):
        record = day_record(tmp_path / f"r{day}.json", day)
        assert perf("monitor", "--root", str(tmp_path), "--record", str(record)).returncode == 0
    first = (tmp_path / OUT / "trend.svg").read_bytes()
    again = perf("monitor", "--root", str(tmp_path), "--record", str(tmp_path / "r2.json"))
    assert again.returncode == 0
    assert (tmp_path / OUT / "trend.svg").read_bytes() == first


def test_without_matplotlib_the_monitor_works_and_says_how_to_get_the_chart(tmp_path: Path) -> None:
    blocker = tmp_path / "no-matplotlib" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    root = tmp_path / "ws"
    root.mkdir()
    contract(root, *ROWS[:3])
    record = day_record(tmp_path / "r.json", 0)
    env = {"PYTHONPATH": os.pathsep.join([str(blocker.parent), os.environ.get("PYTHONPATH", "")])}
    done = perf("monitor", "--root", str(root), "--record", str(record), env=env)
    assert done.returncode == 0, done.stderr
    assert "chart: no trend chart: pip install 'perf-tasks[chart]' (matplotlib)" in done.stdout
    assert not (root / OUT / "trend.svg").exists()
    report = (root / OUT / "report.md").read_text()
    assert "No chart: no trend chart: pip install 'perf-tasks[chart]'" in report


@pytest.mark.cargo
@pytest.mark.slow
def test_over_budget_is_reported_and_cleaned_only_when_asked(demo_copy: Path) -> None:
    (demo_copy / "perf-tasks.toml").write_text('[budgets]\ntarget = "1 MB"\n')
    (demo_copy / "target" / "debug" / "ballast.bin").parent.mkdir(exist_ok=True)
    (demo_copy / "target" / "release").mkdir()
    (demo_copy / "target" / "release" / ".cargo-lock").write_bytes(b"")
    (demo_copy / "target" / "release" / "big.bin").write_bytes(os.urandom(3 * 10**6))
    record = day_record(demo_copy / "r.json", 0, target=90_000_000)
    args = ["monitor", "--root", str(demo_copy), "--record", str(record), "--json"]
    reported = perf(*args)
    assert reported.returncode == 1
    budget = json.loads(reported.stdout)["budget"]
    assert (budget["over"], budget["cleaned"]) == (True, None)
    assert (demo_copy / "target" / "release" / "big.bin").exists()
    report = (demo_copy / OUT / "report.md").read_text()
    assert "clean.target did not run ([monitor] clean_over_budget = false)" in report
    (demo_copy / "perf-tasks.toml").write_text(
        '[budgets]\ntarget = "1 MB"\n[monitor]\nclean_over_budget = true\n'
    )
    cleaned = perf(*args)
    budget = json.loads(cleaned.stdout)["budget"]
    assert budget["cleaned"].startswith("clean.target ran and freed"), cleaned.stderr
    # The record says 90 MB: what was freed (the 3 MB ballast and more) leaves it over 1 MB.
    assert (cleaned.returncode, budget["was_over"], budget["over"]) == (1, True, True)
    assert budget["freed_bytes"] >= 3 * 10**6
    assert not (demo_copy / "target" / "release" / "big.bin").exists()  # no command uses release/


def test_history_keeps_the_newest_entries_within_the_days() -> None:
    entries = [history.Entry(at=DAY0 + timedelta(days=d), values={"x": d}) for d in range(10)]
    new = history.Entry(at=DAY0 + timedelta(days=10), values={"x": 10})
    clock = {"now": new.at}
    by_count = history.append(entries, new, keep_entries=3, keep_days=99, **clock)
    assert [e.values["x"] for e in by_count] == [8, 9, 10]
    by_days = history.append(entries, new, keep_entries=99, keep_days=2, **clock)
    assert [e.values["x"] for e in by_days] == [8, 9, 10]
    same_time = history.Entry(at=DAY0, values={"x": -1})
    kept = history.append(entries[:2], same_time, keep_entries=9, keep_days=99, now=DAY0)
    assert [e.values["x"] for e in kept] == [-1, 1]
    assert [c.metric for c in largest_changes([*entries, new])] == ["x"]


def test_a_broken_history_line_is_named(tmp_path: Path) -> None:
    from perf_tasks.errors import ConfigError

    path = tmp_path / "history.jsonl"
    path.write_text('{"at": "2026-11-01T00:00:00Z"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"history\.jsonl:2: not a JSON line"):
        history.read(path)
    assert history.read(tmp_path / "absent.jsonl") == []
    path.write_text('{"at": "2026-11-01T00:00:00Z", "values": {"tests.wall_s": NaN}}\n')
    with pytest.raises(ConfigError, match=r"history\.jsonl:1: `values` must map metrics to finite"):
        history.read(path)  # json reads NaN; the chart died on it with a traceback


def test_now_stamps_the_entry(tmp_path: Path) -> None:
    record = day_record(tmp_path / "r.json", 0)
    done = perf(
        "monitor", "--root", str(tmp_path), "--record", str(record), "--now", "2027-01-02T03:04:05Z"
    )
    assert done.returncode == 0, done.stderr
    (line,) = (tmp_path / OUT / "history.jsonl").read_text().splitlines()
    assert json.loads(line)["at"] == "2027-01-02T03:04:05Z"
    assert "no contract at benches/PERFORMANCE_CONTRACT.md" in done.stdout
    bad = perf("monitor", "--root", str(tmp_path), "--record", str(record), "--now", "yesterday")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: --now: 'yesterday' is not a time")


def test_an_entry_from_a_wrong_clock_never_pushes_this_run_out() -> None:
    entries = [history.Entry(at=DAY0 + timedelta(days=d), values={"x": d}) for d in range(3)]
    future = history.Entry(at=DAY0 + timedelta(days=3650), values={"x": 99})
    new = history.Entry(at=DAY0 + timedelta(days=3), values={"x": 3})
    now = new.at
    kept = history.append([*entries, future], new, keep_entries=99, keep_days=2, now=now)
    assert [e.values["x"] for e in kept] == [1, 2, 3, 99]
    kept = history.append([*entries, future], new, keep_entries=2, keep_days=99, now=now)
    assert [e.values["x"] for e in kept] == [3, 99]
    kept = history.append([*entries, future], new, keep_entries=1, keep_days=99, now=now)
    assert [e.values["x"] for e in kept] == [3]
    for no_limit in (float("inf"), 1e400, 1e12):  # TOML has inf: no limit by days, no traceback
        kept = history.append(entries, new, keep_entries=99, keep_days=no_limit, now=now)
        assert [e.values["x"] for e in kept] == [0, 1, 2, 3]


def test_the_exit_code_counts_what_cleaning_freed() -> None:
    from perf_tasks.monitor.run import Budget

    cleaned = Budget(80, 70, cleaned="clean.target ran and freed 12 B", freed=12)
    assert (cleaned.was_over, cleaned.over, cleaned.left) == (True, False, 68)
    assert cleaned.line().endswith("freed 12 B: about 68 B left, within it")
    still = Budget(80, 50, cleaned="clean.target ran and freed 12 B", freed=12)
    assert still.over and still.line().endswith("about 68 B left, still over it")
    assert not Budget(40, 50).over and Budget(40, 50).line().endswith("within its budget of 50 B")


@pytest.mark.cargo
@pytest.mark.slow
def test_save_writes_the_fresh_record_ci_uploads(demo_copy: Path) -> None:
    saved = demo_copy / "docs" / "performance" / "ci-record.json"
    done = perf("monitor", "--root", str(demo_copy), "--runs", "1", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    record = json.loads(saved.read_text())
    assert record["kind"] == "perf-tasks.baseline"
    (line,) = (demo_copy / OUT / "history.jsonl").read_text().splitlines()
    assert json.loads(line)["at"] == record["started_at"]


def test_a_history_that_is_a_fifo_or_runaway_is_one_line_never_a_hang(tmp_path: Path) -> None:
    from perf_tasks.errors import ConfigError

    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"fifo\.jsonl: not a regular file$"):
        history.read(fifo)
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as f:
        f.truncate(65 * 2**20)  # sparse: a cache restored wrong, a runaway writer
    with pytest.raises(ConfigError, match=r"huge\.jsonl: larger than 64 MiB$"):
        history.read(huge)


@pytest.mark.slow  # six processes draw the chart
def test_runs_at_once_keep_every_entry(tmp_path: Path) -> None:
    record = day_record(tmp_path / "r.json", 0)
    env = {"MPLBACKEND": "Agg"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "perf_tasks",
                "monitor",
                "--root",
                str(tmp_path),
                "--record",
                str(record),
                "--now",
                f"2026-11-{day:02d}T03:00:00Z",
            ],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for day in range(1, 7)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    lines = (tmp_path / OUT / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["at"][:10] for line in lines] == [
        f"2026-11-{day:02d}" for day in range(1, 7)
    ]


@pytest.mark.parametrize("odd", ["\u2028", "\u0085", "\u2029"])
def test_a_unicode_line_separator_inside_a_history_line_is_text(tmp_path: Path, odd: str) -> None:
    # JSON Lines end a line at \n; a JSON string may hold U+2028 raw (an editor, another tool).
    path = tmp_path / "history.jsonl"
    line = json.dumps({"at": "2026-11-01T03:00:00Z", "commit": f"a{odd}b"}, ensure_ascii=False)
    path.write_text(line + "\n", encoding="utf-8")
    (entry,) = history.read(path)
    assert entry.commit == f"a{odd}b"


def _monitor_once(root: Path) -> subprocess.CompletedProcess[str]:
    record = day_record(root / "r.json", 1)
    return perf(
        "monitor",
        "--root",
        str(root),
        "--record",
        str(record),
        "--now",
        "2026-11-02T03:00:00Z",
        env={"MPLBACKEND": "Agg"},
    )


def test_a_hard_linked_history_is_refused_never_split(tmp_path: Path) -> None:
    assert _monitor_once(tmp_path).returncode == 0
    kept = tmp_path / OUT / "history.jsonl"
    backup = tmp_path / "backup.jsonl"
    os.link(kept, backup)
    before = kept.read_text()
    proc = _monitor_once(tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "history.jsonl has 2 hard links" in proc.stderr.strip().splitlines()[-1]
    assert kept.read_text() == before == backup.read_text()
    assert kept.stat().st_ino == backup.stat().st_ino


def test_a_read_only_report_is_refused_and_the_history_kept_with_it(tmp_path: Path) -> None:
    assert _monitor_once(tmp_path).returncode == 0
    report = next(p for p in (tmp_path / OUT).iterdir() if p.suffix == ".md")
    report.chmod(0o444)
    before = (tmp_path / OUT / "history.jsonl").read_text()
    proc = _monitor_once(tmp_path)
    assert proc.returncode != 0 and "is read-only" in proc.stderr
    assert (tmp_path / OUT / "history.jsonl").read_text() == before  # all or none


def test_a_failing_test_fails_the_day_with_or_without_a_contract(tmp_path: Path) -> None:
    record = day_record(tmp_path / "r.json", 1)
    data = json.loads(record.read_text())
    data["tests"].update(passed=1, failed=1, failing=["demo-core::core_api panics"])
    data["ok"] = False
    record.write_text(json.dumps(data))
    bare = perf("monitor", "--root", str(tmp_path), "--record", str(record), "--json")
    assert bare.returncode == 1, bare.stdout + bare.stderr  # no contract: the test still fails
    assert json.loads(bare.stdout)["gates"]["breaches"] == ["tests.outcomes"]
    contract(tmp_path, "tests.wall_s | ≤ 10 s | suite")
    done = perf("monitor", "--root", str(tmp_path), "--record", str(record), "--now", "2026-11-03")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tests.outcomes: tests: 1 failed: demo-core::core_api panics" in done.stdout
    report = (tmp_path / OUT / "report.md").read_text()
    assert "- `tests.outcomes` = 1 failed breaches all pass (always checked): tests: 1" in report
