"""`verify.record` and `verify.check`, each one call: a frozen request in, a frozen result out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode, UsageError
from perf_tasks.progress import Progress
from perf_tasks.verify.record import DEFAULT_PATH, Comparison, Record


def record_path(root: Path, flag: str | None) -> Path:
    """The record: the flag (from the current dir), or the default under the root."""
    return Path(flag).absolute() if flag else root / DEFAULT_PATH


@dataclass(frozen=True)
class RecordRequest:
    out: str | None = None  # where to write the record; None: the default under the root


@dataclass(frozen=True)
class Recorded:
    """What `verify.record` wrote: the record, where (`path` as text output shows it)."""

    record: Record
    full: Path
    path: str
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        data = self.record.as_json()
        return {
            "schema_version": data["schema_version"],
            "ok": True,
            "record": str(self.full),
            "tests": self.record.total,
            "totals": data["totals"],
        }


def record(
    context: RunContext, request: RecordRequest, *, progress: Progress | None = None
) -> Recorded:
    """Run every test and doctest once; write the list and each test's outcome."""
    from perf_tasks.paths import relative
    from perf_tasks.verify import collect
    from perf_tasks.verify import record as record_mod

    path = record_path(context.root, request.out)
    result = collect.collect(context.inspection, progress)
    record_mod.write(path, result)
    return Recorded(result, path, relative(path, context.root))


@dataclass(frozen=True)
class CheckRequest:
    program: str  # what the user runs, named in the advice
    record: str | None = None  # the record to compare with; None: the default under the root
    before: str | None = None  # instead of a record: a git revision, run now
    after: str | None = None  # with `before`: the other revision; None: the work tree

    def __post_init__(self) -> None:
        if self.before is None and self.after is not None:
            raise UsageError("--after needs --before: the revision to compare it with")
        if self.before is not None and self.record is not None:
            raise UsageError("--before/--after run both sides now; leave out --record")


@dataclass(frozen=True)
class Checked:
    """`verify.check`: the comparison, and the record it was made with as text shows it ("" when
    both sides ran now)."""

    comparison: Comparison
    path: str = ""

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.comparison.same else ExitCode.INCOMPLETE

    def as_json(self) -> dict[str, Any]:
        return self.comparison.as_json()


def check(context: RunContext, request: CheckRequest, *, progress: Progress) -> Checked:
    """Run every test and doctest again (or both revisions) and compare."""
    from perf_tasks.paths import relative
    from perf_tasks.verify import collect
    from perf_tasks.verify import record as record_mod

    if request.before is not None:
        from perf_tasks.verify.revisions import check_revisions

        before, after, on_step = request.before, request.after, progress.on_step
        sides = check_revisions(context.root, before, after, env=context.env, on_step=on_step)
        return Checked(sides)
    path = record_path(context.root, request.record)
    old = record_mod.read(path, program=request.program)  # bad input fails before anything runs
    new = collect.collect(context.inspection, progress)
    return Checked(record_mod.compare(old, new, record=path), relative(path, context.root))
