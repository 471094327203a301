"""How `tests.shard` and `tests.merge` look: each shard's predicted time beside the ideal and
nextest's own partitions; a shard's run; the merged record."""

from __future__ import annotations

from perf_tasks.measure.report import secs
from perf_tasks.shards.job import MergedRun, Planned, Ran
from perf_tasks.ui.output import Output, show_path, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table


@renders(Planned)
def render_planned(out: Output, done: Planned) -> None:
    plan = done.plan
    rows = [["partition", *(f"shard {k}" for k in range(1, plan.shards + 1)), "slowest", "/ ideal"]]
    ideal = plan.ideal_s
    for part in done.partitions:
        label = {"plan": "this plan", "hash": "nextest hash:", "slice": "nextest slice:"}
        ratio = f"{part.slowest_s / ideal:.2f}" if ideal > 0 else "\u2014"
        rows.append(
            [
                label.get(part.name, part.name),
                *(secs(s) for s in part.predicted_s),
                secs(part.slowest_s),
                ratio,
            ]
        )
    for line in text_table(rows):
        out.line(shown(line))
    out.line(f"ideal: {secs(ideal)} (the larger of total / {plan.shards} and the longest test)")
    unmeasured = ""
    if done.unmeasured:
        unmeasured = f"; {done.unmeasured} without a duration, placed by hash"
    if plan.sources:
        sources = ", ".join(plan.sources)
        out.line(shown(f"{done.tests} tests from the durations of {sources}{unmeasured}"))
    else:
        out.line(
            f"{done.tests} tests, no durations yet (no baseline record, no --durations): each "
            "placed by its hash; plan from the record tests.merge writes of this run next time"
        )
    out.line("wrote " + show_path(done.path, done.root))


@renders(Ran)
def render_ran(out: Output, done: Ran) -> None:
    ask = done.request
    added = f" ({done.unplanned} not in the plan, placed by hash)" if done.unplanned else ""
    out.line(f"shard {ask.shard}/{ask.shards}: {done.tests} tests run{added}")
    for test in done.failing:
        out.line(shown(f"  failed: {test}"))
    out.line(shown(f"JUnit report: {done.junit}"))


@renders(MergedRun)
def render_merged(out: Output, done: MergedRun) -> None:
    ignored = f", {done.ignored} ignored" if done.ignored else ""
    doc = "" if done.doctests is None else f"; {done.doctests} doctests"
    out.line(f"{done.shards} shards: {done.tests} tests run{ignored}{doc}")
    for kind, tests in (
        ("failed", done.failing),
        ("doctest failed", done.doc_failing),
        ("run by no shard", done.missing),
        ("run by more than one shard", done.duplicated),
    ):
        for test in tests:
            out.line(shown(f"  {kind}: {test}"))
    out.line(shown(f"wrote {done.path}"))
