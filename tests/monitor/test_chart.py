"""The trend chart's layout: one panel per metric group, cut where series differ too much in size
to share a y axis, so that every series is readable apart from zero; and the real CLI drawing it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import perf

from perf_tasks.monitor import history
from perf_tasks.monitor.chart import SERIES_SPAN, Panel, panels
from perf_tasks.monitor.history import Entry

DAY0 = datetime(2026, 11, 1, 4, 17, tzinfo=timezone.utc)

# The figures of a real workspace: a no-op build in milliseconds, tests in minutes.
DAY = {
    "build.wall_s": 0.061,
    "build.cpu_s": 0.055,
    "build.incremental.wall_s": 1.45,
    "build.incremental.cpu_s": 2.1,
    "tests.wall_s": 130.0,
    "tests.cpu_s": 231.0,
    "tests.doc.wall_s": 31.1,
    "tests.doc.cpu_s": 39.7,
    "test:app::it end_to_end": 14.2,
    "disk.target.bytes": 770e6,
}
BOUNDS = {"build.incremental.wall_s": 1.8, "tests.wall_s": 150.0, "disk.target.bytes": 5e9}


def entries(values: dict[str, float], bounds: dict[str, float], days: int = 4) -> list[Entry]:
    return [
        Entry(
            DAY0 + timedelta(days=d),
            values={m: v * (1 + 0.02 * d) for m, v in values.items()},
            bounds=bounds,
        )
        for d in range(days)
    ]


def panel_of(laid_out: list[Panel], metric: str) -> Panel:
    (found,) = [p for p in laid_out if metric in p.metrics]
    return found


def check_readable(history_: list[Entry], laid_out: list[Panel]) -> None:
    """Each series on exactly one axis, whose limits hold all its values (and its drawn bound),
    and on which it spans at least 1/SERIES_SPAN of the height: none lies flat on zero."""
    names = {m for e in history_ for m in e.values}
    assert sorted(m for p in laid_out for m in p.metrics) == sorted(names)
    for panel in laid_out:
        for metric in panel.metrics:
            values = [e.values[metric] for e in history_ if metric in e.values]
            if metric in panel.bounds:
                values += [e.bounds[metric] for e in history_ if metric in e.bounds]
            assert panel.low <= min(values) and max(values) <= panel.high, metric
            if max(values) == 0:  # nothing to read apart from zero: alone with other zeros
                assert all(max(e.values.get(m, 0) for e in history_) == 0 for m in panel.metrics)
                continue
            assert max(values) >= panel.high / 1.1 / SERIES_SPAN, (metric, panel)


def test_a_millisecond_build_is_not_on_the_axis_of_a_two_minute_suite() -> None:
    history_ = entries(DAY, BOUNDS)
    laid_out = panels(history_)
    check_readable(history_, laid_out)
    assert panel_of(laid_out, "build.wall_s") is not panel_of(laid_out, "tests.wall_s")
    assert panel_of(laid_out, "build.wall_s") is not panel_of(laid_out, "build.incremental.wall_s")
    # Wall and CPU of a phase stay together; the groups come in order.
    assert panel_of(laid_out, "tests.cpu_s") is panel_of(laid_out, "tests.wall_s")
    assert [p.group for p in laid_out] == [
        "builds",
        "builds",
        "tests",
        "tests",
        "each test",
        "disk",
    ]
    # The bounds near their data are drawn on its axis; a 5 GB budget over 0.8 GB is named.
    assert panel_of(laid_out, "build.incremental.wall_s").bounds == ("build.incremental.wall_s",)
    assert panel_of(laid_out, "tests.wall_s").bounds == ("tests.wall_s",)
    disk = panel_of(laid_out, "disk.target.bytes")
    assert disk.bounds == () and disk.off_chart == ("disk.target.bytes ≤ 5.0 GB",)


@pytest.mark.parametrize(
    "values",
    [
        # A cold build of a minute beside the warm one: the same group, two axes.
        {"build.wall_s": 0.02, "build.cold.wall_s": 65.0, "build.incremental.wall_s": 0.9},
        # Two outputs a thousand times apart, and a test of a millisecond beside one of 40 s.
        {
            "disk.target.bytes": 2.5e9,
            "disk.cache.bytes": 1.2e6,
            "test:a::x fast": 0.001,
            "test:a::x slow": 40.0,
        },
        # A series that is zero every day still has an axis of its own that holds it.
        {"tests.wall_s": 12.0, "tests.doc.wall_s": 0.0},
    ],
    ids=["cold-build", "disk-and-tests", "zero"],
)
def test_every_series_is_readable_apart_from_zero(values: dict[str, float]) -> None:
    history_ = entries(values, {})
    check_readable(history_, panels(history_))


def test_a_bound_drawn_is_inside_its_axis() -> None:
    history_ = entries({"build.incremental.wall_s": 0.7}, {"build.incremental.wall_s": 1.8})
    (panel,) = panels(history_)
    assert panel.bounds == ("build.incremental.wall_s",)
    assert panel.high >= 1.8


def day_record(path: Path, day: int) -> Path:
    def stat(median: float) -> dict[str, float]:
        return {"median": median, "min": median * 0.95, "max": median * 1.05, "mad": 0.01}

    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": history.iso(DAY0 + timedelta(days=day)),
        "environment": {"git": {"commit": f"{day:02d}" * 20, "dirty": False}},
        "build": {
            "runs": 3,
            "wall_s": stat(0.061),
            "cpu_s": stat(0.055),
            "incremental": {"runs": 3, "wall_s": stat(1.45), "cpu_s": stat(2.1)},
        },
        "tests": {"runs": 3, "wall_s": stat(130.0 + day), "cpu_s": stat(231.0)},
        "disk": {"target": {"bytes": 770_000_000}},
    }
    path.write_text(json.dumps(data))
    return path


@pytest.mark.slow  # three monitor runs, each drawing
def test_the_monitor_draws_one_axis_per_panel(tmp_path: Path) -> None:
    contract = tmp_path / "benches" / "PERFORMANCE_CONTRACT.md"
    contract.parent.mkdir(parents=True)
    contract.write_text(
        "| metric | bound | note |\n|---|---|---|\n| build.incremental.wall_s | ≤ 1.8 s | x |\n"
    )
    for day in range(3):
        record = day_record(tmp_path / f"r{day}.json", day)
        proc = perf("monitor", "--root", str(tmp_path), "--record", str(record))
        assert proc.returncode == 0, proc.stderr
    svg = (tmp_path / "docs" / "performance" / "monitor" / "trend.svg").read_text()
    # builds (ms), builds (s) with the bound, tests (s), disk: four axes, each with its unit.
    assert len(re.findall(r'<g id="axes_\d+">', svg)) == 4
    for label in ("milliseconds", "seconds", "MB", "bound of build.incremental.wall_s"):
        assert label in svg, label
