"""The entry points of `tests.shard` (plan, or run one shard) and `tests.merge`: a request in, a
frozen result out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf_tasks.errors import ConfigError, ToolMissing, UsageError
from perf_tasks.shards import listing
from perf_tasks.shards import plan as plan_mod

if TYPE_CHECKING:
    from perf_tasks.context import RunContext

PLAN_FILE = "shard-plan.json"  # in `[baseline] dir`, beside the record it learns from


def check_shards(shards: int) -> None:
    if not 1 <= shards <= plan_mod.MAX_SHARDS:
        raise UsageError(f"--shards {shards}: give a whole number from 1 to {plan_mod.MAX_SHARDS}")


@dataclass(frozen=True)
class PlanRequest:
    shards: int
    durations: tuple[Path, ...] = ()  # JUnit reports or records; none: the last baseline record
    plan_file: Path | None = None  # None: `<[baseline] dir>/shard-plan.json`

    def __post_init__(self) -> None:
        check_shards(self.shards)

    @classmethod
    def of(
        cls,
        shards: int | None,
        durations: list[str] | None,
        plan_file: Path | None,
        *,
        run_only: tuple[str | None, ...] = (),
    ) -> PlanRequest:
        """From the flags of `tests.shard` without --run."""
        if shards is None:
            raise UsageError("give --shards N to plan, or --run K/N to run one shard of the plan")
        if any(run_only):
            raise UsageError("--archive and --out go with --run K/N: they run a shard")
        return cls(shards, tuple(Path(d) for d in durations or () if d), plan_file)


@dataclass(frozen=True)
class Partition:
    """What one way of splitting gives on the same durations: each shard's predicted seconds."""

    name: str  # "plan", "hash", "slice"
    predicted_s: tuple[float, ...]

    @property
    def slowest_s(self) -> float:
        return max(self.predicted_s, default=0.0)

    def as_json(self) -> dict[str, Any]:
        return {
            "predicted_s": [round(s, 3) for s in self.predicted_s],
            "slowest_s": round(self.slowest_s, 3),
        }


@dataclass(frozen=True)
class Planned:
    plan: plan_mod.Plan
    path: Path
    partitions: tuple[Partition, ...]  # ours first, then nextest's hash: and slice:
    tests: int  # listed, runnable
    unmeasured: int  # placed by hash: no duration yet
    root: Path  # the plan file is shown relative to it
    exit_code: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": str(self.path),
            "shards": self.plan.shards,
            "tests": self.tests,
            "unmeasured": self.unmeasured,
            "durations_from": list(self.plan.sources),
            "ideal_s": round(self.plan.ideal_s, 3),
            "partitions": {p.name: p.as_json() for p in self.partitions},
        }


