"""A comparison on a terminal: a table of deltas by phase, and one closing verdict."""

from __future__ import annotations

from collections.abc import Sequence

from perf_tasks.measure import comparison as cmp
from perf_tasks.measure.job import CompareDone
from perf_tasks.measure.report import secs
from perf_tasks.quantities import format_bytes, plural
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders

KEY_LABELS = {
    "wall_s": "wall",
    "cpu_s": "CPU",
    "peak_tree_rss_bytes": "RAM, tree",
    "peak_process_rss_bytes": "RAM, 1 process",
    "units.compiled": "units built",
}


@renders(CompareDone)
def render_compared(out: Output, done: CompareDone) -> None:
    """The confirmation A/B when one ran, then the comparison."""
    if done.confirmation is not None:
        from perf_tasks.ui.baseline.ab import render_outcome

        out.line("same-time A/B, to confirm:", style="bold")
        render_outcome(out, done.confirmation)
        out.line()
    render_comparison(out, done.comparison, verbose=out.verbose, warnings=done.warnings)


@renders(CompareDone, beside_json="before")
def render_warnings(out: Output, done: CompareDone) -> None:
    for warning in done.warnings:
        out.warn(warning)


@renders(CompareDone, beside_json="after")
def render_closing(out: Output, done: CompareDone) -> None:
    out.line(comparison_line(done.comparison), style="bold")


def render_comparison(
    out: Output,
    comparison: cmp.Comparison,
    *,
    verbose: bool = False,
    warnings: Sequence[str] = (),
) -> None:
    """A table of deltas by phase. Without --verbose, unchanged counts are left out. `warnings`
    are those of a fresh measurement (outliers, a busy machine)."""
    for warning in warnings:
        out.warn(warning)
    from rich.table import Table

    out.line(f"old: {comparison.old_label}")
    out.line(f"new: {comparison.new_label}")
    if comparison.advisory:
        out.warn(
            "the environments differ, so this comparison is advisory (time and disk changes "
            "do not fail it): " + "; ".join(comparison.advisory)
        )
    for note in comparison.notes:
        out.line(f"note: {note}")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("", no_wrap=True)
    for column in ("old", "new", "change", "noise"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    group = None
    for row in comparison.rows:
        if not verbose and row.kind == cmp.COUNT and row.verdict == cmp.SAME:
            continue
        if row.group != group:
            group = row.group
            table.add_row(group, style="bold")
        table.add_row(
            "  " + KEY_LABELS.get(row.key, row.key),
            fmt(row.kind, row.old),
            fmt(row.kind, row.new),
            _change(row, percent_only=True),
            "" if row.threshold is None or row.kind == cmp.COUNT else _band(row),
            _verdict_text(row),
            style="red" if row.verdict == cmp.REGRESSION and row.counts else None,
        )
    out.console.print(table)
    for test in comparison.tests:
        verdict = "REGRESSION" if test.counts else "slower, not counted"
        out.line(
            f"test {test.id}: {secs(test.old_s)} -> {secs(test.new_s)} "
            f"(slowest old run -> fastest new run): {verdict}",
            style="red" if test.counts else None,
        )
    for line in comparison.outcomes:
        out.line(shown(f"test outcome: {line}"), style="red")
    out.line(comparison_line(comparison), style="bold")


def _band(row: cmp.Row) -> str:
    return f"\u00b1{fmt(row.kind, row.threshold)}"


def comparison_line(comparison: cmp.Comparison) -> str:
    regressions = comparison.regressions
    tests = comparison.slower_tests
    if regressions or tests:
        names = [f"{r.metric} ({_change(r)})" for r in regressions]
        names += [f"test {t.id} ({secs(t.old_s)} -> {secs(t.new_s)})" for t in tests]
        line = f"{plural(len(names), 'regression')} outside the noise: {', '.join(names)}"
        return line + (f"; and {'; '.join(comparison.outcomes)}" if comparison.outcomes else "")
    if comparison.outcomes:
        return "tests do not all pass: " + "; ".join(comparison.outcomes)
    uncounted = [r for r in comparison.rows if r.verdict == cmp.REGRESSION]
    if uncounted:
        # Each metric says why it does not count: "advisory" alone explains nothing.
        worse = "; ".join(f"{r.metric} ({r.uncounted or 'not counted'})" for r in uncounted)
        return (
            f"no regression counts; {plural(len(uncounted), 'metric')} worse but not counted: "
            + worse
        )
    better = [r for r in comparison.rows if r.verdict == cmp.IMPROVEMENT]
    if better:
        return "no regression; better: " + ", ".join(f"{r.metric} ({_change(r)})" for r in better)
    return "no change outside the noise"


def _verdict_text(row: cmp.Row) -> str:
    if row.verdict == cmp.REGRESSION:
        return "REGRESSION" if row.counts else "worse"
    if row.verdict == cmp.IMPROVEMENT:
        return "better"
    if row.verdict == cmp.SAME:
        return "in noise" if row.kind != cmp.COUNT else "same"
    return row.verdict


def _change(row: cmp.Row, *, percent_only: bool = False) -> str:
    delta = row.delta
    if delta is None:
        return ""
    pct = row.delta_pct
    if percent_only and pct is not None and row.kind != cmp.COUNT:
        return f"{pct:+.1f}%".replace("-", "\u2212")
    sign = "+" if delta > 0 else "\u2212" if delta < 0 else "\u00b1"
    text = f"{sign}{fmt(row.kind, abs(delta))}"
    if pct is not None and row.kind != cmp.COUNT:
        text += f" ({pct:+.1f}%)".replace("-", "\u2212")
    return text


def fmt(kind: str, value: float | None) -> str:
    if value is None:
        return "—"
    if kind == cmp.TIME:
        return secs(value)
    if kind in (cmp.BYTES, cmp.RAM):
        return format_bytes(int(value))
    return str(int(value))
