"""`invoke baseline` and `invoke baseline.compare`: one performance record of the workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoke.collection import Collection
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge

if TYPE_CHECKING:  # annotations only: loading the tasks stays light
    from pathlib import Path

    from perf_tasks.measure.baseline import Options, Plan, Result
    from perf_tasks.settings import Settings
    from perf_tasks.ui.output import Output

HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "runs": "Timed runs of each command (default 3, or [baseline] runs)",
    "warmup": "Untimed runs before the timed ones (default 0, or [baseline] warmup)",
    "verbose": "Stream the output of cargo and nextest as they run",
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
}


@task(default=True, help=RECORD_HELP)
def record(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    runs=None,
    warmup=None,
    cold=False,
    cold_runs=None,
    dry_run=False,
    json=False,
    verbose=False,
):
    """Record disk, build and test times, CPU and RAM in docs/performance/ (Baseline.md + JSON)."""
    with task_edge(json=json):
        from perf_tasks.fs.atomic import write_atomic
        from perf_tasks.measure import baseline
        from perf_tasks.measure import record as record_mod
        from perf_tasks.ui import baseline_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        path = root_of(c, root)
        config, opts = _options(path, runs=runs, warmup=warmup, cold=cold, cold_runs=cold_runs)
        plan = baseline.plan(baseline.inspect(path, env=_env()), config, opts)
        if dry_run:
            view.render_plan(out, plan)
            return
        result = _measure(out, plan, verbose=verbose)
        data = record_mod.build(result)
        written = (
            plan.record_dir / baseline.JSON_FILE,
            plan.record_dir / baseline.MARKDOWN_FILE,
        )
        write_atomic(written[0], record_mod.dumps(data))
        write_atomic(written[1], view.markdown(data))
        view.render_record(out, data, written=written)
        if not data["ok"]:
            raise Exit(code=1)


@task(help=COMPARE_HELP)
def compare(  # type: ignore[no-untyped-def]
    c,
    *,
    root=None,
    old=None,
    new=None,
    runs=None,
    warmup=None,
    save=None,
    json=False,
    verbose=False,
):
    """Measure afresh (or read --new) and compare with the reference; exit 1 on a regression."""
    with task_edge(json=json):
        from pathlib import Path

        from perf_tasks.fs.atomic import write_atomic
        from perf_tasks.measure import baseline
        from perf_tasks.measure import record as record_mod
        from perf_tasks.measure.compare import compare as compare_records
        from perf_tasks.ui import baseline_view as view
        from perf_tasks.ui.output import Output

        out = Output(json=json)
        warnings: list[str] = []
        if old and new:  # two records: no workspace needed
            reference, fresh = record_mod.load(Path(old)), record_mod.load(Path(new))
        else:
            path = root_of(c, root)
            config, _ = _options(path)
            reference = record_mod.load(
                Path(old) if old else path / config.baseline.dir / baseline.JSON_FILE
            )
            if new:
                fresh = record_mod.load(Path(new))
            else:
                # Like with like: the reference's runs, warmup and cold build, unless overridden.
                was = reference.get("settings") or {}
                _, opts = _options(
                    path,
                    runs=was.get("runs") if runs is None else runs,
                    warmup=was.get("warmup") if warmup is None else warmup,
                    cold=bool(was.get("cold")),
                    cold_runs=was.get("cold_runs"),
                )
                plan = baseline.plan(baseline.inspect(path, env=_env()), config, opts)
                fresh = record_mod.build(_measure(out, plan, verbose=verbose))
                warnings = list(fresh["warnings"])
                if save:
                    write_atomic(Path(save), record_mod.dumps(fresh))
        comparison = compare_records(reference, fresh)
        view.render_comparison(out, comparison, verbose=verbose, warnings=warnings)
        if comparison.exit_code:
            raise Exit(code=int(comparison.exit_code))


def _env() -> dict[str, str]:
    import os
    import sysconfig

    env = dict(os.environ)
    # The [nextest] extra installs cargo-nextest beside this Python's scripts, which need not be on
    # PATH (`python3 -m invoke` works without them); cargo finds subcommands on PATH.
    scripts = sysconfig.get_path("scripts")
    path = env.get("PATH", "").split(os.pathsep)
    if scripts and scripts not in path:
        env["PATH"] = os.pathsep.join([*path, scripts]) if path != [""] else scripts
    return env


def _options(
    path: Path,
    *,
    runs: object = None,
    warmup: object = None,
    cold: bool = False,
    cold_runs: object = None,
) -> tuple[Settings, Options]:
    from perf_tasks import settings
    from perf_tasks.measure import baseline

    config = settings.load(path)
    opts = baseline.options(
        config,
        runs=_count(runs, "--runs"),
        warmup=_count(warmup, "--warmup"),
        cold=cold,
        cold_runs=_count(cold_runs, "--cold-runs"),
    )
    return config, opts


def _count(value: object, flag: str) -> int | None:
    """invoke hands over flags without a typed default as text: '3' -> 3."""
    from perf_tasks.errors import ConfigError

    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise ConfigError(f"{flag} takes a whole number, got {value!r}") from None


def _measure(out: Output, plan: Plan, *, verbose: bool) -> Result:
    from perf_tasks.measure import baseline
    from perf_tasks.runlock import run_lock
    from perf_tasks.ui import baseline_view as view

    fd = view.stream_fd(out) if verbose else None
    # A cleaning run during the measurement would skew it (and could delete what it builds).
    with run_lock(plan.root), view.status(out, plain=fd is not None) as on_event:
        return baseline.execute(plan, env=_env(), on_event=on_event, stream_fd=fd)


ns = Collection("baseline", record, compare)
