"""`tests.order`, one call: a frozen request in, a frozen result out. Nothing here prints.

Durations (measure/durations.py) -> bands (bands.py) -> `.config/nextest.toml` with the bands of
one profile replaced (config.py), planned and written under the run lock, from the read to the
rename (fs/guarded). With `measure`, the suite runs with and without the order in interleaved
pairs first (measure.py), and the order is written only when it clearly shortens the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf_tasks.errors import ExitCode, UsageError
from perf_tasks.testorder.bands import Banding
from perf_tasks.testorder.binaries import binary_ids

if TYPE_CHECKING:
    from perf_tasks.context import RunContext
    from perf_tasks.edit.file import Edit
    from perf_tasks.measure.durations import Durations
    from perf_tasks.progress import Progress
    from perf_tasks.testorder.measure import Measured

SCHEMA_VERSION = 1
KIND = "perf-tasks.tests-order"
DEFAULT_PROFILE = "ci"


@dataclass(frozen=True)
class Request:
    profile: str = DEFAULT_PROFILE
    durations: tuple[Path, ...] = ()  # JUnit reports or baseline records; none: the last record
    dry_run: bool = False  # show the diff; write nothing
    measure: bool = False  # time the suite with and without the order; write only on a clear gain
    max_pairs: int | None = None
    timeout_s: float | None = None
    program: str = "perf-tasks"  # as messages name it

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.profile):
            raise UsageError(
                f"--profile {self.profile!r}: a nextest profile name holds only letters, digits, "
                "'-' and '_'"
            )
        if self.profile.startswith("default-"):
            raise UsageError(
                f"--profile {self.profile}: nextest reserves the names starting with 'default-'"
            )
        if not self.measure and (self.max_pairs is not None or self.timeout_s is not None):
            raise UsageError("--max-pairs and --timeout go with --measure")
        if self.max_pairs is not None:
            from perf_tasks.ab.stats import MIN_PAIRS

            if self.max_pairs < MIN_PAIRS:
                raise UsageError(
                    f"--max-pairs {self.max_pairs} is too few: a 95% interval needs at least "
                    f"{MIN_PAIRS}"
                )
        if self.timeout_s is not None and self.timeout_s < 0:
            raise UsageError(f"--timeout {self.timeout_s:g}: give seconds, 0 for no limit")

    @classmethod
    def of(
        cls,
        profile: str | None,
        durations: list[str] | None,
        *,
        dry_run: bool,
        measure: bool,
        max_pairs: int | None,
        timeout_s: float | None,
        program: str,
    ) -> Request:
        """From the flags: no --profile is `ci`; --timeout 0 is no limit."""
        return cls(
            profile=DEFAULT_PROFILE if profile is None else profile,
            durations=tuple(Path(d) for d in durations or ()),
            dry_run=dry_run,
            measure=measure,
            max_pairs=max_pairs,
            timeout_s=timeout_s or None,
            program=program,
        )


@dataclass(frozen=True)
class Ordered:
    """The bands, the edit of the file that holds them, and whether it was written."""

    profile: str
    sources: tuple[str, ...]
    banding: Banding
    edit: Edit
    dry_run: bool
    written: bool
    measured: Measured | None = None
    gone: tuple[str, ...] = ()  # binaries of the durations that the workspace no longer has

    @property
    def exit_code(self) -> ExitCode:
        if self.measured is not None and (
            self.measured.outcome.tests or self.measured.outcome.failing
        ):
            return ExitCode.INCOMPLETE  # an outcome the order changes, or a failing test
        return ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        edit = self.edit
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "ok": self.exit_code == ExitCode.OK,
            "profile": self.profile,
            "file": edit.shown,
            "sources": list(self.sources),
            "bands": [b.as_json() for b in self.banding.bands],
            "ordered": self.banding.ordered,
            "binaries_gone": list(self.gone),
            "default_priority": self.banding.left,
            "changes": edit.changes,
            "dry_run": self.dry_run,
            "written": self.written,
            "diff": edit.diff(),
            "measure": None if self.measured is None else self.measured.as_json(),
        }


def order(context: RunContext, request: Request, *, progress: Progress) -> Ordered:
    """`tests.order`: plan the bands; measure them when asked; write them unless told not to."""
    from perf_tasks.fs import guarded
    from perf_tasks.measure import durations as durations_mod
    from perf_tasks.testorder import bands

    root = context.root
    found = durations_mod.load(root, request.durations, program=request.program)
    found, gone = in_workspace(found, binary_ids(context.inspection.metadata))
    if not found.tests:
        # Nothing to judge by: the bands a run wrote from real durations stay as they are.
        raise UsageError(
            f"no test durations of this workspace in {', '.join(found.sources)}"
            + (f" (only of {', '.join(gone)}, which it no longer has)" if gone else "")
            + ": pass a JUnit report of a nextest run (or a baseline.json with its tests); "
            "nothing was changed"
        )
    banding = bands.band(found)
    with guarded.editing(root, dry_run=request.dry_run and not request.measure):
        edit = plan(root, request.profile, banding)
        measured = None
        if request.measure and banding.bands:
            from perf_tasks.testorder import measure

            measured = measure.measure(context, request, edit, progress=progress)
        apply = edit.changes and not request.dry_run
        if measured is not None:
            apply = apply and measured.applies
        if apply:
            edit.write(root)
    return Ordered(
        profile=request.profile,
        sources=found.sources,
        banding=banding,
        edit=edit,
        dry_run=request.dry_run,
        written=bool(apply),
        measured=measured,
        gone=gone,
    )


def in_workspace(found: Durations, known: frozenset[str]) -> tuple[Durations, tuple[str, ...]]:
    """The durations of tests whose binary the workspace still has, and the binaries it has not
    (nextest refuses a config that names one: binaries.py)."""
    from dataclasses import replace

    kept = tuple(t for t in found.tests if t.binary in known)
    gone = tuple(sorted({t.binary for t in found.tests if t.binary not in known}))
    return replace(found, tests=kept), gone


def plan(root: Path, profile: str, banding: Banding) -> Edit:
    """The file as it is, and as it would be with these bands."""
    from perf_tasks.edit import file as edit_file
    from perf_tasks.testorder import config

    # nextest reads a file that starts with a byte order mark: set aside, written back.
    before = edit_file.read(root / config.CONFIG, shown=config.CONFIG, bom=True)
    new = config.place(before.text or "", profile, banding.bands)
    table = f"[[profile.{profile}.overrides]]"
    changed = (table,) if new != (before.text or "") else ()
    return edit_file.Edit(before, new, (table,), changed)
