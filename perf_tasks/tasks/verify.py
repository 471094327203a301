"""`invoke verify.record` / `verify.check`: prove that the tests pass the same before and after."""

from __future__ import annotations

from pathlib import Path

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, root_of, task_edge
from perf_tasks.tasks.baseline import _stoppable, program_of

RECORD_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "out": "Where to write the record (default: <root>/docs/performance/verify.json)",
}
CHECK_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "record": "The record to compare with (default: <root>/docs/performance/verify.json)",
    "before": "Instead of a record: run the tests of this git revision, in a scratch worktree",
    "after": "With --before: the revision to compare it with (default: the work tree as it is)",
}


def _record_path(c: Context, root: str | None, flag: str | None) -> tuple[Path, Path]:
    """The workspace root, and the record: the flag (from the current dir), or the default."""
    from perf_tasks.verify.record import DEFAULT_PATH

    base = root_of(c, root)
    return base, (Path(flag).absolute() if flag else base / DEFAULT_PATH)


@task(help=RECORD_HELP)
def record(c, root=None, out=None, json=False):  # type: ignore[no-untyped-def]
    """Run every test and doctest once; record the list and each test's outcome."""
    with task_edge(json=json), _stoppable(json=json):
        import os

        from perf_tasks.inspection import inspect
        from perf_tasks.paths import relative
        from perf_tasks.ui.output import Output
        from perf_tasks.ui.verify_view import render_recorded
        from perf_tasks.verify import collect
        from perf_tasks.verify import record as record_mod

        output = Output(json=json)
        base, path = _record_path(c, root, out)
        result = collect.collect(inspect(base, env=os.environ))
        record_mod.write(path, result)
        render_recorded(output, result, path=relative(path, base), full=path)


@task(help=CHECK_HELP)
def check(c, root=None, record=None, before=None, after=None, json=False):  # type: ignore[no-untyped-def]
    """Run every test and doctest again; exit 1 if a test or an outcome differs from the record."""
    with task_edge(json=json), _stoppable(json=json):
        import os

        from perf_tasks.errors import ExitCode, UsageError
        from perf_tasks.inspection import inspect
        from perf_tasks.paths import relative
        from perf_tasks.ui.output import Output
        from perf_tasks.ui.verify_view import render_check, render_step
        from perf_tasks.verify import collect
        from perf_tasks.verify import record as record_mod

        output = Output(json=json)
        if before is not None or after is not None:
            if before is None:
                raise UsageError("--after needs --before: the revision to compare it with")
            if record is not None:
                raise UsageError("--before/--after run both sides now; leave out --record")
            from perf_tasks.verify.revisions import check_revisions

            base = root_of(c, root)
            comparison = check_revisions(
                base,
                before,
                after,
                env=os.environ,
                on_step=lambda what: render_step(output, what),
            )
            render_check(output, comparison, path="")
        else:
            base, path = _record_path(c, root, record)
            # bad input fails before anything runs
            old = record_mod.read(path, program=program_of(c))
            new = collect.collect(inspect(base, env=os.environ))
            comparison = record_mod.compare(old, new, record=path)
            render_check(output, comparison, path=relative(path, base))
    if not comparison.same:
        raise Exit(code=int(ExitCode.INCOMPLETE))


ns = Collection("verify", record, check)
