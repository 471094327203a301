"""Planning `clean.runs` on thousands of run folders gives the right items and sizes.

Timing is the job of `benches/bench_runs.py`; this checks that the fast paths count what `du` counts.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpers import du, tiny_workspace

from perf_tasks import workspace
from perf_tasks.clean import run
from perf_tasks.clean.safety import Guard
from perf_tasks.settings import Settings

DAY = 86400.0
RUNS = 3000


def make_runs(scg: Path, count: int, *, now: float) -> dict[str, float]:
    """Run folders aged one hour apart, oldest last; returns name -> newest mtime inside."""
    ages = {}
    for i in range(count):
        when = now - 20 * DAY - i * 3600
        run_dir = scg / f"run{i:05}"
        (run_dir / "out").mkdir(parents=True)
        (run_dir / "log.txt").write_bytes(b"l" * (100 + i % 7000))
        (run_dir / "out" / "r.json").write_bytes(b"r" * 700)
        for p in (run_dir / "log.txt", run_dir / "out" / "r.json", run_dir / "out", run_dir):
            os.utime(p, (when, when))
        ages[run_dir.name] = when
    return ages


def test_thousands_of_runs_plan_like_du(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    scg = root / "output" / "scg"
    now = time.time()
    make_runs(scg, RUNS, now=now)
    # Besides run folders: a loose file, a link to a folder, a marked run, and a file hard-linked
    # between a run that goes and one of the newest that stays.
    (scg / "notes.txt").write_bytes(b"n" * 9000)
    (scg / "latest").symlink_to(scg / "run00000")
    (scg / "run02000" / "RUNNING").write_bytes(b"")
    os.link(scg / "run02999" / "log.txt", scg / "run00001" / "shared.txt")
    for p in (scg / "run02000" / "RUNNING", scg / "run02000", scg / "run00001"):
        os.utime(p, (now - 40 * DAY,) * 2)
    guard = Guard.for_workspace(workspace.load(root))

    plan, scanned = run.plan("runs", guard, Settings(), now=now)

    names = {i.path.name for i in plan.items}
    # the newest 10 stay (run00000..run00009), and so does the run holding a marker
    expected = {f"run{i:05}" for i in range(10, RUNS)} - {"run02000"}
    assert names == expected
    assert any(s.path.name == "run02000" and "RUNNING" in s.reason for s in plan.skipped)
    area = next(a for a in plan.areas if a.path == scg)
    assert area.bytes == du(scg)
    by_name = {i.path.name: i for i in plan.items}
    for name in ("run00010", "run01234", "run02998"):
        assert by_name[name].bytes == du(scg / name), name
    # the log of run02999 has a second link in run00001, which stays: it is not freed
    shared = os.lstat(scg / "run00001" / "shared.txt").st_blocks * 512
    assert plan.freed_bytes == du(*(i.path for i in plan.items)) - shared
    assert scanned.freed([scg / "run00001", scg / "run02999"]) == du(
        scg / "run00001", scg / "run02999"
    )


def test_twenty_thousand_runs_dated_in_the_future_are_decided_in_linear_time() -> None:
    # A clock set ahead for a while dates every run it wrote in the future; those are judged by
    # name. A lookup in a list per run would be quadratic: 7 s at 4,000, minutes at 20,000.
    from perf_tasks.clean.modes.runs import RunInfo, decide_runs

    now = time.time()
    runs = [RunInfo(Path(f"/ws/output/scg/run{i:05}"), now + DAY + i, None) for i in range(20_000)]
    started = time.perf_counter()
    remove, skipped = decide_runs(runs, Settings(), now=now)
    elapsed = time.perf_counter() - started
    assert {s.path.name for s in skipped} == {f"run{i:05}" for i in range(19_990, 20_000)}
    assert len(remove) == 19_990
    assert elapsed < 5.0, f"{elapsed:.1f} s: not linear"
