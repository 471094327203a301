"""The record on a terminal: a table of the timed phases, their results, the disk, the warnings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks.measure.report import median, path_text, phases, secs, size
from perf_tasks.ui.output import Output
from perf_tasks.units import format_bytes


def render_record(out: Output, record: Mapping[str, Any], *, written: Sequence[Path]) -> None:
    """The record on a terminal: a table per part; with --json, the record itself."""
    if out.json:
        out.emit_json(record)
    else:
        from rich.table import Table

        table = Table(show_edge=False, pad_edge=False)
        for column in ("", "median", "MAD", "CPU", "RAM, tree", "RAM, 1 process"):
            table.add_column(column, justify="right" if column else "left", no_wrap=True)
        for name, node in phases(record):
            wall = node.get("wall_s") or {}
            table.add_row(
                name,
                secs(wall.get("median")),
                secs(wall.get("mad")),
                secs(median(node, "cpu_s")),
                size(median(node, "peak_tree_rss_bytes")),
                size(median(node, "peak_process_rss_bytes")),
            )
        out.console.print(table)
        for name, node in phases(record):
            out.line(f"{name}: {_result(name, node)}")
        disk = Table(show_edge=False, pad_edge=False)
        for column in ("output", "path", "size", "bytes", "files"):
            disk.add_column(column, justify="left" if column in ("output", "path") else "right")
        for name, usage in (record.get("disk") or {}).items():
            disk.add_row(
                name,
                path_text(usage, code=False),
                format_bytes(usage["bytes"]),
                str(usage["bytes"]),
                str(usage["files"]),
            )
        out.console.print(disk)
        for warning in record.get("warnings") or ():
            out.warn(warning)
    out.line(closing_line(record, written), style="bold")


def closing_line(record: Mapping[str, Any], written: Sequence[Path]) -> str:
    tests = record.get("tests") or {}
    doc = tests.get("doc") or {}
    failed = (tests.get("failed") or 0) + (doc.get("failed") or 0)
    passed = (tests.get("passed") or 0) + (doc.get("passed") or 0)
    if failed:
        verdict = f"{failed} test(s) FAILED"
    else:
        verdict = "all tests passed" if passed else "no test ran"
    files = " and ".join(p.name for p in written) if written else "nothing"
    where = str(written[0].parent) if written else ""
    return f"baseline: {verdict}; wrote {files} in {where} ({record.get('elapsed_s', 0):.0f} s)"


def _result(name: str, node: Mapping[str, Any]) -> str:
    if name.startswith("build"):
        units = node.get("units") or {}
        return f"{units.get('compiled', '?')} built, {units.get('fresh', '?')} fresh"
    if node.get("passed") is None:
        return "counts unknown"
    text = f"{node['passed']} passed, {node['failed']} failed"
    if node.get("skipped"):
        text += f", {node['skipped']} skipped"
    if node.get("ignored"):
        text += f", {node['ignored']} ignored"
    return text
