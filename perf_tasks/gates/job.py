"""What `gate` and `contract.init` do, step by step: find and read the contract, get the measured
record (fresh, or `--record FILE`), get the base (`--base FILE`, `--against REF`), evaluate.
Nothing here prints; fresh measurements report through the baseline's `Progress`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_tasks import settings as settings_mod
from perf_tasks.context import RunContext
from perf_tasks.errors import ExitCode, UsageError
from perf_tasks.fs import guarded
from perf_tasks.fs.atomic import write_all_atomic
from perf_tasks.gates import ab_base
from perf_tasks.gates.check import Base, GateReport, evaluate
from perf_tasks.gates.contract import Contract, ContractError, parse
from perf_tasks.gates.github import Published, publish
from perf_tasks.gates.starter import starter
from perf_tasks.measure.schema import Record
from perf_tasks.paths import relative
from perf_tasks.progress import Progress


def contract_path(root: Path, config: settings_mod.Settings, flag: Path | None) -> Path:
    """`--contract FILE`, else `[gates] contract` under the root."""
    return flag if flag is not None else root / config.gates.contract


def load_contract(path: Path, root: Path, *, program: str) -> Contract:
    from perf_tasks.fs.regular import read_text

    shown = relative(path, root)
    try:
        text = read_text(path)  # a FIFO or /dev/zero: one line, never a hang
    except FileNotFoundError:
        raise ContractError(
            f"no contract at {shown}: write one with `{program} contract.init`, or pass "
            "--contract FILE ([gates] contract in perf-tasks.toml)"
        ) from None
    except OSError as exc:
        raise ContractError(f"cannot read the contract {shown}: {exc.strerror or exc}") from None
    return parse(text, source=shown)


def read_record(path: Path, *, program: str, what: str) -> Record:
    from perf_tasks.measure import record as record_mod

    if not path.is_file():
        raise UsageError(
            f"no record at {path} ({what}): pass a baseline.json written by `{program} baseline`"
        )
    return record_mod.load(path, program=program)


@dataclass(frozen=True)
class Measured:
    """The record a gate checks: its JSON (written where asked) and its typed form."""

    data: Mapping[str, Any] | None  # None when read from a file
    record: Record
    source: str  # "a fresh measurement", or the file


def measure_fresh(
    context: RunContext, *, runs: int | None, progress: Progress, cold: bool = False
) -> Measured:
    """A fresh baseline record of the workspace (nothing written; the reference record stays as
    it is); with `cold`, its cold build too."""
    from perf_tasks.measure import baseline
    from perf_tasks.measure import record as record_mod
    from perf_tasks.measure.read import read_record as read_json

    requested = baseline.Requested(runs=runs, cold=cold)
    plan = baseline.prepare(context, requested=requested)
    data = record_mod.build(baseline.measure(plan, progress=progress))
    return Measured(data, read_json(data, source="the fresh measurement"), "a fresh measurement")


def measured_from(
    context: RunContext,
    record_flag: Path | None,
    *,
    runs: int | None,
    progress: Progress,
    program: str,
    cold: bool = False,
) -> Measured:
    if record_flag is not None:
        record = read_record(record_flag, program=program, what="--record")
        return Measured(None, record, str(record_flag))
    return measure_fresh(context, runs=runs, progress=progress, cold=cold)


def save_record(path: Path, data: Mapping[str, Any]) -> None:
    """`--save FILE`: the fresh record, as `baseline` writes it (one line, exit 1, if it cannot)."""
    from perf_tasks.measure import record as record_mod

    if path.is_dir():
        raise UsageError(f"--save {path} is a directory: name the record file to write")
    write_all_atomic({path: record_mod.dumps(dict(data))})


@dataclass(frozen=True)
class Checked:
    report: GateReport
    measured: Measured
    saved: Path | None = None
    github: Published = field(default_factory=Published)

    @property
    def exit_code(self) -> ExitCode:
        return self.report.exit_code

    def as_json(self) -> dict[str, Any]:
        return {**self.report.as_json(), "saved": None if self.saved is None else str(self.saved)}


def base_of(
    context: RunContext,
    *,
    base: Path | None,
    against: str | None,
    runs: int | None,
    program: str,
    cold: bool = False,
    on_ab_progress: Callable[[str, int, int], None] | None = None,
    max_pairs: int | None = None,
    judged: Mapping[str, float] | None = None,
    max_minutes: float | None = None,
    tests: ab_base.JudgedTests | None = None,
) -> Base | None:
    if base is not None and against is not None:
        raise UsageError("--base and --against both name a base: pass one")
    if max_minutes is not None and (against is None or not max_minutes > 0):
        raise UsageError(
            "--max-minutes bounds the A/B of --against REF: pass --against too, and a positive "
            "number of minutes"
        )
    if max_pairs is not None:
        from perf_tasks.ab.stats import MIN_PAIRS

        if against is None:
            raise UsageError("--max-pairs bounds the A/B of --against REF: pass --against too")
        if max_pairs < MIN_PAIRS:
            raise UsageError(
                f"--max-pairs {max_pairs} is too few: a 95% interval needs at least {MIN_PAIRS}"
            )
    if base is not None:
        return read_record(base, program=program, what="--base")
    if against is not None:
        return ab_base.against(
            context,
            against,
            runs=runs,
            cold=cold,
            on_progress=on_ab_progress,
            max_pairs=max_pairs,
            judged=judged,
            max_seconds=None if max_minutes is None else max_minutes * 60.0,
            tests=tests,
        )
    return None


def names_cold_build(contract: Contract) -> bool:
    """Whether a row names a cold-build figure: the A/B must then time cold builds."""
    return any(g.metric.startswith("build.cold.") for g in contract.gates)


@dataclass(frozen=True)
class GateRequest:
    """`gate`'s flags: the contract, the measured record, the base, and how to measure."""

    program: str  # what the user runs, named in the advice
    contract: Path | None = None  # default: [gates] contract under the root
    record: Path | None = None  # check this record instead of measuring afresh
    base: Path | None = None  # the base of relative gates: a record
    against: str | None = None  # or a git revision, measured at the same time (A/B)
    save: Path | None = None  # also write the fresh record here
    runs: int | None = None
    max_pairs: int | None = None
    max_minutes: float | None = None  # bounds the A/B's pairs after its screen


