"""What people read: the closing line, the table, and progress off a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from perf_tasks.clean.job import Cleaned, Request
from perf_tasks.clean.model import Area, Item, Plan, Report
from perf_tasks.ui.clean_view import closing_line, render
from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render as render_result

T = Path("/ws/target")


def report(before: int, after: int, *, dry_run: bool = False, elapsed: float = 3.2) -> Report:
    items = (Item(T / "debug" / "deps", before - after, 10, "stale", "hash no longer built"),)
    plan = Plan("target", Path("/ws"), items, (), before - after, (Area("target/", T, before),))
    return Report(
        plan=plan,
        dry_run=dry_run,
        removed=() if dry_run else items,
        freed_bytes=before - after,
        elapsed_s=elapsed,
        areas_after=(Area("target/", T, after),),
    )


def test_closing_line_shape() -> None:
    line = closing_line(report(14_200_000_000, 6_100_000_000))
    assert line == "target/ 14.2 GB \u2192 6.1 GB (\u22128.1 GB, \u221257%) in 3.20 s"


def test_dry_run_says_what_would_happen_and_never_removing() -> None:
    out = Output(stdout=io.StringIO(), width=100)
    r = report(2_000_000, 500_000, dry_run=True)
    render(out, r)
    text = out.console.file.getvalue()  # type: ignore[attr-defined]
    assert "would remove target/debug/deps (1.5 MB): hash no longer built" in text
    assert text.strip().endswith(
        "dry run: target/ 2.0 MB \u2192 500.0 kB (\u22121.5 MB, \u221275%) if applied; nothing was removed"
    )
    assert "removing" not in text.lower()


def test_progress_off_a_terminal_is_a_few_plain_lines() -> None:
    sink = io.StringIO()
    out = Output(stdout=sink, width=100)
    with out.progress("removing", large=True) as step:
        for done in range(0, 101, 5):
            step(done, 100)
    lines = sink.getvalue().splitlines()
    assert [ln.split(":")[1].split("%")[0].strip() for ln in lines] == [
        "0",
        "25",
        "50",
        "75",
        "100",
    ]


def test_json_mode_keeps_stdout_for_json(tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(json=True, stdout=stdout, stderr=stderr, width=100)
    render_result(out, Cleaned(report(1000, 0), Request("target")))
    import json

    assert json.loads(stdout.getvalue())["totals"]["freed_bytes"] == 1000
    assert "target/" in stderr.getvalue()
