"""Timed runs of real processes: exact CPU of the whole tree, sampled RAM, exit codes, hooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from perf_tasks.errors import ToolMissing
from perf_tasks.measure.sampler import Sampler
from perf_tasks.measure.timing import measure, run_once

MIB = 2**20

# A grandchild burns CPU: the parent only waits. wait4's rusage must still see it.
BURN_IN_GRANDCHILD = """
import subprocess, sys
code = "import time\\nend = time.process_time() + 0.3\\nwhile time.process_time() < end: pass"
subprocess.run([sys.executable, "-c", code], check=True)
"""

# The parent holds 60 MiB, a child 120 MiB, both alive at once for a while.
HOLD_MEMORY = """
import subprocess, sys, time
parent = bytearray(60 * 2**20)
child = subprocess.Popen([sys.executable, "-c",
    "import time; b = bytearray(120 * 2**20); time.sleep(0.6)"])
child.wait()
"""


def env() -> dict[str, str]:
    return dict(os.environ)


def test_cpu_of_the_whole_tree_is_counted(tmp_path: Path) -> None:
    run = run_once([sys.executable, "-c", BURN_IN_GRANDCHILD], cwd=tmp_path, env=env())
    assert run.exit_code == 0
    assert run.user_s + run.sys_s >= 0.3  # the grandchild's 0.3 s are in
    assert run.wall_s >= 0.3


def test_ram_of_the_tree_and_of_the_largest_process(tmp_path: Path) -> None:
    run = run_once([sys.executable, "-c", HOLD_MEMORY], cwd=tmp_path, env=env())
    assert run.exit_code == 0 and run.samples >= 3
    assert run.peak_process_rss is not None and run.peak_tree_rss is not None
    assert 120 * MIB <= run.peak_process_rss < 170 * MIB  # the child alone
    assert run.peak_tree_rss >= 180 * MIB  # parent and child at the same instant
    assert run.peak_process_name.startswith("python")
    assert run.sampler_cpu_s < 0.1 * (run.user_s + run.sys_s)


def test_a_tree_that_is_gone_gives_no_peaks_rather_than_zero() -> None:
    import subprocess
    import time

    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: nothing to sample under this pid any more
    sampler = Sampler(proc.pid)
    sampler.start()
    time.sleep(0.05)  # several sampling attempts
    peaks = sampler.stop()
    assert peaks.samples == 0
    assert peaks.tree_rss is None and peaks.process_rss is None and peaks.process_name == ""


def test_runs_warmup_hooks_and_exit_codes(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    counter.write_text("0")
    script = (
        "import pathlib, sys; p = pathlib.Path('n'); n = int(p.read_text()) + 1; "
        "p.write_text(str(n)); print(n); sys.exit(3 if n == 4 else 0)"
    )
    before: list[int] = []
    seen: list[tuple[int, str]] = []
    events: list[tuple[int, int, bool]] = []
    m = measure(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env(),
        runs=3,
        warmup=1,
        before=lambda: before.append(1),
        after=lambda r: seen.append((r.exit_code, r.stdout.strip())),
        capture_stdout=True,
        on_run=lambda i, n, w: events.append((i, n, w)),
    )
    assert len(before) == 4  # before every run, warmup included
    assert events == [(1, 1, True), (1, 3, False), (2, 3, False), (3, 3, False)]
    assert seen == [(0, "2"), (0, "3"), (3, "4")]  # the warmup is not recorded
    assert m.exit_codes == (0, 0, 3) and not m.ok
    wall = m.stats("wall_s")
    assert wall is not None and len(wall.samples) == 3


def test_stop_on_failure_ends_the_measurement(tmp_path: Path) -> None:
    m = measure(
        [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(2)"],
        cwd=tmp_path,
        env=env(),
        runs=5,
        stop_on_failure=True,
    )
    assert m.exit_codes == (2,)
    assert m.runs[0].tail == ("boom",)


def test_extra_env_reaches_the_command(tmp_path: Path) -> None:
    m = measure(
        [sys.executable, "-c", "import os; print(os.environ['PERF_X'])"],
        cwd=tmp_path,
        env=env(),
        extra_env={"PERF_X": "42"},
        runs=1,
        capture_stdout=True,
        after=lambda r: None,
    )
    assert m.runs[0].stdout.strip() == "42" and m.env == {"PERF_X": "42"}


def test_a_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="no-such-program"):
        run_once(["no-such-program-xyz"], cwd=tmp_path, env=env())


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_timeout_too_large_for_a_timer_is_no_limit(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """`--timeout 99999999999999999999`: no timer thread dies with an OverflowError traceback."""
    run = run_once([sys.executable, "-c", "pass"], cwd=tmp_path, env=env(), timeout_s=10.0**20)
    assert run.exit_code == 0 and not run.timed_out
    assert "Traceback" not in capfd.readouterr().err
