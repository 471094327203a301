"""The trend chart of the monitor's history: one panel per metric group (builds, tests, each test,
disk), cut further where series differ too much in size to share a y axis, so that no series lies
flat on zero; a dated x-axis, labelled axes, the contract's absolute bounds as dashed lines in
their metric's colour. `panels` decides the layout (pure); `draw` draws it.

Needs matplotlib, the `chart` extra (`pip install 'perf-tasks[chart]'`); imported only here, only
when drawing. Without it, `draw` raises `ChartUnavailable` and the monitor goes on without a chart.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from perf_tasks.errors import PerfTasksError
from perf_tasks.monitor.history import PHASE_ORDER, Entry
from perf_tasks.quantities import in_unit

INSTALL_HINT = "pip install 'perf-tasks[chart]' (matplotlib) for the trend chart"
# A bound further above the data than this is named in the panel's title, not drawn: a 5 GB
# budget line would squash an 80 MB target dir to the floor of the panel.
BOUND_SPAN = 3.0


class ChartUnavailable(PerfTasksError):
    """matplotlib is not installed."""


def _unit(metric: str) -> str:
    return "bytes" if metric.endswith("bytes") else "seconds"


def _order(metric: str) -> tuple[int, str]:
    head = metric.rsplit(".", 1)[0]
    return (PHASE_ORDER.index(head) if head in PHASE_ORDER else len(PHASE_ORDER), metric)


def _head(metric: str) -> str:
    return metric if metric.startswith(("disk.", "test:")) else metric.rsplit(".", 1)[0]


# The metric groups, in the chart's order: each gets its panels, each panel its own y axis.
GROUPS = ("builds", "tests", "each test", "disk")


def group_of(metric: str) -> str:
    if metric.startswith("disk."):
        return "disk"
    if metric.startswith("test:"):
        return "each test"
    return "builds" if metric.startswith("build") else "tests"


# A series shares a panel only with series whose highest point is within this factor of the
# panel's highest: beside a 130 s test suite, a 61 ms warm build would lie flat on zero.
SERIES_SPAN = 5.0


@dataclass(frozen=True)
class Panel:
    """One y axis: its group, unit and series, the bounds drawn on it and those named instead
    (too far above the data), and its y limits (in the unit's base: seconds or bytes)."""

    group: str
    unit: str
    metrics: tuple[str, ...]
    bounds: tuple[str, ...]
    off_chart: tuple[str, ...]
    low: float
    high: float


def series(entries: Sequence[Entry], unit: str) -> list[str]:
    """The metrics of one unit, in phase order: those any entry has a value for."""
    names = {m for e in entries for m in e.values if _unit(m) == unit}
    return sorted(names, key=_order)


def panels(entries: Sequence[Entry]) -> list[Panel]:
    """The chart's panels: one group (builds, tests, each test, disk) per panel, cut further
    where a group's series differ by more than `SERIES_SPAN` in size, so that each series spans
    at least 1/SERIES_SPAN of its axis (bounds drawn included); pure."""
    names = sorted({m for e in entries for m in e.values}, key=_order)
    out: list[Panel] = []
    for group in GROUPS:
        members = [m for m in names if group_of(m) == group]
        tops = {m: _top(entries, m) for m in members}
        # Largest first; a series starts a new panel when it is too small for the current one.
        cuts: list[list[str]] = []
        for metric in sorted(members, key=lambda m: -tops[m]):
            if cuts and tops[metric] * SERIES_SPAN >= tops[cuts[-1][0]]:
                cuts[-1].append(metric)
            else:
                cuts.append([metric])
        for cut in sorted(cuts, key=lambda c: min(_order(m) for m in c)):  # phases in order
            ordered = tuple(sorted(cut, key=_order))
            drawn = tuple(m for m in ordered if _bound_drawn(entries, m))
            named = []
            for metric in ordered:
                last = _last_bound(entries, metric)
                if last is not None and metric not in drawn:
                    named.append(f"{metric} ≤ {in_unit(last, _unit(metric))}")
            high = max(tops[m] for m in cut) * 1.1 or 1.0  # from zero, room above the top
            out.append(Panel(group, _unit(cut[0]), ordered, drawn, tuple(named), 0.0, high))
    return out


def _values(entries: Sequence[Entry], metric: str) -> list[float]:
    return [e.values[metric] for e in entries if metric in e.values]


def _bounds(entries: Sequence[Entry], metric: str) -> list[float]:
    return [e.bounds[metric] for e in entries if metric in e.bounds]


def _last_bound(entries: Sequence[Entry], metric: str) -> float | None:
    found = _bounds(entries, metric)
    return found[-1] if found else None


def _bound_drawn(entries: Sequence[Entry], metric: str) -> bool:
    """A bound is drawn unless it is far above its data: a 5 GB budget over an 80 MB target dir
    is named in the panel's title instead."""
    bounds = _bounds(entries, metric)
    return bool(bounds) and max(bounds) <= BOUND_SPAN * max(_values(entries, metric))


def _top(entries: Sequence[Entry], metric: str) -> float:
    """The highest point the series draws: its values, and its bound when that is drawn."""
    top = max(_values(entries, metric))
    return max(top, *_bounds(entries, metric)) if _bound_drawn(entries, metric) else top


def _scale(unit: str, largest: float) -> tuple[float, str]:
    if unit == "seconds":
        if largest < 1:
            return 1e-3, "milliseconds"
        return (60.0, "minutes") if largest >= 600 else (1.0, "seconds")
    for factor, name in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if largest >= factor:
            return factor, name
    return 1.0, "bytes"


_HEADINGS = {
    "builds": "builds (median of the runs; dotted: CPU)",
    "tests": "tests and doctests (median of the runs; dotted: CPU)",
    "each test": "each test named in the contract",
    "disk": "disk",
}


def draw(entries: Sequence[Entry], *, fmt: str, title: str) -> bytes:
    """The chart as SVG or PNG bytes (`fmt`: "svg" or "png")."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        matplotlib.rcParams["svg.hashsalt"] = "perf-tasks"  # stable ids: same history, same SVG
        import matplotlib.dates as mdates
        import matplotlib.pyplot as plt
    except ImportError:
        raise ChartUnavailable(f"no trend chart: {INSTALL_HINT}") from None

    laid_out = panels(entries)
    rows = max(len(laid_out), 1)
    fig, axes = plt.subplots(rows, 1, figsize=(11, 2.6 * rows + 0.8), sharex=True, squeeze=False)
    try:
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        # One colour per phase across the panels (wall solid, CPU dotted); a bound takes its
        # metric's colour.
        heads = list(dict.fromkeys(_head(m) for panel in laid_out for m in panel.metrics))
        colours = {head: cycle[i % len(cycle)] for i, head in enumerate(heads)}
        for ax, panel in zip(axes[:, 0], laid_out, strict=False):
            _draw_panel(ax, panel, entries, colours)
        bottom = axes[-1, 0]
        days = (entries[-1].at - entries[0].at).days if entries else 0
        if days >= 2:  # daily entries: a tick per day (or per few days), dated
            every = mdates.DayLocator(interval=max(1, days // 10))  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_locator(every)
            dated = mdates.DateFormatter("%Y-%m-%d")  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_formatter(dated)
            fig.autofmt_xdate()
        else:
            locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_locator(locator)
            formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
            bottom.xaxis.set_major_formatter(formatter)
        bottom.set_xlabel("date (UTC)")
        fig.suptitle(title, fontsize=12)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=100, metadata=_metadata(fmt))
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _draw_panel(
    ax: Any, panel: Panel, entries: Sequence[Entry], colours: Mapping[str, str]
) -> None:
    factor, unit_name = _scale(panel.unit, panel.high / 1.1)
    for metric in panel.metrics:
        colour = colours[_head(metric)]
        points = [(e.at, e.values[metric] / factor) for e in entries if metric in e.values]
        ax.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            ":" if metric.endswith("cpu_s") else "-",
            marker="o",
            markersize=3,
            color=colour,
            label=metric,
        )
        if metric not in panel.bounds:
            continue
        bounds = [(e.at, e.bounds[metric]) for e in entries if metric in e.bounds]
        ax.step(
            [b[0] for b in bounds],
            [b[1] / factor for b in bounds],
            "--",
            where="post",
            color=colour,
            linewidth=1.2,
            label=f"bound of {metric}",
        )
    ax.set_ylim(panel.low / factor, panel.high / factor)
    ax.set_ylabel(unit_name)
    heading = _HEADINGS[panel.group]
    if panel.off_chart:
        heading += " — bounds above the panel: " + ", ".join(panel.off_chart)
    ax.set_title(heading, fontsize=10, loc="left")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _metadata(fmt: str) -> dict[str, str | None]:
    # No date or tool version in the file: the same history draws the same bytes.
    return {"Date": None} if fmt == "svg" else {}