def source_of(context: RunContext, archive: Path | None = None) -> listing.Source:
    inspection = context.inspection
    if inspection.nextest is None:
        raise ToolMissing(
            "cargo-nextest is not installed: shards are planned and run with it "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    if archive is not None and not archive.is_file():
        raise UsageError(f"no nextest archive at {archive}: make it with `cargo nextest archive`")
    # Path flags are relative to where the user ran the command; nextest runs in the root.
    return listing.Source(
        inspection.root,
        inspection.nextest_program,
        tuple(inspection.env.items()),
        None if archive is None else archive.absolute(),
    )


def plan_file(context: RunContext, given: Path | None) -> Path:
    return given if given is not None else context.root / context.settings.baseline.dir / PLAN_FILE


def plan(context: RunContext, request: PlanRequest, *, program: str = "perf-tasks") -> Planned:
    """List the tests, balance them on the measured durations, ask nextest what its own
    partitions give, and write the plan (atomically, under the run lock)."""
    from perf_tasks.fs.guarded import overwrite
    from perf_tasks.measure import durations as durations_mod

    # A first plan has no durations yet: every test goes by its hash, and the merged record of
    # that run is the next plan's durations.
    known = durations_mod.load(context.root, request.durations, program=program, missing_ok=True)
    path = plan_file(context, request.plan_file)
    folder_for(path, what="--plan")
    source = source_of(context)
    tests = listing.runnable(listing.list_tests(source))
    seconds = {(t.binary, t.name): t.seconds for t in known.tests}
    made = plan_mod.balance(tests, seconds, request.shards, sources=known.sources)
    theirs = [
        Partition(kind, _predicted(listing.partitions(source, kind, made.shards), seconds, made))
        for kind in ("hash", "slice")
    ]
    overwrite(context.root, {path: plan_mod.dumps(made)})
    return Planned(
        plan=made,
        path=path,
        partitions=(Partition("plan", made.predicted_s()), *theirs),
        tests=len(tests),
        unmeasured=sum(t.seconds is None for t in made.tests),
        root=context.root,
    )


def _predicted(
    shard_of: dict[tuple[str, str], int],
    seconds: dict[tuple[str, str], float],
    made: plan_mod.Plan,
) -> tuple[float, ...]:
    return plan_mod.predicted(
        (
            (shard_of[t.binary, t.name], seconds.get((t.binary, t.name), 0.0))
            for t in made.tests
            if (t.binary, t.name) in shard_of
        ),
        made.shards,
    )


def folder_for(path: Path, *, what: str) -> None:
    """Make the folder a file will be written in, before any work: a path through a file, or a
    folder that cannot be made, is one line."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"{what} {path}: cannot make its folder {path.parent} ({exc.strerror or exc})"
        ) from None
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder: give a file's path")


def read_plan(path: Path) -> plan_mod.Plan:
    from perf_tasks.fs.regular import read_input

    missing = UsageError(f"no shard plan at {path}: make one with `tests.shard --shards N`")
    text = read_input(path, kind="a shard plan", missing=missing, limit=plan_mod.MAX_PLAN_BYTES)
    try:
        return plan_mod.parse(text, source=str(path))
    except plan_mod.BadPlan as exc:
        raise ConfigError(str(exc)) from None


NEXTEST_TESTS_FAILED = 100  # nextest's exit code when the run worked and a test failed
RUN_TIMEOUT_S = 6 * 3600.0
OUT_DIR = "perf-tasks-shards"  # in the target dir, unless --out says where


@dataclass(frozen=True)
class RunRequest:
    shard: int  # 1..shards
    shards: int
    plan_file: Path | None = None
    archive: Path | None = None  # a nextest archive (`cargo nextest archive`)
    out: Path | None = None  # where the shard's JUnit report goes

    @classmethod
    def of(
        cls,
        run: str,
        plan_file: Path | None,
        archive: Path | None,
        out: Path | None,
        *,
        plan_only: tuple[object, ...] = (),
    ) -> RunRequest:
        """From `--run K/N` and the flags that go with it."""
        if any(flag is not None and flag != [] for flag in plan_only):
            raise UsageError("--shards and --durations plan; --run K/N runs the plan's shard K")
        k, slash, n = run.partition("/")
        if not (slash and k.isdecimal() and n.isdecimal() and 1 <= int(k) <= int(n)):
            raise UsageError(f"--run {run!r}: give K/N, shard K of N, with 1 <= K <= N (`2/4`)")
        return cls(int(k), int(n), plan_file, archive, out)

    @property
    def name(self) -> str:
        return f"{self.shard}-of-{self.shards}"


@dataclass(frozen=True)
class Ran:
    request: RunRequest
    junit: Path  # this shard's report, a file of its own
    tests: int  # run in this shard
    unplanned: int  # of them, not in the plan (added since): placed by their hash
    failing: tuple[str, ...]  # `binary name`

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "shard": self.request.shard,
            "shards": self.request.shards,
            "junit": str(self.junit),
            "tests": self.tests,
            "unplanned": self.unplanned,
            "failing": list(self.failing),
        }


def run(context: RunContext, request: RunRequest) -> Ran:
    """Run the plan's shard K with nextest (from the archive when given); its JUnit report is
    written to `<out>/junit-K-of-N.xml`."""
    from perf_tasks import command
    from perf_tasks.fs.atomic import write_atomic
    from perf_tasks.measure import nextest_runs
    from perf_tasks.shards import run as run_mod

    made = read_plan(plan_file(context, request.plan_file))
    if made.shards != request.shards:
        raise UsageError(
            f"--run {request.shard}/{request.shards}, but the plan has {made.shards} shards: "
            f"run 1/{made.shards} to {made.shards}/{made.shards}, or plan again"
        )
    # Absolute: nextest takes a tool config only by its absolute path, and reads the store dir
    # in it relative to the root, not to where the user ran the command.
    out = (request.out or context.inspection.workspace.target_dir / OUT_DIR).absolute()
    folder_for(out / "junit.xml", what="--out")
    source = source_of(context, request.archive)
    listed = listing.runnable(listing.list_tests(source))
    chosen, unplanned = run_mod.selection(made, listed, request.shard)
    profile = f"{listing.PROFILE}-{request.name}"
    store = out / "store"
    config = out / f"shard-{request.name}.toml"
    write_atomic(
        config,
        nextest_runs.tool_config(
            profile, store_dir=str(store), default_filter=run_mod.default_filter(chosen)
        ),
    )
    report = nextest_runs.junit_path(
        context.inspection.nextest_config, profile=profile, root=context.root, store_dir=store
    )
    report.unlink(missing_ok=True)
    argv = nextest_runs.argv(
        source.program,
        "run",
        profile=profile,
        tool_config=config,
        args=(*source.args(), "--no-tests=pass"),
        own_filter=True,
    )
    command.run(
        argv,
        cwd=context.root,
        env=dict(source.env),
        timeout_s=RUN_TIMEOUT_S,
        what=f"shard {request.shard}/{request.shards} (`cargo nextest run`)",
        ok_codes=(0, NEXTEST_TESTS_FAILED),
    )
    text = _report_text(report, chosen)
    junit = out / f"junit-{request.name}.xml"
    write_atomic(junit, text)
    cases = nextest_runs.parse_junit(text)
    return Ran(request, junit, len(chosen), unplanned, nextest_runs.failing([cases]))


EMPTY_REPORT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nextest-run" tests="0"/>\n'
)


def _report_text(report: Path, chosen: Sequence[tuple[str, str]]) -> str:
    from perf_tasks.errors import CommandFailed
    from perf_tasks.fs.regular import read_text
    from perf_tasks.measure.durations import MAX_JUNIT_BYTES

    try:
        return read_text(report, limit=MAX_JUNIT_BYTES)
    except FileNotFoundError:
        if not chosen:  # nothing to run: nextest writes no report
            return EMPTY_REPORT
        raise CommandFailed(f"nextest left no JUnit report at {report}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandFailed(f"cannot read nextest's JUnit report at {report}: {exc}") from None


RECORD_FILE = "record.json"  # in the reports' folder, unless --out says where


@dataclass(frozen=True)
class MergeRequest:
    shards: int
    reports: Path | None = None  # the folder of junit-K-of-N.xml; None: the run's default
    archive: Path | None = None  # list the tests (and the ignored ones) from this archive
    doctests: Path | None = None  # the doctest job's `cargo test --doc` output
    out: Path | None = None  # the record; None: <reports>/record.json

    def __post_init__(self) -> None:
        check_shards(self.shards)

    @classmethod
    def of(
        cls,
        shards: int | None,
        reports: Path | None,
        archive: Path | None,
        doctests: Path | None,
        out: Path | None,
    ) -> MergeRequest:
        if shards is None:
            raise UsageError("give --shards N: the number of shards whose reports are merged")
        return cls(shards, reports, archive, doctests, out)


@dataclass(frozen=True)
class MergedRun:
    path: Path
    shards: int
    tests: int  # run, all shards together
    ignored: int
    failing: tuple[str, ...]
    missing: tuple[str, ...]
    duplicated: tuple[str, ...]
    doc_failing: tuple[str, ...]
    doctests: int | None  # None: no doctest output given

    @property
    def exit_code(self) -> int:
        bad = self.failing or self.missing or self.duplicated or self.doc_failing
        return 1 if bad else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "record": str(self.path),
            "shards": self.shards,
            "tests": self.tests,
            "ignored": self.ignored,
            "failing": list(self.failing),
            "missing": list(self.missing),
            "duplicated": list(self.duplicated),
            "doctests": self.doctests,
            "doctests_failing": list(self.doc_failing),
        }


def merge(context: RunContext, request: MergeRequest) -> MergedRun:
    """Read every shard's report (a missing one is an error naming it), list the tests, and
    write one record of the whole run."""
    import time

    from perf_tasks.fs.guarded import overwrite
    from perf_tasks.measure import environment
    from perf_tasks.measure import record as record_mod
    from perf_tasks.shards import merge as merge_mod

    folder = request.reports or context.inspection.workspace.target_dir / OUT_DIR
    absent = [
        f"{k}/{request.shards}"
        for k in range(1, request.shards + 1)
        if not (folder / f"junit-{k}-of-{request.shards}.xml").exists()
    ]
    if absent:
        raise UsageError(
            f"no report of shard {', '.join(absent)} in {folder} (junit-K-of-N.xml: did its "
            "job fail, or its artifact not download?); nothing was merged"
        )
    reports = [
        _shard_report(folder / f"junit-{k}-of-{request.shards}.xml", k, request.shards)
        for k in range(1, request.shards + 1)
    ]
    doc = None
    if request.doctests is not None:
        text = _read_input(request.doctests, what="the doctest job's output")
        try:
            doc = merge_mod.doc_part(text, source=str(request.doctests))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    path = request.out or folder / RECORD_FILE
    folder_for(path, what="--out")
    source = source_of(context, request.archive)
    merged = merge_mod.merge(reports, listing.list_tests(source, ignored="all"))
    tests = merge_mod.tests_part(
        merged, reports, command=f"tests.shard --run K/{request.shards}", doc=doc
    )
    inspection = context.inspection
    warnings = [f"no shard ran {t}" for t in merged.missing]
    warnings += [f"more than one shard ran {t}" for t in merged.duplicated]
    data = record_mod.envelope(
        started_at=time.time(),
        elapsed_s=0.0,
        ok=not tests["failing"] and not (doc or {}).get("failing") and merged.complete,
        workspace={"name": context.root.name, "members": [], "shards": request.shards},
        settings=None,
        environment=environment.fingerprint(
            root=context.root,
            cargo=inspection.cargo,
            env=inspection.env,
            nextest=inspection.nextest,
        ),
        build=None,
        tests=tests,
        warnings=warnings,
    )
    text = record_mod.dumps(data)
    record_mod.parse(text, source="the merged record")  # what gate and monitor will read
    overwrite(context.root, {path: text})
    return MergedRun(
        path=path,
        shards=request.shards,
        tests=len(merged.cases),
        ignored=merged.ignored,
        failing=tuple(tests["failing"]),
        missing=merged.missing,
        duplicated=merged.duplicated,
        doc_failing=tuple((doc or {}).get("failing") or ()),
        doctests=None if doc is None else sum(doc[k] or 0 for k in ("passed", "failed", "ignored")),
    )


def _shard_report(path: Path, shard: int, shards: int) -> Any:
    from perf_tasks.shards import merge as merge_mod

    text = _read_input(path, what=f"shard {shard}/{shards}'s JUnit report")
    try:
        return merge_mod.read_report(text, shard=shard, source=str(path))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _read_input(path: Path, *, what: str) -> str:
    from perf_tasks.fs.regular import read_input
    from perf_tasks.measure.durations import MAX_JUNIT_BYTES

    missing = UsageError(f"no file at {path}: give {what}")
    return read_input(path, kind=what, missing=missing, limit=MAX_JUNIT_BYTES)
