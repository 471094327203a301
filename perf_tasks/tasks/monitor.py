"""`invoke monitor`: the daily job (measure, gates, disk budget, history, chart, report)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge
from perf_tasks.tasks.baseline import CountingTask, program_of

if TYPE_CHECKING:  # annotations only: loading the tasks stays light
    from perf_tasks.ui.output import Output

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "record": "Use this baseline record instead of measuring afresh",
    "contract": "The contract (default: [gates] contract, benches/PERFORMANCE_CONTRACT.md)",
    "base": "The base of relative gates: a baseline record of this machine",
    "save": "Also write the fresh record to this path (CI uploads it)",
    "now": "The entry's time, ISO 8601 (default: when the record was measured)",
    "runs": "Timed runs of each command of the fresh measurement (default: [baseline] runs)",
    "verbose": "Stream the output of cargo and nextest as they run",
}


@task(klass=CountingTask, default=True, help=HELP)
def run(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    record=None,
    contract=None,
    base=None,
    now=None,
    save=None,
    runs=None,
    json=False,
    verbose=False,
):
    """Daily: measure, check gates and the disk budget, append the history, draw, report."""
    with task_edge(json=json):
        from datetime import datetime, timezone

        from perf_tasks import settings as settings_mod
        from perf_tasks.gates import job
        from perf_tasks.monitor import history, run
        from perf_tasks.ui import baseline as baseline_view
        from perf_tasks.ui.gate_view import render_monitor
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        where = root_of(c, root)
        program = program_of(c)
        config = settings_mod.load(where)
        path = job.contract_path(where, config, Path(contract) if contract else None)
        gates = job.load_contract(path, where, program=program) if path.exists() else None
        at = history.parse_time(now, what="--now") if now else None
        the_base = job.read_record(Path(base), program=program, what="--base") if base else None
        with baseline_view.progress(out, verbose=verbose) as progress:
            measured = job.measured_from(
                where,
                Path(record) if record else None,
                env=os.environ,
                runs=runs,
                progress=progress,
                program=program,
                cold=gates is not None and job.names_cold_build(gates),
            )
        if save and measured.data is not None:
            job.save_record(Path(save), measured.data)
        done = run.monitor(
            where,
            measured.record,
            contract=gates,
            base=the_base,
            now=at,
            clock=datetime.now(timezone.utc),
            clean=lambda: _clean_target(c, where, out),
        )
        render_monitor(out, done)
        if done.exit_code:
            raise Exit(code=int(done.exit_code))


def _clean_target(c: Context, root: Path, out: Output) -> tuple[str, int]:
    """clean.target, as its task runs it; returns what it did and freed, for the report."""
    import time

    from perf_tasks.clean.job import Job, Request, check
    from perf_tasks.quantities import format_bytes

    request = Request("target")
    check(request, invoke_dry=bool(c.config.run.dry), can_ask=False)
    job = Job.open(root, request, env=os.environ, on_status=out.line)
    with job.locked():
        planned = job.plan(now=time.time())
        report = job.execute(planned, progress=lambda done, total: None, now=time.time())
    state = "" if report.ok else " (not everything could be removed: run clean.target)"
    freed = report.freed_bytes
    return f"clean.target ran and freed {format_bytes(freed)}{state}", freed


ns = Collection("monitor", run)
