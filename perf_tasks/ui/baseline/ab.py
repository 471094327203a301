"""A same-time A/B comparison on a terminal: per metric, the ratio B/A with its interval."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from perf_tasks.ab import stats
from perf_tasks.ab.against import AgainstPlan
from perf_tasks.ab.engine import MetricResult, Outcome, Scope
from perf_tasks.measure.report import secs
from perf_tasks.quantities import format_elapsed, format_seconds, plural
from perf_tasks.ui.ab_figures import interval_text, median
from perf_tasks.ui.output import Output, throttle
from perf_tasks.ui.render import renders

# An arm's test run as its tests end (nextest_runs.tests_ended): `12 of 340 tests ended`.
_TESTS_ENDED = re.compile(r"(\d+) (?:of (\d+) )?tests? ended$")
VERDICTS = {
    stats.REGRESSION: "REGRESSION",
    stats.IMPROVEMENT: "better",
    stats.SAME: "same",
    stats.UNDECIDED: "undecided (out of time)",
}
TEST_CHANGES = {
    stats.REGRESSION: "slower",
    stats.APPEARED: "appeared",
    stats.DISAPPEARED: "disappeared",
    stats.OUTCOME: "outcome changed",
    stats.UNDECIDED: "slower in the runs so far; undecided (out of time)",
}


def pair_reporter(out: Output) -> Callable[[str, int, int], None]:
    """One line per step or run of an A/B, on human output (never in --json's stdout); the time
    counts from the A/B's first line."""
    started: list[float] = []
    due = throttle(time.monotonic())

    def report(what: str, pair: int, planned: int) -> None:
        started[:] = started or [time.monotonic()]
        ended = _TESTS_ENDED.search(what)  # a test run as its tests end: only when due
        if ended and not due(what, final=ended.group(1) == ended.group(2)):
            return
        at = format_elapsed(time.monotonic() - started[0])
        if planned:
            out.line(f"{at} pair {pair} of {planned}: {what}", style="dim")
        else:
            out.line(f"{at} {what}", style="dim")

    return report


@renders(AgainstPlan)
def render_ab_plan(out: Output, plan: AgainstPlan) -> None:
    data = plan.as_json()
    out.line(f"A: {plan.revision.label}, checked out in {plan.scratch}/tree-a")
    out.line(f"B: the work tree at {plan.root}")
    if plan.request.screen:
        out.line(
            "pairs: the first screens every figure and every test; what it leaves in doubt takes "
            f"{data['min_pairs']} pairs in the order ABBAAB..., up to {data['max_pairs']} while "
            "undecided, each run measuring only that"
        )
    else:
        out.line(
            f"pairs: {data['min_pairs']} in the order ABBAAB..., up to {data['max_pairs']} while a "
            "metric is undecided, each measuring everything (--no-screen)"
        )
    if plan.request.max_seconds is not None:
        out.line(f"--max-minutes: the pairs stop at {format_seconds(plan.request.max_seconds)}")
    out.line("a whole run of either arm, in its own target dir:")
    for step in data["each_run"]:  # type: ignore[attr-defined]
        out.line(f"  {step}")
    out.line("nothing was run (--dry-run)")


@renders(Outcome)
def render_outcome(out: Output, outcome: Outcome) -> None:
    from rich.table import Table

    out.line(f"A (before): {outcome.a_label}")
    out.line(f"B (after):  {outcome.b_label}")
    out.line(f"{plural(outcome.pairs, 'pair')}, order {outcome.order}{_took(outcome)}")
    each = pairs_line(outcome)
    if each:
        out.line(each)
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("metric", no_wrap=True)
    table.add_column("pairs", justify="right", no_wrap=True)
    # The ratio is the median of the pairs' ratios, not the ratio of the two medians beside it.
    for column in (
        "A median",
        "B median",
        "B/A, median of pair ratios",
        "95% interval",
        "threshold",
    ):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for m in outcome.metrics:
        table.add_row(
            m.metric,
            str(m.pairs),
            secs(median(m.a)),
            secs(median(m.b)),
            f"{m.interval.median:.3f}",
            interval_text(m),
            "none" if m.threshold is None else f">{1 + m.threshold.delta:.2f}",
            _verdict(m),
            style="red" if m.verdict == stats.REGRESSION and m.decides else None,
        )
    out.console.print(table)
    if outcome.tests:
        tests = Table(show_edge=False, pad_edge=False, title="tests that changed")
        tests.add_column("test (binary-id test-name)")
        tests.add_column("change", no_wrap=True)
        tests.add_column("before", justify="right", no_wrap=True)
        tests.add_column("after", justify="right", no_wrap=True)
        for t in outcome.tests:
            before = secs(t.before_max_s) + " (slowest)" if t.before_max_s is not None else ""
            after = secs(t.after_min_s) + " (fastest)" if t.after_min_s is not None else ""
            if t.change == stats.OUTCOME:
                before, after = t.before or "", t.after or ""
            tests.add_row(
                t.id,
                TEST_CHANGES.get(t.change, t.change),
                before,
                after,
                style="red" if t.change == stats.REGRESSION else None,
            )
        out.console.print(tests)
    for note in outcome.notes:
        out.line(f"note: {note}")
    render_outcome_line(out, outcome)


@renders(Outcome, beside_json="after")
def render_outcome_line(out: Output, outcome: Outcome) -> None:
    out.line(outcome_line(outcome), style="bold")


def outcome_line(outcome: Outcome) -> str:
    regressions = [r for r in outcome.regressions if not r.startswith("failed:")]
    failed = f"; tests failed in B: {', '.join(outcome.failing)}" if outcome.failing else ""
    undecided = (
        f"; undecided when time ran out: {', '.join(outcome.undecided)}"
        if outcome.undecided
        else ""
    )
    if regressions:
        return (
            f"{plural(len(regressions), 'regression')}, confirmed by the interval: "
            + ", ".join(regressions)
            + failed
            + undecided
        )
    if failed:
        return (
            f"tests do not all pass in B (the work tree): {', '.join(outcome.failing)}{undecided}"
        )
    if undecided:
        return "no regression decided" + undecided
    better = [m.metric for m in outcome.metrics if m.verdict == stats.IMPROVEMENT and m.decides]
    if better:
        return "no regression; better: " + ", ".join(better)
    return f"no regression ({plural(outcome.pairs, 'pair')})"


def pairs_line(outcome: Outcome) -> str:
    """What each pair measured, when the screen narrowed them: `pair 1 (the screen): everything,
    412 tests a run; pairs 2-6: tests (1 test a run)`. Pure."""
    scopes = outcome.pair_scopes
    if not scopes or all(s.whole for s in scopes):
        return ""
    said: list[str] = []
    start = 0
    for i in range(1, len(scopes) + 1):
        same = i < len(scopes) and (scopes[i], outcome.pair_tests[i]) == (
            scopes[start],
            outcome.pair_tests[start],
        )
        if same:
            continue
        which = f"pair {start + 1}" if i - start == 1 else f"pairs {start + 1}-{i}"
        if start == 0 and scopes[0].whole:
            which += " (the screen)"
        said.append(f"{which}: {_scope_text(scopes[start], outcome.pair_tests[start])}")
        start = i
    return "; ".join(said)


def _scope_text(scope: Scope, tests: int | None) -> str:
    what = "everything" if scope.phases is None else ", ".join(sorted(scope.phases))
    if tests is None or not scope.measures("tests"):
        return what
    return f"{what} ({plural(tests, 'test')} a run)"


def _took(outcome: Outcome) -> str:
    return "" if outcome.elapsed_s is None else f", {format_seconds(outcome.elapsed_s)} in all"


def _verdict(m: MetricResult) -> str:
    if m.threshold is None:
        return f"not judged: {m.not_judged or 'no threshold'}"
    return VERDICTS.get(m.verdict, m.verdict)
