"""How `tests.runners` looks: each runner's times and outcomes, the ratio, the recommendation, or
the tests the runners disagree on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perf_tasks.measure.report import secs
from perf_tasks.quantities import plural
from perf_tasks.runners.recommend import Plan, Report
from perf_tasks.ui.ab_figures import median, ratio_text
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table

if TYPE_CHECKING:
    from collections.abc import Mapping


@renders(Plan)
def render_plan(out: Output, plan: Plan) -> None:
    data = plan.as_json()
    out.line(shown(f"workspace: {plan.root}; both runners build in {plan.target}"))
    out.line("before the pairs (untimed, but the doctests, timed once):")
    for step in data["before_the_pairs"]:
        out.line(shown(f"  {step}"))
    out.line(
        f"then {data['min_pairs']} pairs in the order ABBAAB..., up to {data['max_pairs']} while "
        "the wall time is undecided; each run:"
    )
    out.line(shown(f"  A cargo test: {data['a']['each_run']}"))
    out.line(shown(f"  B nextest:    {data['b']['each_run']}"))
    out.line(shown(f"estimate: {plan.estimate}"))
    out.line("nothing was run (--dry-run)")


def _totals(totals: Mapping[str, int]) -> str:
    total = sum(totals.values())
    parts = [f"{n} {outcome}" for outcome, n in totals.items() if n]
    return plural(total, "test") + (f" ({', '.join(parts)})" if parts else "")


@renders(Report)
def render_report(out: Output, report: Report) -> None:
    from perf_tasks.runners.arms import CARGO_TEST, CPU, NEXTEST, WALL
    from perf_tasks.runners.recommend import NO_CLEAR_WINNER, NO_TESTS, STOPPED, THRESHOLD

    outcome = report.outcome
    wall, cpu = outcome.metric(WALL), outcome.metric(CPU)
    rows = [["runner", "wall (median)", "CPU (median)", "tests (last run)"]]
    for runner, side in ((CARGO_TEST, "a"), (NEXTEST, "b")):
        rows.append(
            [
                runner,
                secs(median(wall.a if side == "a" else wall.b)) if wall else "-",
                secs(median(cpu.a if side == "a" else cpu.b)) if cpu else "-",
                _totals(report.totals[runner]),
            ]
        )
    rows.append(
        ["nextest / cargo test, median of pair ratios", ratio_text(wall), ratio_text(cpu), ""]
    )
    for line in text_table(rows):
        out.line(shown(line))
    if report.doctests is not None:
        d = report.doctests
        out.line(
            f"doctests (cargo test --doc, run once: the same under both runners): "
            f"{_totals(d.totals())}, wall {secs(d.wall_s)}, CPU {secs(d.cpu_s)}"
        )
    out.line(
        f"{plural(outcome.pairs, 'pair')}, order {outcome.order}; [low, high]: the 95% interval"
    )
    for note in outcome.notes:
        out.line(shown(f"note: {note}"))
    if report.differences:
        n = len(report.differences)
        diff = [["test (binary-id test-name)", "difference", "cargo test", "nextest"]]
        for t in report.differences:
            change = {"appeared": "only under nextest", "disappeared": "only under cargo test"}
            diff.append(
                [
                    t.id,
                    change.get(t.change, "different outcome"),
                    t.before or ("-" if t.change == "appeared" else "ran"),
                    t.after or ("-" if t.change == "disappeared" else "ran"),
                ]
            )
        for line in text_table(diff):
            out.line(shown(line))
        out.line(
            f"no recommendation: {plural(n, 'test')} {'differs' if n == 1 else 'differ'} "
            "between the runners",
            style="bold",
        )
        return
    high, low = 1 + THRESHOLD.delta, 1 / (1 + THRESHOLD.delta)
    if report.verdict == STOPPED:
        out.line(
            f"no recommendation: {outcome.stopped_by} after "
            f"{plural(outcome.pairs, 'complete pair')}; the figures above are theirs",
            style="bold",
        )
    elif report.verdict == NO_TESTS:
        out.line(
            "no recommendation: neither runner has a test to run (only their start-up was timed)",
            style="bold",
        )
    elif report.verdict == NO_CLEAR_WINNER:
        out.line(
            f"{NO_CLEAR_WINNER}: the wall-time interval is not wholly below {low:.3f} or above "
            f"{high:.3f} (or the difference is under {secs(THRESHOLD.floor)})",
            style="bold",
        )
    elif report.recommended == NEXTEST:
        out.line(
            f"recommended: nextest (wall time x{wall.interval.median:.2f}; the whole interval "
            f"is below {low:.3f})"
            if wall
            else "recommended: nextest",
            style="bold",
        )
    else:
        out.line(
            f"recommended: cargo test (nextest takes x{wall.interval.median:.2f} its wall time; "
            f"the whole interval is above {high:.3f})"
            if wall
            else "recommended: cargo test",
            style="bold",
        )
