"""The monitor's `report.md`: the last run, the chart, the breaches, the largest changes. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perf_tasks.gates.check import GateReport
from perf_tasks.gates.github import markdown_table
from perf_tasks.monitor.history import Entry, iso
from perf_tasks.quantities import BYTES, SECONDS, in_unit, plural

LARGEST = 5  # changes listed


def _in_its_unit(metric: str, value: float) -> str:
    return in_unit(value, BYTES if metric.endswith("bytes") else SECONDS)


@dataclass(frozen=True)
class Change:
    metric: str
    first: float
    previous: float | None
    latest: float

    @property
    def relative(self) -> float:
        if self.first == 0:
            return 0.0 if self.latest == 0 else float("inf")
        return (self.latest - self.first) / self.first


def largest_changes(
    history: Sequence[Entry], *, latest: Entry | None = None, limit: int = LARGEST
) -> list[Change]:
    """The metrics that moved most over the history (first entry to `latest`, this run's, by
    default the newest), by relative change; a metric the first entry lacks is compared from the
    first entry that has it. `previous` is the entry just before `latest` in time: an entry a
    wrong clock stamped in the future is neither."""
    newest = history[-1] if latest is None else latest
    before = [e for e in history if e.at < newest.at]
    if not before:
        return []
    previous = before[-1]
    changes = []
    for metric, value in newest.values.items():
        first = next((e.values[metric] for e in history if metric in e.values), None)
        if first is None:
            continue
        changes.append(Change(metric, first, previous.values.get(metric), value))
    changes = [c for c in changes if c.latest != c.first]
    return sorted(changes, key=lambda c: (-abs(c.relative), c.metric))[:limit]


def markdown(
    *,
    history: Sequence[Entry],
    gates: GateReport | None,
    chart: str | None,
    chart_note: str | None,
    budget_line: str,
    notes: Sequence[str] = (),
    latest: Entry | None = None,
) -> str:
    """report.md. `latest` is this run's entry (default: the newest), which the report is about
    even when an entry from a wrong clock is newer."""
    newest = history[-1] if latest is None else latest
    commit = f" at commit `{newest.commit[:10]}`" if newest.commit else ""
    lines = [
        "# Performance monitor",
        "",
        f"Last run: {iso(newest.at)}{commit}. History: {plural(len(history), 'entry')}, "
        f"{iso(history[0].at)} to {iso(history[-1].at)}.",
        "",
    ]
    if gates is None:
        lines += ["Gates: no contract, nothing checked.", ""]
    elif gates.breaches:
        lines += [f"Gates: **{len(gates.breaches)} of {len(gates.rows)} breached.**", ""]
    else:
        lines += [f"Gates: all {len(gates.rows)} hold.", ""]
    lines += [f"Disk: {budget_line}", ""]
    for note in notes:
        lines += [f"> {note}", ""]
    lines += ["## Trend", ""]
    if chart is not None:
        lines += [f"![trend of the monitored figures]({chart})", "", f"[{chart}]({chart})", ""]
    else:
        lines += [f"No chart: {chart_note}", ""]
    lines += ["## Breaches", ""]
    if gates is not None and gates.breaches:
        lines += [
            f"- `{r.gate.metric}` = {r.shown} breaches {r.gate.bound.text} "
            + (f"(contract line {r.gate.line})" if r.gate.line else "(always checked)")
            + f": {r.evidence}"
            for r in gates.breaches
        ]
    else:
        lines.append("None.")
    lines += ["", "## Largest changes", ""]
    changes = largest_changes(history, latest=newest)
    if changes:
        lines += [
            f"| metric | first ({iso(history[0].at)[:10]}) | previous | latest | change |",
            "|---|---|---|---|---|",
        ]
        for c in changes:
            previous = "—" if c.previous is None else _in_its_unit(c.metric, c.previous)
            pct = "new" if c.relative == float("inf") else f"{100 * c.relative:+.1f}%"
            lines.append(
                f"| `{c.metric}` | {_in_its_unit(c.metric, c.first)} | {previous} | "
                f"{_in_its_unit(c.metric, c.latest)} | {pct} |"
            )
    else:
        lines.append("None yet: the history needs two entries with changed figures.")
    if gates is not None:
        lines += ["", "## Gates", "", f"Contract `{gates.contract}`.", "", markdown_table(gates)]
    return "\n".join(lines).rstrip() + "\n"
