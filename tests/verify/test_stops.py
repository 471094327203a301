"""verify, tests.runners, monitor and contract.init never orphan a process: a signal sent to the tool alone (as `kill`
sends it) ends every process it started, with the exit code of the signal and, under --json, a
JSON error document. Before, SIGTERM killed the Python process and left cargo, rustc and the
tests running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from measure.test_baseline_cargo import needs_nextest
from measure.test_baseline_stops import _running, _start, _wait_for
from processes import wait_none_under

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

HANG_RS = """
#[test]
fn waits_for_a_child_that_never_ends() {
    if std::env::var_os("DEMO_HANG").is_some() {
        let mut child = std::process::Command::new("sleep").arg("86400").spawn().unwrap();
        child.wait().unwrap();
    }
}
"""


@pytest.mark.parametrize(
    ("task", "signum", "code"),
    [
        (("verify.record",), signal.SIGTERM, 143),
        (("verify.check", "--before", "HEAD"), signal.SIGHUP, 129),
        (("tests.runners", "--max-pairs", "6"), signal.SIGTERM, 143),
        (("verify.record",), signal.SIGINT, 130),
        # Every task stops at the one edge, those that measure through the baseline too.
        (("monitor",), signal.SIGTERM, 143),
        (("contract.init",), signal.SIGHUP, 129),
    ],
)
def test_a_signal_ends_every_process_and_says_so(
    demo_copy: Path, tmp_path: Path, task: tuple[str, ...], signum: int, code: int
) -> None:
    needs_nextest()
    (demo_copy / "crates" / "demo-core" / "tests" / "hang.rs").write_text(HANG_RS)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "hang"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=demo_copy,
            check=True,
            capture_output=True,
        )
    scratch = tmp_path / "scratch"
    proc = _start(
        *task,
        "--root",
        str(demo_copy),
        "--json",
        env={"DEMO_HANG": "1", "PERF_TASKS_SCRATCH": str(scratch)},
    )
    _wait_for(_running_anywhere(demo_copy, scratch), "the hung test's child", proc)
    proc.send_signal(signum)  # to the tool alone, not to its process group
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the tool did not stop within 60 s of the signal")
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert not wait_none_under(demo_copy, timeout_s=0.5), "a process outlived the tool"
    assert not wait_none_under(scratch, timeout_s=0.5), "a process outlived the tool"


def _running_anywhere(*folders: Path) -> Callable[[], bool]:
    checks = [_running(f, "sleep 86400") for f in folders]
    return lambda: any(check() for check in checks)


def test_sigterm_under_json_prints_the_stopped_document(demo_copy: Path, tmp_path: Path) -> None:
    needs_nextest()
    (demo_copy / "crates" / "demo-core" / "tests" / "hang.rs").write_text(HANG_RS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", "verify.record", "--root", str(demo_copy), "--json"],
        env={**os.environ, "DEMO_HANG": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(_running(demo_copy, "sleep 86400"), "the hung test's child", proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert json.loads(out)["error"] == {"kind": "stopped", "message": "stopped by SIGTERM"}
    assert not wait_none_under(demo_copy, timeout_s=0.5)


HANG_LATER_RS = """
#[test]
fn hangs_once_its_flag_exists() {
    if let Some(flag) = std::env::var_os("DEMO_HANG_FLAG") {
        if std::path::Path::new(&flag).exists() {
            let mut child = std::process::Command::new("sleep").arg("86400").spawn().unwrap();
            child.wait().unwrap();
        }
    }
}
"""


def test_ctrl_c_in_tests_runners_keeps_the_pairs_it_measured(
    demo_copy: Path, tmp_path: Path
) -> None:
    """Minutes of pairs were lost to one Ctrl-C: now the complete pairs are reported, no runner
    is recommended on them, and the exit code is still 130."""
    needs_nextest()
    (demo_copy / "crates" / "demo-core" / "tests" / "hang.rs").write_text(HANG_LATER_RS)
    flag, scratch = tmp_path / "hang-now", tmp_path / "scratch"
    proc = _start(
        "tests.runners",
        "--root",
        str(demo_copy),
        "--json",
        env={"DEMO_HANG_FLAG": str(flag), "PERF_TASKS_SCRATCH": str(scratch)},
        stdout=subprocess.PIPE,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # progress, as it comes: pair 2 starts once pair 1 is complete
        if "pair 2 of " in line:
            break
    else:
        pytest.fail(f"tests.runners ended before its second pair (exit {proc.wait()})")
    flag.write_text("")
    _wait_for(_running_anywhere(demo_copy, scratch), "the hung test's child", proc)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("tests.runners did not stop within 60 s of Ctrl-C")
    assert proc.returncode == 130, err
    report = json.loads(out)
    assert report["verdict"] == "stopped" and report["recommended"] is None
    assert report["comparison"]["stopped"] == "interrupted"
    assert report["comparison"]["pairs"] >= 1
    assert report["runners"]["nextest"]["wall_s"] is not None, report["runners"]
    assert not wait_none_under(demo_copy, timeout_s=0.5), "a process outlived the tool"
    assert not wait_none_under(scratch, timeout_s=0.5), "a process outlived the tool"
