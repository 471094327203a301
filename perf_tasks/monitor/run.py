"""`invoke monitor`, the daily job: gates, the disk budget, the history, the chart, the report.

The caller measures (or reads a record) and passes a cleaning callback; this module decides and
writes: `history.jsonl` and `report.md` as one atomic unit, the chart beside them. Nothing prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from perf_tasks import settings as settings_mod
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode
from perf_tasks.fs import guarded
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.gates.check import Base, GateReport, evaluate, outcome_rows
from perf_tasks.gates.contract import Contract
from perf_tasks.measure.schema import Record
from perf_tasks.monitor import history as history_mod
from perf_tasks.monitor.chart import ChartUnavailable, draw
from perf_tasks.monitor.report import markdown
from perf_tasks.paths import relative
from perf_tasks.quantities import format_bytes, plural

REPORT_FILE = "report.md"


@dataclass(frozen=True)
class Budget:
    bytes: int  # as measured
    budget: int
    cleaned: str | None = None  # what clean.target did, when it ran
    freed: int = 0  # what it freed

    @property
    def was_over(self) -> bool:
        """Over its budget when measured."""
        return self.bytes > self.budget

    @property
    def left(self) -> int:
        return max(0, self.bytes - self.freed)

    @property
    def over(self) -> bool:
        """Still over its budget: as measured, less what clean.target freed."""
        return self.left > self.budget

    def line(self) -> str:
        state = "over" if self.was_over else "within"
        text = (
            f"the target dir {format_bytes(self.bytes)} is {state} its budget of "
            f"{format_bytes(self.budget)}"
        )
        if self.was_over and self.cleaned:
            after = "still over it" if self.over else "within it"
            text += f"; {self.cleaned}: about {format_bytes(self.left)} left, {after}"
        elif self.was_over:
            text += "; clean.target did not run ([monitor] clean_over_budget = false)"
        return text


@dataclass(frozen=True)
class Monitored:
    gates: GateReport
    contract_found: bool
    entry: history_mod.Entry
    history: tuple[history_mod.Entry, ...]
    budget: Budget | None
    written: tuple[Path, ...]
    chart: Path | None
    chart_note: str | None
    notes: tuple[str, ...]

    @property
    def exit_code(self) -> ExitCode:
        over = self.budget is not None and self.budget.over
        return ExitCode.INCOMPLETE if self.gates.breaches or over else ExitCode.OK

    def lines(self) -> list[str]:
        out = [*self.notes]
        if self.budget is not None:
            out.append(f"disk: {self.budget.line()}")
        out.append(
            f"history: {plural(len(self.history), 'entry')} "
            f"({history_mod.iso(self.history[0].at)} to {history_mod.iso(self.history[-1].at)})"
        )
        out.append(f"chart: {self.chart}" if self.chart else f"chart: {self.chart_note}")
        out += [f"wrote {p}" for p in self.written]
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.monitor",
            "ok": not self.exit_code,
            "entry": self.entry.as_json(),
            "entries": len(self.history),
            "budget": None
            if self.budget is None
            else {
                "bytes": self.budget.bytes,
                "budget_bytes": self.budget.budget,
                "over": self.budget.over,
                "was_over": self.budget.was_over,
                "cleaned": self.budget.cleaned,
                "freed_bytes": self.budget.freed,
            },
            "gates": self.gates.as_json() if self.contract_found or self.gates.rows else None,
            "chart": None if self.chart is None else str(self.chart),
            "chart_note": self.chart_note,
            "notes": list(self.notes),
            "written": [str(p) for p in self.written],
        }


def entry_of(
    record: Record, report: GateReport, *, at: datetime, over_budget: bool
) -> history_mod.Entry:
    """The day's entry: the record's figures, each gate's measured value and absolute bound."""
    values = history_mod.figures(record)
    bounds: dict[str, float] = {}
    for row in report.rows:
        gate = row.gate
        if row.value is not None and gate.test_id is not None:  # a gated test's time
            values[gate.metric] = row.value
        if gate.bound.limit is not None:
            bounds[gate.metric] = gate.bound.limit
    commit = record.environment.git.commit if record.environment.git else None
    return history_mod.Entry(
        at=at,
        commit=commit,
        values=values,
        bounds=bounds,
        breaches=tuple(r.gate.metric for r in report.breaches),
        over_budget=over_budget,
    )


