"""How a cleaning report looks: a table per category, the skips, the errors, one closing line."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from perf_tasks.clean.job import Cleaned
from perf_tasks.clean.model import Item, Report
from perf_tasks.quantities import format_bytes, format_seconds, plural
from perf_tasks.ui.output import Output, show_path, shown
from perf_tasks.ui.render import renders

MAX_LISTED = 25


@renders(Cleaned)
def render_cleaned(out: Output, done: Cleaned) -> None:
    render(out, done.report, verbose=out.verbose)


@renders(Cleaned, beside_json="after")
def render_closing(out: Output, done: Cleaned) -> None:
    _closing(out, done.report)


def render(out: Output, report: Report, *, verbose: bool = False) -> None:
    plan = report.plan
    for note in plan.notes:
        out.line(f"note: {shown(note)}")
    items = plan.items
    if items and (verbose or report.dry_run or len(items) <= MAX_LISTED):
        verb = "would remove" if report.dry_run else "removed"
        removed = {i.path for i in report.removed}
        listed = items if verbose else items[:MAX_LISTED]
        for item in listed:
            if report.dry_run or item.path in removed:
                out.line(
                    f"{verb} {show_path(item.path, plan.root)} ({format_bytes(item.bytes)}): "
                    f"{shown(item.reason)}"
                )
        if len(items) > len(listed):
            out.line(f"... and {len(items) - len(listed)} more (--verbose lists them all)")
    if items:
        _table(out, report)
    if report.skipped:
        out.line(f"skipped {len(report.skipped)}:")
        for skip in report.skipped[: None if verbose else MAX_LISTED]:
            out.line(f"  {show_path(skip.path, plan.root)}: {shown(skip.reason)}")
        if not verbose and len(report.skipped) > MAX_LISTED:
            out.line(f"  ... and {len(report.skipped) - MAX_LISTED} more (--verbose)")
    for failure in (*report.errors, *plan.scan_errors):
        out.line(
            f"error: {show_path(failure.path, plan.root)}: {shown(failure.error)}", style="red"
        )
    extra = report.extra.get("cargo_home")
    if isinstance(extra, dict):
        _cargo_home(out, extra)
    scratch = report.extra.get("scratch")
    if isinstance(scratch, dict):
        _scratch(out, scratch, dry_run=report.dry_run)
    _closing(out, report)


def _scratch(out: Output, facts: dict[str, object], *, dry_run: bool) -> None:
    size = format_bytes(int(facts.get("bytes") or 0))  # type: ignore[call-overload]
    where = shown(facts.get("path"))
    if facts.get("removed"):
        out.line(f"removed the A/B scratch worktrees at {where} ({size})")
    elif dry_run and facts.get("would_remove"):
        out.line(f"would remove the A/B scratch worktrees at {where} ({size})")
    else:
        out.line(f"note: the A/B scratch worktrees at {where} hold {size}; clean.nuke removes them")


def _table(out: Output, report: Report) -> None:
    from rich.table import Table

    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in report.plan.items:
        row = rows[item.category]
        row[0] += 1
        row[1] += item.bytes
    for category, freed in report.freed_by_category.items():
        rows[category][2] = freed
    title = "would free" if report.dry_run else "freed"
    table = Table(title=None, show_edge=False, pad_edge=False)
    table.add_column("category")
    table.add_column("items", justify="right")
    table.add_column("size", justify="right")
    table.add_column(title, justify="right")
    for category, (count, nbytes, done) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
        table.add_row(category, str(count), format_bytes(nbytes), format_bytes(done))
    shared = report.freed_shared_bytes
    if shared:
        table.add_row("shared between categories", "", "", format_bytes(shared))
    if len(rows) > 1:
        items = sum(r[0] for r in rows.values())
        size = sum(r[1] for r in rows.values())
        table.add_row(
            "total", str(items), format_bytes(size), format_bytes(report.freed_bytes), style="bold"
        )
    out.console.print(table)
    if report.freed_bytes < sum(r[1] for r in rows.values()):
        out.line(
            "(size counts each hard-linked file once; freed counts it only when its last link goes)"
        )


def _cargo_home(out: Output, data: dict[str, Any]) -> None:
    out.line(f"{shown(data['path'])} (reported, never cleaned here):")
    for name, nbytes in data["parts"].items():
        out.line(f"  {name}: {format_bytes(nbytes)}")
    free = data.get("gc_would_free_bytes")
    if free is None:
        out.line("  cargo's gc: no usage database yet")
    else:
        entries = sum(data["gc_would_drop_entries"].values())
        out.line(
            f"  cargo's gc would drop {plural(entries, 'entry')} ({format_bytes(free)}) unused for "
            "longer than its default ages: `cargo clean gc` does it"
        )


def closing_line(report: Report) -> str:
    plan = report.plan
    # Folders that do not exist would only make the line longer.
    labels = [a.label for a in plan.areas if a.bytes > 0] or [a.label for a in plan.areas]
    name = ", ".join(map(shown, labels)) if len(labels) <= 3 else f"{len(labels)} folders"
    before = sum(a.bytes for a in plan.areas)
    after = sum(a.bytes for a in report.areas_after) if report.areas_after else before
    delta = after - before
    pct = f", {100 * delta / before:+.0f}%" if before else ""
    change = f"{format_bytes(delta)}{pct}".replace("-", "\u2212")
    if delta >= 0:
        change = "+" + change if delta else "\u00b10"
    line = f"{name or 'nothing'} {format_bytes(before)} \u2192 {format_bytes(after)} ({change})"
    if report.dry_run:
        return f"dry run: {line} if applied; nothing was removed"
    return f"{line} in {format_seconds(report.elapsed_s)}"


def _closing(out: Output, report: Report) -> None:
    out.line(closing_line(report), style="bold")


__all__ = ["Item", "closing_line", "render"]
