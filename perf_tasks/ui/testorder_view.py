"""How `tests.order` looks: the bands, the measurement when asked, and what was written."""

from __future__ import annotations

from perf_tasks.measure.report import secs
from perf_tasks.quantities import plural
from perf_tasks.testorder.job import Ordered
from perf_tasks.testorder.measure import (
    CLEAR_GAIN,
    NO_CLEAR_GAIN,
    TAIL,
    THRESHOLD,
    WALL,
    WITH,
    WITHOUT,
    Measured,
)
from perf_tasks.ui.ab_figures import ratio_text
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table


@renders(Ordered)
def render_ordered(out: Output, done: Ordered) -> None:
    banding, edit = done.banding, done.edit
    out.line(shown(f"durations from {', '.join(done.sources)}"))
    render_gone(out, done)
    if banding.bands:
        rows = [["priority", "tests", "durations"]]
        for band in banding.bands:
            span = f"{secs(band.fastest_s)} to {secs(band.slowest_s)}"
            rows.append(
                [
                    str(band.priority),
                    str(len(band.tests)),
                    f"failed in the last run ({span})" if band.failed else span,
                ]
            )
        for line in text_table(rows):
            out.line(shown(line))
    if banding.left:
        out.line(
            f"{plural(banding.left, 'faster test')} keep{'s' if banding.left == 1 else ''} "
            "nextest's default priority (0)"
        )
    if not banding.bands:
        out.line("no test is slow enough to order")
    if done.measured is not None:
        render_measured(out, done.measured)
    table = f"[[profile.{done.profile}.overrides]]"
    if not edit.changes and not banding.bands:
        out.line(shown(f"{edit.shown}: no band to write, none of ours to remove"))
    elif not edit.changes:
        out.line(shown(f"{edit.shown} already holds these bands ({table}): nothing to change"))
    elif done.dry_run or (done.measured is not None and not done.written):
        out.console.file.write(edit.diff())
        why = "dry run" if done.dry_run else "not applied"
        verb = "create" if not edit.exists else "change"
        out.line(shown(f"{why}: would {verb} {edit.shown} ({table}); nothing was written"))
    else:
        verb = "created" if not edit.exists else "updated"
        out.line(
            shown(f"{verb} {edit.shown}: {plural(len(banding.bands), 'priority band')} in {table}")
        )


def render_measured(out: Output, measured: Measured) -> None:
    """Each arm's wall time and tail, the ratio with its interval, and the verdict."""
    outcome = measured.outcome
    walls, tails = measured.medians(WALL), measured.medians(TAIL)
    rows = [["", "wall (median)", "tail (median)", "tests (last run)"]]
    for n, label in enumerate((WITHOUT, WITH)):
        counts = measured.totals.get(label, {})
        total = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v)
        rows.append([label, _secs(walls[n]), _secs(tails[n]), total or "-"])
    wall = outcome.metric(WALL)
    rows.append(["ratio with / without", ratio_text(wall), "", ""])
    for line in text_table(rows):
        out.line(shown(line))
    out.line(f"{outcome.pairs} pairs, order {outcome.order}; [low, high]: the 95% interval")
    out.line("tail: how long each run ended with fewer tests running than at its busiest")
    for note in outcome.notes:
        out.line(shown(f"note: {note}"))
    if outcome.tests:
        diff = [["test (binary-id test-name)", WITHOUT, WITH]]
        diff += [[t.id, t.before or "-", t.after or "-"] for t in outcome.tests]
        for line in text_table(diff):
            out.line(shown(line))
        out.line(
            f"outcomes differ: {plural(len(outcome.tests), 'test')} depend"
            f"{'s' if len(outcome.tests) == 1 else ''} on the order they run in; "
            "the order is not applied",
            style="bold",
        )
    elif outcome.failing:
        out.line(
            shown(
                f"tests fail: {', '.join(outcome.failing)}; a failing test is never a pass: "
                "the order is not applied (fix them, or write the order without --measure)"
            ),
            style="bold",
        )
    elif measured.verdict == CLEAR_GAIN:
        out.line(f"{CLEAR_GAIN}: the whole interval is below {1 / (1 + THRESHOLD.delta):.3f}")
    else:
        out.line(
            f"{NO_CLEAR_GAIN}: the wall-time interval is not wholly below "
            f"{1 / (1 + THRESHOLD.delta):.3f} (or the gain is under {secs(THRESHOLD.floor)}); "
            "the order is not applied",
            style="bold",
        )


def _secs(value: float | None) -> str:
    return "-" if value is None else secs(value)


@renders(Ordered, beside_json="before")
def render_gone(out: Output, done: Ordered) -> None:
    if done.gone:
        out.warn(
            shown(
                f"left out: the tests of {', '.join(done.gone)}, which the workspace no longer "
                "has (nextest refuses a config that names a binary it does not have)"
            )
        )
