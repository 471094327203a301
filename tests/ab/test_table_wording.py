"""The A/B table: every row says its threshold and its verdict, or why it is not judged; the
ratio beside the two medians says it is the median of the pairs' ratios."""

from __future__ import annotations

import io

from perf_tasks.ab.against import Request, design_of
from perf_tasks.ab.engine import Sample, judge
from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render

A = {"build.rebuild.wall_s": 10.0, "build.rebuild.cpu_s": 18.0, "tests.wall_s": 31.1}
B = {"build.rebuild.wall_s": 10.1, "build.rebuild.cpu_s": 18.1, "tests.wall_s": 39.7}


def table(request: Request) -> list[str]:
    outcome = judge([Sample(A)] * 6, [Sample(B)] * 6, design_of(request), a_label="HEAD~1")
    buf = io.StringIO()
    render(Output(stdout=buf, width=200), outcome)
    return buf.getvalue().splitlines()


def rows(lines: list[str]) -> dict[str, str]:
    return {line.split()[0]: line for line in lines if line.split() and line.split()[0] in A}


def test_a_confirmation_names_why_the_other_metrics_are_not_judged() -> None:
    """A confirmation decides on the suspected phase only: the other rows were blank."""
    lines = table(Request(ref="HEAD", only=("tests.wall_s", "tests.cpu_s")))
    found = rows(lines)
    assert found.keys() == A.keys(), lines
    assert ">1.10" in found["tests.wall_s"] and "REGRESSION" in found["tests.wall_s"]
    for metric in ("build.rebuild.wall_s", "build.rebuild.cpu_s"):
        assert (
            found[metric]
            .rstrip()
            .endswith("none │ not judged: only tests.wall_s, tests.cpu_s decide here")
        ), found[metric]


def test_every_row_of_a_full_ab_has_a_threshold_and_a_verdict() -> None:
    for line in rows(table(Request(ref="HEAD"))).values():
        assert "not judged" not in line and ">1." in line, line


def test_the_ratio_says_it_is_the_median_of_the_pair_ratios() -> None:
    header = next(line for line in table(Request(ref="HEAD")) if line.lstrip().startswith("metric"))
    assert "B/A, median of pair ratios" in header, header
