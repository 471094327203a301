"""The trend chart of the monitor's history: one panel per unit (seconds, bytes), dated x-axis,
labelled axes, the contract's absolute bounds as dashed lines in their metric's colour.

Needs matplotlib, the `chart` extra (`pip install 'perf-tasks[chart]'`); imported only here, only
when drawing. Without it, `draw` raises `ChartUnavailable` and the monitor goes on without a chart.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

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


def series(entries: Sequence[Entry], unit: str) -> list[str]:
    """The metrics of one panel, in phase order: those any entry has a value for."""
    names = {m for e in entries for m in e.values if _unit(m) == unit}
    return sorted(names, key=_order)


def _scale(unit: str, largest: float) -> tuple[float, str]:
    if unit == "seconds":
        return (1e-3, "milliseconds") if largest < 1 else (1.0, "seconds")
    for factor, name in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if largest >= factor:
            return factor, name
    return 1.0, "bytes"


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

    units = [u for u in ("seconds", "bytes") if series(entries, u)]
    fig, axes = plt.subplots(
        len(units) or 1, 1, figsize=(11, 3.6 * max(len(units), 1)), sharex=True, squeeze=False
    )
    try:
        for ax, unit in zip(axes[:, 0], units, strict=False):
            metrics = series(entries, unit)
            largest = max(e.values[m] for e in entries for m in metrics if m in e.values)
            factor, unit_name = _scale(unit, largest)
            off_chart: list[str] = []
            colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
            # One colour per phase (wall solid, CPU dotted); a bound takes its metric's colour.
            heads = list(dict.fromkeys(_head(m) for m in metrics))
            for metric in metrics:
                colour = colours[heads.index(_head(metric)) % len(colours)]
                points = [(e.at, e.values[metric] / factor) for e in entries if metric in e.values]
                style = ":" if metric.endswith("cpu_s") else "-"
                ax.plot(
                    [p[0] for p in points],
                    [p[1] for p in points],
                    style,
                    marker="o",
                    markersize=3,
                    color=colour,
                    label=metric,
                )
                bounds = [(e.at, e.bounds[metric]) for e in entries if metric in e.bounds]
                if not bounds:
                    continue
                if max(b for _, b in bounds) > BOUND_SPAN * largest:
                    off_chart.append(f"{metric} ≤ {in_unit(bounds[-1][1], unit)}")
                    continue
                ax.step(
                    [b[0] for b in bounds],
                    [b[1] / factor for b in bounds],
                    "--",
                    where="post",
                    color=colour,
                    linewidth=1.2,
                    label=f"bound of {metric}",
                )
            ax.set_ylabel(unit_name)
            drawn = [line.get_ydata() for line in ax.get_lines()]
            top = max((float(max(y)) for y in drawn if len(y)), default=1.0)
            ax.set_ylim(0, top * 1.1 or 1.0)  # from zero, with room above the highest point
            heading = "times (median of the runs; dotted: CPU)" if unit == "seconds" else "disk"
            if off_chart:
                heading += " — bounds above the panel: " + ", ".join(off_chart)
            ax.set_title(heading, fontsize=10, loc="left")
            ax.grid(True, alpha=0.3)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
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


def _metadata(fmt: str) -> dict[str, str | None]:
    # No date or tool version in the file: the same history draws the same bytes.
    return {"Date": None} if fmt == "svg" else {}
