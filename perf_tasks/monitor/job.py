"""`monitor`, one call: the contract and the base read, the record measured (or read), then the
day checked, recorded, drawn and reported (`monitor/run.py`). Nothing here prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from perf_tasks.context import RunContext
from perf_tasks.gates import job as gates_job
from perf_tasks.monitor import history
from perf_tasks.monitor.run import Monitored, monitor
from perf_tasks.progress import Progress


@dataclass(frozen=True)
class MonitorRequest:
    program: str  # what the user runs, named in the advice
    record: Path | None = None  # use this record instead of measuring afresh
    contract: Path | None = None  # default: [gates] contract under the root
    base: Path | None = None  # the base of relative gates: a record of this machine
    now: str | None = None  # the entry's time, ISO 8601; None: when the record was measured
    save: Path | None = None  # also write the fresh record here
    runs: int | None = None


def run(
    context: RunContext,
    request: MonitorRequest,
    *,
    progress: Progress,
    clean: Callable[[], tuple[str, int]] | None = None,
) -> Monitored:
    """One day. `clean` runs clean.target when the target dir is over its budget (and
    `[monitor] clean_over_budget` is on); it says what it did and freed."""
    program, root, config = request.program, context.root, context.settings
    path = gates_job.contract_path(root, config, request.contract)
    gates = gates_job.load_contract(path, root, program=program) if path.exists() else None
    at = history.parse_time(request.now, what="--now") if request.now else None
    base = request.base
    the_base = gates_job.read_record(base, program=program, what="--base") if base else None
    measured = gates_job.measured_from(
        context,
        request.record,
        runs=request.runs,
        progress=progress,
        program=program,
        cold=gates is not None and gates_job.names_cold_build(gates),
    )
    if request.save and measured.data is not None:
        gates_job.save_record(request.save, measured.data)
    return monitor(
        context,
        measured.record,
        contract=gates,
        base=the_base,
        now=at,
        clock=datetime.now(timezone.utc),
        clean=clean,
    )
