"""Live progress of a long test run: tests ended of tests started, read from nextest's own output
as it streams, a line at least every 5 s in a log. Real nextest on a copy of the demo."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from measure.test_baseline_cargo import needs_nextest, perf_with_nextest

from perf_tasks.measure.nextest_runs import tally_of_tests
from perf_tasks.quantities import DURATION_PATTERN, parse_seconds

SLEEPY_RS = """
use std::{thread, time::Duration};

#[test]
fn sleeps_a() { thread::sleep(Duration::from_secs(4)); }
#[test]
fn sleeps_b() { thread::sleep(Duration::from_secs(4)); }
#[test]
fn sleeps_c() { thread::sleep(Duration::from_secs(4)); }
#[test]
fn sleeps_d() { thread::sleep(Duration::from_secs(4)); }
"""
STAMPED = re.compile(rf"^\[({DURATION_PATTERN})\] (.*)$")


def test_the_tally_counts_what_nextest_prints_as_tests_end() -> None:
    seen: list[tuple[int, int | None]] = []
    read = tally_of_tests(lambda done, listed: seen.append((done, listed)))
    read("    Starting 3 tests across 2 binaries (1 test skipped)\n")
    read("        PASS [   0.004s] (1/3) demo-core::core_api fast\n        FAIL [   0.010s] x y\n")
    read("")  # no new output: the count is reported again (a heartbeat for the log)
    read("     SIGSEGV [   0.2s] demo-core z\n     Summary [   1.000s] 3 tests run: 2 passed\n")
    assert seen == [(0, 3), (2, 3), (2, 3), (3, 3)]
    read("    Starting 5 tests across 2 binaries\n")  # the next run: counted afresh
    assert seen[-1] == (0, 5)


@pytest.mark.cargo
@pytest.mark.slow
def test_a_long_test_run_shows_tests_ended_at_least_every_5_s(demo_copy: Path) -> None:
    needs_nextest()
    (demo_copy / "crates" / "demo-core" / "tests" / "sleepy.rs").write_text(SLEEPY_RS)
    proc = perf_with_nextest("baseline", "--root", str(demo_copy), "--runs", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [m.groups() for line in proc.stderr.splitlines() if (m := STAMPED.match(line))]
    during = [
        (parse_seconds(at), text) for at, text in lines if text.startswith("tests: run 1 of 1")
    ]
    assert during[0][1] == "tests: run 1 of 1", lines
    counted = [text for _, text in during if "tests ended" in text]
    assert counted and all(re.search(r", \d+ of \d+ tests ended$", t) for t in counted), during
    # from the start of the run to its end, no gap over 5 s (and a bit for a busy machine)
    stamps = [at for at, _ in during]
    assert max(b - a for a, b in pairwise(stamps)) <= 6.0, during


def test_off_a_terminal_a_test_run_writes_a_line_when_due_and_when_its_last_test_ends() -> None:
    import io

    from perf_tasks.measure.result import Event
    from perf_tasks.ui.baseline.status import status
    from perf_tasks.ui.output import Output

    buf = io.StringIO()
    run = Event("tests", ("cargo",), run=1, runs=3)
    with status(Output(stdout=buf, width=100)) as on_event:
        on_event(run)
        for done in (0, 1, 2):  # as they come, well within 5 s of the last line: none
            on_event(Event("tests", ("cargo",), 1, 3, tests_done=done, tests_listed=3))
        for _ in range(2):  # the last test ended: one line, not one per report
            on_event(Event("tests", ("cargo",), 1, 3, tests_done=3, tests_listed=3))
    said = [STAMPED.match(line).group(2) for line in buf.getvalue().splitlines()]  # type: ignore[union-attr]
    assert said == ["tests: run 1 of 3", "tests: run 1 of 3, 3 of 3 tests ended"]


def test_the_ab_says_an_arms_tests_as_they_end_when_due() -> None:
    import io

    from perf_tasks.ui.baseline.ab import pair_reporter
    from perf_tasks.ui.output import Output

    buf = io.StringIO()
    report = pair_reporter(Output(stdout=buf, width=100))
    report("nextest", 1, 6)
    for done in (0, 1, 2, 3, 3):
        report(f"nextest: {done} of 3 tests ended", 0, 0)
    said = [STAMPED.match(line).group(2) for line in buf.getvalue().splitlines()]  # type: ignore[union-attr]
    assert said == ["pair 1 of 6: nextest", "nextest: 3 of 3 tests ended"]
