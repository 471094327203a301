"""`tests.order --measure` on real workspaces: applied on a clear gain only, never when a test's
outcome depends on the order."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import perf
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
