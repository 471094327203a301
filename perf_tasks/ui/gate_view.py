"""How the gates look: `gate`'s table of every gate, `contract.init`'s one line, `monitor`'s
summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perf_tasks.gates.job import Checked, Initialized
from perf_tasks.monitor.run import Monitored
from perf_tasks.quantities import all_of, plural
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders

if TYPE_CHECKING:
    from perf_tasks.gates.check import GateReport

_STYLE = {"pass": "green", "breach": "bold red", "skipped": "yellow"}


@renders(Checked)
def render_gates(out: Output, done: Checked) -> None:
    """Every gate: metric, value, bound, verdict, evidence; then one closing line."""
    gates_table(out, done.report)
    render_github(out, done)


@renders(Checked, beside_json="after")
def render_github(out: Output, done: Checked) -> None:
    """In GitHub Actions: the annotations (and why the job summary could not be written)."""
    if done.github.summary_error:
        out.warn(done.github.summary_error)
    for line in done.github.annotations:
        out.line(line)


def gates_table(out: Output, report: GateReport) -> None:
    from rich.table import Table

    out.line(shown(f"contract: {report.contract}"))
    out.line(shown(f"measured: {report.measured}"))
    if report.base:
        out.line(shown(f"base: {report.base}"))
    for note in report.notes:
        out.line(shown(f"note: {note}"))
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("metric", overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("bound", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("evidence", overflow="fold")
    for row in report.rows:
        table.add_row(
            shown(row.gate.metric),
            row.shown,
            row.gate.bound.text,
            row.verdict,
            shown(row.evidence),
            style=_STYLE.get(row.verdict),
        )
    out.console.print(table)
    for row in report.rows:  # each slower test on a line of its own: names are long
        for slower in row.slower:
            out.line(shown(f"{row.gate.metric}: test slowed {slower}"), style="red")
        if row.breached and not row.gate.line:  # tests.outcomes: no contract row, names tests
            for part in row.evidence.split("; "):
                out.line(shown(f"{row.gate.metric}: {part}"), style="red")
    n = len(report.breaches)
    if n:
        names = ", ".join(r.gate.metric for r in report.breaches)
        out.line(
            shown(f"gate: {n} of {plural(len(report.rows), 'gate')} breached: {names}"), style="red"
        )
    else:
        out.line(
            f"gate: {all_of(len(report.rows), 'gate')} holds"
            if len(report.rows) == 1
            else f"gate: {all_of(len(report.rows), 'gate')} hold"
        )


@renders(Initialized)
def render_init(out: Output, done: Initialized) -> None:
    for line in done.text.rstrip().splitlines():
        out.line(shown(line))
    out.line(shown(f"contract.init: wrote {done.where} from {done.source}"))


@renders(Monitored)
def render_monitor(out: Output, done: Monitored) -> None:
    gates_table(out, done.gates)
    for line in done.lines():
        out.line(shown(line))
