"""`invoke contract.init`: a starter performance contract from a measurement."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import (
    JSON_HELP,
    ROOT_HELP,
    CountingTask,
    context_of,
    finish,
    path_of,
    program_of,
    task_edge,
)

# The flags `gate` shares with contract.init: where the contract is, what is measured. `record`
# is not among them: gate checks one, contract.init writes from one.
CONTRACT_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "contract": "The contract (default: [gates] contract, benches/PERFORMANCE_CONTRACT.md)",
    "runs": "Timed runs of each command of the fresh measurement (default: [baseline] runs)",
    "verbose": "Stream the output of cargo and nextest as they run",
}
HELP = {
    **CONTRACT_HELP,
    "contract": "Where to write the contract (default: [gates] contract, "
    "benches/PERFORMANCE_CONTRACT.md)",
    "record": "Write the bounds from this baseline record instead of measuring afresh",
    "force": "Replace an existing contract",
}


@task(klass=CountingTask, help=HELP)
def init(  # type: ignore[no-untyped-def]
    c, *, root=None, contract=None, record=None, runs=None, force=False, json=False, verbose=False
):
    """Write a starter contract from a fresh measurement (or --record); never over one (--force)."""
    with task_edge(json=json, verbose=verbose) as out:
        from perf_tasks.gates import job
        from perf_tasks.ui.baseline import progress

        request = job.InitRequest(
            program_of(c), path_of(contract), path_of(record), runs=runs, force=force
        )
        with progress(out, verbose=verbose) as reporting:
            done = job.init(context_of(c, root), request, progress=reporting)
        finish(out, done)


ns = Collection("contract", init)