def monitor(
    context: RunContext,
    record: Record,
    *,
    contract: Contract | None,
    base: Base | None,
    now: datetime | None,
    clock: datetime,
    clean: Callable[[], tuple[str, int]] | None,
) -> Monitored:
    """Check, record, draw and report one day. `now` (default: the record's start) stamps the
    entry; `clock` is the machine's time, one of the clocks the history's age limit must agree
    with. `clean` runs clean.target and says what it did and freed; it is called only when the
    target dir is over its budget and `[monitor] clean_over_budget` is on."""
    root, config = context.root, context.settings
    notes: list[str] = []
    if contract is None:
        notes.append(
            f"no contract at {config.gates.contract}: no gate was checked (contract.init writes "
            "one)"
        )
        # No contract, but a failing test still fails the day (measure/outcomes.py).
        rows = outcome_rows(record, base if isinstance(base, Record) else None)
        report = GateReport(config.gates.contract, tuple(rows), measured="", base=None)
    else:
        report = evaluate(contract, record, base, skip_relative_without_base=True)
        skipped = [r.gate.metric for r in report.rows if r.verdict == "skipped"]
        if skipped:
            notes.append(
                "relative gates not checked, the monitor has no base (pass --base FILE): "
                + ", ".join(skipped)
            )
    budget = None
    target = record.disk.get("target")
    if target is not None:
        budget = Budget(target.bytes, config.budgets.target)
        if budget.over and config.monitor.clean_over_budget and clean is not None:
            did, freed = clean()
            budget = Budget(target.bytes, config.budgets.target, cleaned=did, freed=freed)
    if now is None:
        if record.started_at is None:
            raise ValueError("a record without started_at needs an explicit time (--now)")
        now = history_mod.parse_time(record.started_at, what="the record's started_at")
    entry = entry_of(record, report, at=now, over_budget=bool(budget and budget.was_over))
    out_dir = root / config.monitor.dir
    with _history_lock(out_dir):
        return _record_day(
            root,
            out_dir,
            config,
            entry,
            report,
            budget,
            notes,
            contract_found=contract is not None,
            clock=clock,
        )


@contextmanager
def _history_lock(out_dir: Path) -> Iterator[None]:
    """One run at a time reads, appends and writes the history: two runs at once (two cron lines,
    a replay beside the daily job) would each write the file without the other's entry. The lock
    is on the folder, which is never replaced (the files in it are, by rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _record_day(
    root: Path,
    out_dir: Path,
    config: settings_mod.Settings,
    entry: history_mod.Entry,
    report: GateReport,
    budget: Budget | None,
    notes: list[str],
    *,
    contract_found: bool,
    clock: datetime,
) -> Monitored:
    history_path = out_dir / history_mod.HISTORY_FILE
    report_path = out_dir / REPORT_FILE
    # What the files held before this run: the write refuses them if they change meanwhile.
    history_before = guarded.read(history_path, shown=relative(history_path, root))
    report_before = guarded.read(report_path, shown=relative(report_path, root))
    entries = history_mod.append(
        history_mod.read(history_path),
        entry,
        keep_entries=config.monitor.keep_entries,
        keep_days=config.monitor.keep_days,
        now=clock,
    )
    chart_name = config.monitor.chart
    chart_path: Path | None = out_dir / chart_name
    chart_note = None
    try:
        picture = draw(
            entries,
            fmt=chart_name.rsplit(".", 1)[-1],
            title=f"perf-tasks monitor: {root.name}",
        )
    except ChartUnavailable as exc:
        chart_path, chart_note = None, str(exc)
    text = markdown(
        history=entries,
        gates=report if contract_found or report.rows else None,
        chart=chart_name if chart_path is not None else None,
        chart_note=chart_note,
        budget_line=budget.line() if budget is not None else "no target dir in the record",
        notes=notes,
        latest=entry,
    )
    written: list[Path] = []
    if chart_path is not None:
        write_atomic(chart_path, picture)
        written.append(chart_path)
    guarded.write(root, [(history_before, history_mod.dumps(entries)), (report_before, text)])
    written += [history_path, report_path]
    return Monitored(
        gates=report,
        contract_found=contract_found,
        entry=entry,
        history=tuple(entries),
        budget=budget,
        written=tuple(Path(relative(p, root)) for p in written),
        chart=None if chart_path is None else Path(relative(chart_path, root)),
        chart_note=chart_note,
        notes=tuple(notes),
    )
