"""The tail of a run, from the start and time of each test case in nextest's JUnit report."""

from __future__ import annotations

import pytest

from perf_tasks.testorder.tail import spans, tail_s


def test_the_slowest_test_started_last_is_the_tail() -> None:
    # Two threads: four 0.25 s tests (1 s), then the 2 s one alone.
    fast = [(0.25 * (i // 2), 0.25 * (i // 2) + 0.25) for i in range(8)]
    assert tail_s([*fast, (1.0, 3.0)]) == pytest.approx(2.0)
    # Started first, it runs beside the fast ones: no tail.
    assert tail_s([(0.0, 2.0), *[(0.25 * i, 0.25 * i + 0.25) for i in range(8)]]) == 0.0


def test_one_thread_has_no_tail_and_no_tests_have_none() -> None:
    assert tail_s([(0.0, 1.0), (1.0, 1.5), (1.5, 4.0)]) == 0.0
    assert tail_s([]) is None


def test_spans_come_from_the_report_and_unreadable_cases_are_left_out() -> None:
    report = (
        '<testsuites><testsuite name="s">'
        '<testcase name="a" classname="b" timestamp="2026-12-07T11:52:40.226+00:00" time="1.5"/>'
        '<testcase name="c" classname="b" timestamp="2026-12-07T11:52:40.726+00:00" time="0.5"/>'
        '<testcase name="old" classname="b" time="0.5"/>'
        '<testcase name="bad" classname="b" timestamp="99999-01-01T00:00:00" time="x"/>'
        "</testsuite></testsuites>"
    )
    found = spans(report)
    assert len(found) == 2
    assert found[0][1] - found[0][0] == pytest.approx(1.5)
    assert tail_s(found) == pytest.approx(0.5)  # from 1.226 s (c ends) to 1.726 s (a ends)
    assert spans("not xml") == []


@pytest.mark.parametrize(
    "odd",
    [
        'timestamp="2026-12-07T11:52:40.500+00:00" time="1e309"',  # infinite
        'timestamp="2036-12-07T11:52:40.500+00:00" time="0.5"',  # ten years ahead
        'timestamp="9999-12-31T23:59:59.999+00:00" time="0.5"',  # the end of datetime
        'timestamp="0001-01-01T00:00:00-14:00" time="0.5"',  # before the epoch
    ],
)
def test_a_case_with_a_clock_off_or_no_duration_never_makes_the_tail(odd: str) -> None:
    report = (
        '<testsuites timestamp="2026-12-07T11:52:40.000+00:00" time="2.0">'
        '<testsuite name="s">'
        '<testcase name="a" classname="b" timestamp="2026-12-07T11:52:40.226+00:00" time="1.5"/>'
        '<testcase name="c" classname="b" timestamp="2026-12-07T11:52:40.726+00:00" time="0.5"/>'
        f'<testcase name="odd" classname="b" {odd}/>'
        "</testsuite></testsuites>"
    )
    assert tail_s(spans(report)) == pytest.approx(0.5)
