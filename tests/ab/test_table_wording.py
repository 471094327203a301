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


def test_the_table_says_what_each_pair_ran_and_how_many_pairs_each_figure_took() -> None:
    from perf_tasks.ab.engine import EVERYTHING, Design, Pair, Scope, judge_pairs
    from perf_tasks.ab.stats import Threshold
    from perf_tasks.ui.baseline.ab import pairs_line

    design = Design({"tests.wall_s": Threshold(0.1, 0.2), "build.rebuild.wall_s": Threshold(0.1)})
    times = {"core fast": 0.01, "core slow": 0.5}
    screen = Pair(EVERYTHING, Sample(A, times, per_test=True), Sample(B, times, per_test=True))
    only = Scope(frozenset({"tests"}), frozenset({"core slow"}))
    one = {"core slow": 0.5}
    later = Pair(only, Sample(A, one, per_test=True), Sample(B, one, per_test=True), frozenset())
    outcome = judge_pairs(
        [screen, *[later] * 5], design, screened=frozenset({"build.rebuild.wall_s"})
    )
    assert pairs_line(outcome) == (
        "pair 1 (the screen): everything (2 tests a run); pairs 2-6: tests (1 test a run)"
    )
    buf = io.StringIO()
    render(Output(stdout=buf, width=200), outcome)
    found = rows(buf.getvalue().splitlines())
    assert "cleared by the screen" in found["build.rebuild.wall_s"]
    assert found["build.rebuild.wall_s"].split("│")[1].strip() == "1"
