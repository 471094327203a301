"""Text output that goes to no terminal (a pipe, a CI log) is not cut to rich's assumed 80
columns: a comparison table's right columns (ratios, intervals) must reach the log."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from perf_tasks.ui.output import LOG_WIDTH, Output


def table_text(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> str:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    out = io.StringIO()
    table = Table("metric", "before", "after", "ratio", "95% interval", "verdict")
    table.add_row("tests.doc.wall_s", "696.7 ms", "712.0 ms", "1.02", "[0.97, 1.08]", "in noise")
    table.add_row(
        "test:demo-core::core_api checksum_detects_a_single_byte_change",
        "11.0 ms",
        "1.006 s",
        "91.45",
        "[1.15, 1.31]",
        "slower",
    )
    Output(stdout=out).console.print(table)
    return out.getvalue()


def test_a_pipe_gets_whole_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    text = table_text(monkeypatch, None)
    assert "test:demo-core::core_api checksum_detects_a_single_byte_change" in text
    assert max(len(line) for line in text.splitlines()) <= LOG_WIDTH


def test_columns_still_decides_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    text = table_text(monkeypatch, "60")
    assert max(len(line) for line in text.splitlines()) <= 60
