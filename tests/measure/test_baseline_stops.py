"""A baseline never hangs and never orphans a process: hung tests, timeouts and signals.

The hung test is the demo's own `slow_path_when_asked` with a `DEMO_SLOW_MS` of days. Signals go
to the tool's process alone (not its group), as `kill` sends them: the tool must end the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from measure.test_baseline_cargo import VENV_BIN, needs_nextest, perf_with_nextest
from processes import processes_under, wait_none_under

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

HANG = {"DEMO_SLOW_MS": str(10**9)}  # days: the test never ends by itself
HUNG_TEST = "demo-core::core_api slow_path_when_asked"
# A test that hangs in a child process of its own, as a test that runs a program does: nextest
# ends the test binary it started, not what that binary started. The child's cwd is the crate's
# dir, which is how the checks find it.
HANG_RS = """
#[test]
fn waits_for_a_child_that_never_ends() {
    if std::env::var_os("DEMO_HANG").is_some() {
        let mut child = std::process::Command::new("sleep").arg("86400").spawn().unwrap();
        child.wait().unwrap();
    }
}
"""
HANG_CHILD = {"DEMO_HANG": "1"}


@pytest.fixture
def hanging(demo_copy: Path) -> Path:
    """The demo, with a test that hangs in a child process when DEMO_HANG is set."""
    (demo_copy / "crates" / "demo-core" / "tests" / "hang.rs").write_text(HANG_RS)
    return demo_copy


def test_a_hung_test_is_ended_by_nextest_and_named(demo_copy: Path) -> None:
    needs_nextest()
    # The workspace's own profile sets how long a test may run (ours ends it after 10 minutes).
    config = demo_copy / ".config" / "nextest.toml"
    config.parent.mkdir()
    config.write_text('[profile.ci]\nslow-timeout = { period = "1s", terminate-after = 2 }\n')
    proc = perf_with_nextest(
        "baseline", "--root", str(demo_copy), "--runs", "1", "--json", env=HANG
    )
    assert proc.returncode == 1, proc.stderr
    record = json.loads(proc.stdout)
    tests = record["tests"]
    assert tests["timed_out"] == [HUNG_TEST] and tests["failed"] == 1 and record["ok"] is False
    assert any(HUNG_TEST in w and "slow-timeout" in w for w in record["warnings"])
    assert HUNG_TEST in (demo_copy / "docs" / "performance" / "Baseline.md").read_text()


def test_the_timeout_ends_the_command_and_every_process_it_started(hanging: Path) -> None:
    needs_nextest()
    started = time.monotonic()
    proc = perf_with_nextest(
        "baseline", "--root", str(hanging), "--runs", "1", "--timeout", "10", env=HANG_CHILD
    )
    assert proc.returncode == 1, proc.stderr
    assert "still running after 10 s, the timeout" in proc.stderr, proc.stderr
    assert "nextest run" in proc.stderr and time.monotonic() - started < 90
    # The first line names the test that was still running, from nextest's JUnit report.
    first = proc.stderr.strip().splitlines()[0]
    assert "tests still running then: demo-core::hang waits_for_a_child_that_never_ends" in first
    assert not wait_none_under(hanging, timeout_s=0.5)  # nor the test, nor its child, outlived it


def _start(
    *args: str, env: dict[str, str], stdout: int = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    full = {**os.environ, **env}
    full["PATH"] = os.pathsep.join([VENV_BIN, full.get("PATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", *args],
        env=full,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,  # noqa: PLW1509 (resets two signals, takes no lock)
    )


def _as_from_a_terminal() -> None:
    """A tool run from a terminal does not ignore SIGINT or SIGHUP; one from a background job
    (as this test may be) would inherit their being ignored."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _wait_for(found: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240
    while not found():
        if proc.poll() is not None:
            pytest.fail(
                f"the baseline ended before {what}: {proc.stderr.read() if proc.stderr else ''}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"never saw {what}")
        time.sleep(0.05)


def _running(folder: Path, name: str) -> Callable[[], bool]:
    def found() -> bool:
        return any(name in " ".join(p.info["cmdline"] or []) for p in processes_under(folder))

    return found


def _stop(proc: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    proc.send_signal(signum)  # to the tool alone, not to its process group
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the baseline did not stop within 60 s of the signal")
    return proc.returncode, err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_the_tests_ends_every_process_of_the_tests(
    hanging: Path, signum: int, code: int
) -> None:
    needs_nextest()
    proc = _start("baseline", "--root", str(hanging), "--runs", "1", env=HANG_CHILD)
    _wait_for(_running(hanging, "sleep 86400"), "the hung test's child", proc)
    returncode, err = _stop(proc, signum)
    assert returncode == code, err
    assert "Traceback" not in err
    assert not wait_none_under(hanging, timeout_s=0.5), "a process outlived the baseline"


def test_sigterm_during_the_cold_build_removes_its_scratch_dirs(demo_copy: Path) -> None:
    needs_nextest()
    digest = hashlib.sha256(str(demo_copy).encode()).hexdigest()[:12]
    scratch = Path(tempfile.gettempdir()) / f"perf-tasks-cold-{digest}"
    proc = _start("baseline", "--root", str(demo_copy), "--runs", "1", "--cold", env={})
    _wait_for(_running(scratch, "rustc"), "rustc building in the scratch dir", proc)
    assert scratch.is_dir()
    returncode, err = _stop(proc, signal.SIGTERM)
    assert returncode == 143, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert not wait_none_under(scratch, timeout_s=0.5), "cargo or rustc outlived the baseline"
    assert not scratch.exists()


def test_sighup_during_preparation_ends_the_build(demo_copy: Path) -> None:
    needs_nextest()
    subprocess.run(["rm", "-rf", str(demo_copy / "target")], check=True)
    proc = _start("baseline", "--root", str(demo_copy), "--runs", "1", env={})
    _wait_for(_running(demo_copy, "rustc"), "rustc preparing the workspace", proc)
    returncode, err = _stop(proc, signal.SIGHUP)
    assert returncode == 129, err
    assert not wait_none_under(demo_copy, timeout_s=0.5), "cargo or rustc outlived the baseline"
    assert psutil.pid_exists(os.getpid())
