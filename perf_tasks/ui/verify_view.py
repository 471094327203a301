"""How verify looks: what `verify.record` wrote, and `verify.check`'s table of differences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from perf_tasks.ui.output import Output, shown

if TYPE_CHECKING:
    from pathlib import Path

    from perf_tasks.verify.record import Comparison, Record


def _totals(record: Record) -> str:
    totals = record.as_json()["totals"]
    parts = [f"{n} {outcome}" for outcome, n in totals.items() if n]
    return f"{record.total} tests" + (f" ({', '.join(parts)})" if parts else "")


def render_recorded(out: Output, record: Record, *, path: str, full: Path) -> None:
    if out.json:
        data = record.as_json()
        out.emit_json(
            {
                "schema_version": data["schema_version"],
                "ok": True,
                "record": str(full),
                "tests": record.total,
                "totals": data["totals"],
            }
        )
        return
    out.line(shown(f"recorded {_totals(record)} in {path}"))


def text_table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def render_check(out: Output, comparison: Comparison, *, path: str) -> None:
    """Quiet when nothing changed (one line); otherwise one row per difference. `path` names the
    record; with --before/--after the comparison's sides are named instead."""
    if out.json:
        out.emit_json(comparison.as_json())
        return
    if comparison.sides is not None:
        before, after = comparison.sides
        same = f"same tests, same outcomes in {before} and {after}"
        differ = f"differ between {before} and {after}"
        head = ["change", "test", "before", "after"]
    else:
        same = f"same tests, same outcomes as {path}"
        differ = f"differ from {path}"
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
    out.line(shown(f"{n} test(s) {differ}"))


def render_step(out: Output, what: str) -> None:
    """Progress of --before/--after, on stderr when --json owns stdout."""
    out.line(shown(what), style="dim")
