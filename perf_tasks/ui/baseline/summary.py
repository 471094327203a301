"""The record on a terminal: a table of the timed phases, their results, the disk, the warnings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from perf_tasks.measure.baseline import Recorded
from perf_tasks.measure.disk import added_note
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.read import as_record
from perf_tasks.measure.report import median, path_text, secs, size, units_text
from perf_tasks.measure.schema import Record, Timed
from perf_tasks.quantities import format_bytes, format_seconds, plural
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders


@renders(Recorded)
def render_record(out: Output, done: Recorded) -> None:
    """The record on a terminal: a table per part, then the closing line."""
    _tables(out, as_record(done.record, source="the record"))
    render_closing(out, done)


@renders(Recorded, beside_json="after")
def render_closing(out: Output, done: Recorded) -> None:
    record = as_record(done.record, source="the record")
    note = added_note(record.disk_added)
    if note:  # beside --json too: what the run left on disk is no secret of the terminal
        out.line(note)
    out.line(closing_line(record, done.written), style="bold")


def _tables(out: Output, record: Record) -> None:
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column in ("", "median", "MAD", "CPU", "RAM, tree", "RAM, 1 process"):
        table.add_column(column, justify="right" if column else "left", no_wrap=True)
    for phase_name, phase in record.timed():
        wall = phase.wall_s
        table.add_row(
            phase_name.value,
            secs(median(wall)),
            secs(None if wall is None else wall.mad),
            secs(median(phase.cpu_s)),
            size(median(phase.peak_tree_rss_bytes)),
            size(median(phase.peak_process_rss_bytes)),
        )
    out.console.print(table)
    for phase_name, phase in record.timed():
        out.line(f"{phase_name}: {_result(phase_name, phase)}")
    disk = Table(show_edge=False, pad_edge=False)
    for column in ("output", "path", "size", "bytes", "files"):
        disk.add_column(column, justify="left" if column in ("output", "path") else "right")
    for name, usage in record.disk.items():
        disk.add_row(
            name,
            shown(path_text(usage, code=False)),
            format_bytes(usage.bytes),
            str(usage.bytes),
            str(usage.files),
        )
    out.console.print(disk)
    for warning in record.warnings:
        out.warn(warning)


def closing_line(record: Record, written: Sequence[Path]) -> str:
    tests = record.tests
    phases = [] if tests is None else [tests.run, *([tests.doc] if tests.doc else [])]
    failed = sum((p.counts.failed or 0) for p in phases if p.counts is not None)
    passed = sum((p.counts.passed or 0) for p in phases if p.counts is not None)
    if failed:
        verdict = f"{plural(failed, 'test')} FAILED"
    else:
        verdict = "all tests passed" if passed else "no test ran"
    files = " and ".join(p.name for p in written) if written else "nothing"
    where = shown(written[0].parent) if written else ""
    return (
        f"baseline: {verdict}; wrote {files} in {where} ({format_seconds(record.elapsed_s or 0)})"
    )


def _result(name: PhaseName, phase: Timed) -> str:
    if name.is_build:
        compiled, fresh = units_text(phase)
        return f"{compiled} built, {fresh} fresh"
    counts = phase.counts
    if counts is None or counts.passed is None:
        return "counts unknown"
    text = f"{counts.passed} passed, {counts.failed} failed"
    if counts.skipped:
        text += f", {counts.skipped} skipped"
    if counts.ignored:
        text += f", {counts.ignored} ignored"
    return text