def check(context: RunContext, request: GateRequest, *, progress: Progress) -> Checked:
    """Read the contract first (a typo fails in a second, before any measurement), then the base,
    then measure (or read the record), evaluate, and leave the table for GitHub Actions."""
    root, config = context.root, context.settings
    program, against = request.program, request.against
    gates = load_contract(contract_path(root, config, request.contract), root, program=program)
    if request.base is None and against is None:
        relative_rows = [g for g in gates.gates if g.bound.is_relative]
        if relative_rows:
            g = relative_rows[0]
            raise gates.fail(
                g,
                f"{g.metric} {g.bound.text} is relative: it needs a base, --base FILE (a record "
                "of this machine) or --against REF (a git revision)",
            )
    the_base = base_of(
        context,
        base=request.base,
        against=against,
        runs=request.runs,
        program=program,
        cold=names_cold_build(gates),
        on_ab_progress=progress.on_pair,
        max_pairs=request.max_pairs,
        judged={g.metric: g.bound.relative for g in gates.gates if g.bound.relative is not None},
        max_minutes=request.max_minutes,
        tests=ab_base.judged_tests(gates.gates),
    )
    # A cold-build row is checked on a cold build: the fresh measurement makes one, unless the
    # A/B of --against times them for every row (an absolute one takes the work tree's runs).
    measured = measured_from(
        context,
        request.record,
        runs=request.runs,
        progress=progress,
        program=program,
        cold=names_cold_build(gates) and against is None,
    )
    save = request.save if measured.data is not None else None
    if save is not None and measured.data is not None:
        save_record(save, measured.data)
    report = evaluate(gates, measured.record, the_base)
    return Checked(report, measured, save, publish(report, context.env))


@dataclass(frozen=True)
class Initialized:
    path: Path
    text: str
    source: str
    where: str = ""  # the path as text output shows it (relative to the root)
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return {"written": str(self.path), "source": self.source, "contract": self.text}


@dataclass(frozen=True)
class InitRequest:
    program: str  # what the user runs, named in the advice
    contract: Path | None = None  # default: [gates] contract under the root
    record: Path | None = None  # start from this record instead of measuring afresh
    runs: int | None = None
    force: bool = False  # replace an existing contract


def init(context: RunContext, request: InitRequest, *, progress: Progress) -> Initialized:
    """Write a starter contract from a fresh measurement (or `record`); never over an existing
    contract without `force`. The check comes before the measurement."""
    contract, record, force = request.contract, request.record, request.force
    runs, program = request.runs, request.program
    root, config = context.root, context.settings
    path = contract_path(root, config, contract)
    shown = relative(path, root)
    if path.is_dir():
        raise UsageError(f"{shown} is a directory: the contract is a Markdown file")
    if os.path.lexists(path) and not force:  # a dangling symlink is there too: never replaced
        what = " (a symlink)" if path.is_symlink() else ""
        raise UsageError(f"{shown}{what} already exists: edit it, or pass --force to replace it")
    measured = measured_from(context, record, runs=runs, progress=progress, program=program)
    # The contract is a project file: it names the record by its file name, never a local path.
    source = measured.source if record is None else f"the record {record.name}"
    text = starter(measured.record, budget=config.budgets.target, source=source)
    parse(text, source=relative(path, root))  # what we write must read back
    guarded.overwrite(root, {path: text})  # an unwritable folder is one line, exit 1
    return Initialized(path, text, measured.source, shown)
