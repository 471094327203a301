"""How a baseline looks on a terminal (or as JSON on stdout): its progress, the dry run, the
summary of a record, a comparison. Baseline.md is a report file: `measure/report.py` writes it."""

from __future__ import annotations

from perf_tasks.ui.baseline.comparison import comparison_line, render_comparison
from perf_tasks.ui.baseline.plan import render_compare_plan, render_plan
from perf_tasks.ui.baseline.status import progress, status, stream_fd
from perf_tasks.ui.baseline.summary import closing_line, render_record

__all__ = [
    "closing_line",
    "comparison_line",
    "progress",
    "render_compare_plan",
    "render_comparison",
    "render_plan",
    "render_record",
    "status",
    "stream_fd",
]
