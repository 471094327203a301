"""`tests.order --measure` on real workspaces: applied on a clear gain only, never when a test's
outcome depends on the order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import perf
from measure.test_baseline_stops import _running, _wait_for
from processes import wait_none_under
from testorder.slow_workspace import (
    CONFIG,
    EVEN_DURATIONS,
    EVEN_IT,
    SHORT_DURATIONS,
    junit,
    make,
    short_it,
)

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

USER = "[profile.ci]\nfail-fast = false\n"


def measure(
    root: Path, durations: Path, tmp_path: Path, *, threads: int
) -> subprocess.CompletedProcess[str]:
    return perf(
        "tests.order",
        "--root",
        str(root),
        "--durations",
        str(durations),
        "--measure",
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch"), "NEXTEST_TEST_THREADS": str(threads)},
        timeout=900,
    )


def test_a_clear_gain_is_measured_and_applied(tmp_path: Path) -> None:
    root = make(tmp_path / "even", EVEN_IT, USER)
    proc = measure(root, junit(tmp_path / "junit.xml", EVEN_DURATIONS), tmp_path, threads=2)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    found = data["measure"]
    (wall,) = [m for m in found["comparison"]["metrics"] if m["metric"] == "wall_s"]
    # Without the order the 2 s test starts after 1 s of fast tests and ends the run alone; with
    # it, it runs beside them: about 3 s against 2 s, plus nextest's start-up.
    assert wall["ratio"]["high"] < 1 / 1.03, wall
    assert found["verdict"] == "clear gain" and found["applies"] and data["written"]
    # Without the order the slow test ends the run alone (about 2 s); with it, the tail is what
    # the fast tests take beyond it (their start-up on a busy machine).
    assert found["tail_s"]["with the order"] < found["tail_s"]["without the order"]
    assert found["tail_s"]["without the order"] > 1.5
    assert found["differences"] == []
    assert "priority = 60" in (root / CONFIG).read_text()


def test_on_one_thread_there_is_no_clear_gain_and_nothing_is_written(tmp_path: Path) -> None:
    root = make(tmp_path / "short", short_it(), USER)
    proc = measure(root, junit(tmp_path / "junit.xml", SHORT_DURATIONS), tmp_path, threads=1)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["measure"]["verdict"] == "no clear gain", data["measure"]
    assert not data["written"] and data["changes"]
    assert (root / CONFIG).read_text() == USER


def test_a_test_that_needs_another_first_is_named_and_the_order_not_applied(
    tmp_path: Path,
) -> None:
    root = make(tmp_path / "depends", short_it(depends=True), USER)
    durations = {**SHORT_DURATIONS, "z_setup": 0.3, "a_check": 0.001}
    proc = measure(root, junit(tmp_path / "junit.xml", durations), tmp_path, threads=1)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["measure"]["verdict"] == "outcomes differ"
    assert data["measure"]["differences"] == [
        {"id": "slowfirst::it a_check", "without the order": "failed", "with the order": "passed"}
    ]
    assert not data["written"] and (root / CONFIG).read_text() == USER


HANG = """
#[test]
fn z_hangs_when_asked() {
    if std::env::var_os("ORDER_HANG").is_some() {
        let mut child = std::process::Command::new("sleep").arg("86400").spawn().unwrap();
        child.wait().unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(600));
}
"""


def test_a_signal_ends_every_process_and_writes_nothing(tmp_path: Path) -> None:
    root = make(tmp_path / "hang", short_it() + HANG, USER)
    durations = junit(tmp_path / "junit.xml", {**SHORT_DURATIONS, "z_hangs_when_asked": 0.6})
    scratch = tmp_path / "scratch"
    command = [sys.executable, "-m", "perf_tasks", "tests.order", "--root", str(root)]
    proc = subprocess.Popen(
        [*command, "--durations", str(durations), "--measure", "--json"],
        env={**os.environ, "ORDER_HANG": "1", "PERF_TASKS_SCRATCH": str(scratch)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(_running(root, "sleep 86400"), "the hung test's child", proc)
    proc.send_signal(signal.SIGTERM)  # to the tool alone, not to its process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert json.loads(out)["error"] == {"kind": "stopped", "message": "stopped by SIGTERM"}
    assert not wait_none_under(root, timeout_s=0.5), "a process outlived the tool"
    assert not wait_none_under(scratch, timeout_s=0.5), "a process outlived the tool"
    assert (root / CONFIG).read_text() == USER
