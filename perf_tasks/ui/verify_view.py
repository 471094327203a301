"""How verify looks: what `verify.record` wrote, and `verify.check`'s table of differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from perf_tasks.quantities import plural
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.verify.job import Checked, Recorded

if TYPE_CHECKING:
    from perf_tasks.verify.record import Record


def _totals(record: Record) -> str:
    totals = record.as_json()["totals"]
    parts = [f"{n} {outcome}" for outcome, n in totals.items() if n]
    return plural(record.total, "test") + (f" ({', '.join(parts)})" if parts else "")


@renders(Recorded)
def render_recorded(out: Output, done: Recorded) -> None:
    out.line(shown(f"recorded {_totals(done.record)} in {done.path}"))


def text_table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


@renders(Checked)
def render_check(out: Output, done: Checked) -> None:
    """Quiet when nothing changed (one line); otherwise one row per difference. `done.path` names
    the record; with --before/--after the comparison's sides are named instead."""
    comparison, path = done.comparison, done.path
    if comparison.sides is not None:
        before, after = comparison.sides
        same = f"same tests, same outcomes in {before} and {after}"
        differ = f"between {before} and {after}"
        head = ["change", "test", "before", "after"]
    else:
        same = f"same tests, same outcomes as {path}"
        differ = f"from {path}"
        head = ["change", "test", "before", "now"]
    if comparison.same:
        out.line(shown(f"{same}: {_totals(comparison.after)}"))
        return
    rows = [head]
    for d in comparison.differences:
        test = f"{d.binary} {d.name}" + (f" (x{d.count})" if d.count > 1 else "")
        rows.append([d.change, test, d.before or "-", d.after or "-"])
    for line in text_table(rows):
        out.line(shown(line))
    n = sum(d.count for d in comparison.differences)
    out.line(shown(f"{plural(n, 'test')} {'differs' if n == 1 else 'differ'} {differ}"))
