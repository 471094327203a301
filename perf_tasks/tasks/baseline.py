"""`invoke baseline` and `invoke baseline.compare`: one performance record of the workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task, task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge

if TYPE_CHECKING:  # annotations only: loading the tasks stays light
    from perf_tasks.ab.engine import Outcome
    from perf_tasks.measure.baseline import Compared, Requested
    from perf_tasks.measure.comparison import Comparison
    from perf_tasks.ui.output import Output

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "runs": "Timed runs of each command (default 3, or [baseline] runs)",
    "warmup": "Untimed runs before the timed ones (default 0, or [baseline] warmup)",
    "verbose": "Stream the output of cargo and nextest as they run",
    "timeout": "Seconds one run of a command may take before it and its processes are ended "
    "(default 3600, or [baseline] timeout; 0: no limit)",
}
RECORD_HELP = {
    **HELP,
    "dry_run": "Show every command the baseline would run; run nothing",
    "cold": "Also time a build from scratch, in scratch dirs (your target dir is untouched)",
    "cold_runs": "Runs of the cold build (default 1, or [baseline] cold_runs)",
}
COMPARE_HELP = {
    **HELP,
    "old": "The reference record (default: the workspace's docs/performance/baseline.json)",
    "new": "A second record to compare, instead of measuring afresh",
    "save": "Also write the fresh record to this path (the reference is never overwritten)",
    "runs": "Timed runs of each command (default: as many as the reference had)",
    "warmup": "Untimed runs before the timed ones (default: as the reference had)",
    "dry_run": "Show every command the fresh measurement would run; run nothing",
    "against": "Measure the work tree against this git revision (HEAD, origin/main, a commit), "
    "now, in interleaved pairs, built in a scratch worktree; instead of a record",
    "confirm": "Confirm a suspected time regression by a same-time A/B against the record's "
    "revision before failing (default); --no-confirm lets the record comparison decide alone",
    "max_pairs": "With --against (or a confirmation): the most pairs to run while a metric is "
    "undecided (default 12, at least 6)",
    "cold": "With --against: time cold builds too (each from an empty target dir), in both arms",
}


# Flags that take a whole number. invoke takes a flag's kind from its default, and ours are None
# (unset: the settings decide), which would make them text (`--runs=STRING`).
NUMBERS = frozenset({"runs", "warmup", "cold_runs", "timeout", "max_pairs"})


class CountingTask(Task):  # type: ignore[type-arg]
    """A task whose `NUMBERS` flags parse as whole numbers (`--runs=INT`), None when not given."""

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        opts: dict[str, Any] = super().arg_opts(name, default, taken_names)
        if name in NUMBERS:
            opts["kind"] = int
        return opts


@task(klass=CountingTask, default=True, help=RECORD_HELP)
def record(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    runs=None,
    warmup=None,
    cold=False,
    cold_runs=None,
    timeout=None,
    dry_run=False,
    json=False,
    verbose=False,
):
    """Record disk, build and test times, CPU and RAM in docs/performance/ (Baseline.md + JSON)."""
    with task_edge(json=json), _stoppable(json=json):
        from perf_tasks.measure import baseline
        from perf_tasks.ui import baseline as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        asked = _requested(runs, warmup, cold=cold, cold_runs=cold_runs, timeout=timeout)
        plan = baseline.prepare(root_of(c, root), env=os.environ, requested=asked)
        if dry_run:
            return view.render_plan(out, plan)
        with view.progress(out, verbose=verbose) as progress:
            done = baseline.record(plan, progress=progress, program=program_of(c))
        view.render_record(out, done.record, written=done.written)
        if done.exit_code:
            raise Exit(code=int(done.exit_code))


@task(klass=CountingTask, help=COMPARE_HELP)
def compare(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    old=None,
    new=None,
    runs=None,
    warmup=None,
    save=None,
    timeout=None,
    against=None,
    max_pairs=None,
    confirm=True,
    cold=False,
    dry_run=False,
    json=False,
    verbose=False,
):
    """Compare with the record or --against a revision; exit 1 on a regression."""
    with task_edge(json=json), _stoppable(json=json):
        if cold and against is None:
            from perf_tasks.errors import UsageError

            raise UsageError(
                "--cold asks the A/B of --against REF for cold builds; against a record, the "
                "record's own settings decide (record one with `baseline --cold`)"
            )
        if against is not None:
            return _against(
                c,
                root=root,
                ref=against,
                cold=cold,
                max_pairs=max_pairs,
                timeout=timeout,
                clashes={"--old": old, "--new": new, "--save": save, "--runs": runs},
                dry_run=dry_run,
                json=json,
            )
        from perf_tasks.measure import baseline
        from perf_tasks.ui import baseline as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        where = None if old and new else root_of(c, root)  # two records need no workspace
        paths = baseline.RecordPaths(old=_path(old), new=_path(new), save=_path(save))
        if dry_run:
            fresh = None
            if where is not None:
                _, fresh = baseline.prepare_compare(
                    where,
                    paths,
                    env=os.environ,
                    program=program_of(c),
                    requested=_requested(runs, warmup, timeout=timeout),
                )
            return view.render_compare_plan(out, fresh, paths)
        with view.progress(out, verbose=verbose) as progress:
            done = baseline.compare(
                where,
                paths,
                requested=_requested(runs, warmup, timeout=timeout),
                env=os.environ,
                progress=progress,
                program=program_of(c),
            )
        comparison, outcome = done.comparison, None
        if done.reference is not None and confirm and where is not None:
            comparison, outcome = _confirmed(out, where, done, max_pairs, timeout)
        if outcome is not None and not json:
            from perf_tasks.ui.baseline import ab as ab_view

            out.line("same-time A/B, to confirm:", style="bold")
            ab_view.render_outcome(out, outcome)
            out.line()
        view.render_comparison(out, comparison, verbose=verbose, warnings=done.warnings)
        if comparison.exit_code:
            raise Exit(code=int(comparison.exit_code))


def _confirmed(
    out: Output, where: Path, done: Compared, max_pairs: int | None, timeout: int | None
) -> tuple[Comparison, Outcome | None]:
    """The comparison after confirming its time regressions, and the A/B that did (or None)."""
    from dataclasses import replace

    from perf_tasks.ab.confirm import confirm
    from perf_tasks.ab.engine import DEFAULT_MAX_PAIRS
    from perf_tasks.ui.baseline import ab as ab_view

    assert done.reference is not None  # the caller checked
    with ab_view.ab_progress(out) as report:
        confirmed = confirm(
            where,
            done.comparison,
            done.reference,
            env=os.environ,
            max_pairs=DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs,
            timeout_s=timeout,
            on_progress=report,
        )
    if confirmed.outcome is None:
        return confirmed.comparison, None
    attached = replace(confirmed.comparison, confirmation=confirmed.outcome.as_json())
    return attached, confirmed.outcome


def _against(  # type: ignore[no-untyped-def]
    c,
    *,
    root: str | None,
    ref: str,
    cold: bool,
    max_pairs: int | None,
    timeout: int | None,
    clashes: dict[str, object],
    dry_run: bool,
    json: bool,
):
    from perf_tasks.ab import against as ab
    from perf_tasks.ab.engine import DEFAULT_MAX_PAIRS
    from perf_tasks.ab.stats import MIN_PAIRS
    from perf_tasks.errors import UsageError
    from perf_tasks.ui.baseline import ab as view
    from perf_tasks.ui.output import Output

    given = [flag for flag, value in clashes.items() if value is not None]
    if given:
        raise UsageError(
            f"--against measures both sides afresh; leave out {', '.join(given)}, or compare "
            "records without --against"
        )
    pairs = DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
    if pairs < MIN_PAIRS:
        raise UsageError(
            f"--max-pairs {pairs} is too few: a 95% interval needs at least {MIN_PAIRS}"
        )
    out = Output(json=json)
    request = ab.Request(ref=ref, max_pairs=pairs, timeout_s=timeout, cold=cold)
    where = root_of(c, root)
    if dry_run:
        return view.render_ab_plan(out, ab.plan_against(where, request, env=os.environ))
    with view.ab_progress(out) as report:
        outcome = ab.compare_against(where, request, env=os.environ, on_progress=report)
    view.render_outcome(out, outcome)
    if outcome.exit_code:
        raise Exit(code=int(outcome.exit_code))


@contextmanager
def _stoppable(*, json: bool) -> Iterator[None]:
    """SIGTERM and SIGHUP stop the run as Ctrl-C does (every process it started is ended, scratch
    dirs go) and exit 128 + the signal; a run's processes never outlive it."""
    from perf_tasks.proc import Stopped, stop_on_signals

    try:
        with stop_on_signals():
            yield
    except Stopped as exc:
        if json:
            from perf_tasks.ui.output import Output, error_json

            Output(json=True).emit_json(error_json("stopped", f"stopped by {exc}"))
        raise Exit(f"stopped by {exc}", code=exc.exit_code) from None


def program_of(c: Context) -> str:
    """The program the user runs: `perf-tasks` under its own script (which sets `perf.program`),
    `invoke` under invoke. Messages and Baseline.md name it."""
    perf = c.config.get("perf") or {}
    return str(perf.get("program") or "invoke")


def _requested(
    runs: int | None,
    warmup: int | None,
    *,
    cold: bool = False,
    cold_runs: int | None = None,
    timeout: int | None = None,
) -> Requested:
    """The counts asked for; `CountingTask` has parsed them as whole numbers (None: not given)."""
    from perf_tasks.measure.baseline import Requested

    return Requested(runs=runs, warmup=warmup, cold=cold, cold_runs=cold_runs, timeout_s=timeout)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


ns = Collection("baseline", record, compare)
