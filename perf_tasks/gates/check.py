"""Gate evaluation: a contract, the measured record and a base in; a verdict per gate out. Pure.

- An absolute bound (`≤ 120 s`, `≤ 5 GB`) holds the measured median (a disk size: the measured
  bytes; a test: its median over the runs) to the bound.
- A relative bound (`≤ +10%`) compares with a base:
  - a record (`--base FILE`): the measured median against the base median; a breach only when the
    change is outside `measure/comparison.py`'s noise band AND above the bound;
  - an A/B result (`--against REF`): a breach only when the low end of the ratio's confidence
    interval is above 1 + the bound (a confirmed slowdown, never one noisy sample).
- `tests.each` (`≤ +50% and +100 ms`): a test breaches when its fastest new run is slower than its
  slowest old run x 1.5 AND slower than it + 100 ms. A record without per-test min and max
  (`tests.durations_range`, older records) lends its medians instead, and the report says so.

A gate naming a metric or a test the record (or the base) lacks is a `ContractError` (exit 2),
never a pass. Whatever the contract holds, a failing, flaky or newly ignored test in the measured
record is a breach of its own, `tests.outcomes` (`measure/outcomes.py`), naming the tests: a test
that panics at once is fast, and would pass every time bound.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from perf_tasks.ab.stats import UNDECIDED
from perf_tasks.errors import ExitCode
from perf_tasks.gates.ab_base import ABResultLike
from perf_tasks.gates.contract import EACH, Bound, Contract, Gate
from perf_tasks.measure import outcomes
from perf_tasks.measure.comparison import bytes_threshold, label, time_threshold
from perf_tasks.measure.environment import differences
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.schema import Record, Stats
from perf_tasks.quantities import BYTES, SECONDS, in_unit, plural

PASS = "pass"
BREACH = "breach"
SKIPPED = "skipped"  # a relative gate without a base, in `monitor` only (said in its report)

Base = Union[Record, ABResultLike]  # noqa: UP007 (an alias is evaluated at run time: 3.10 too)


@dataclass(frozen=True)
class Slower:
    """One test the per-test rule flags: its slowest old run, its fastest new one."""

    id: str
    before_s: float
    after_s: float

    def as_json(self) -> dict[str, Any]:
        return {"test": self.id, "before_s": self.before_s, "after_s": self.after_s}

    def __str__(self) -> str:
        return f"{self.id} {in_unit(self.before_s, SECONDS)} → {in_unit(self.after_s, SECONDS)}"


@dataclass(frozen=True)
class Verdict:
    gate: Gate
    value: float | None  # the measured value compared (seconds, bytes); None for tests.each
    shown: str  # the value as the table shows it
    verdict: str  # PASS, BREACH or SKIPPED
    evidence: str  # "median 3.2 s over 3 runs", "ratio 1.42 [1.31, 1.55] over 6 pairs", ...
    slower: tuple[Slower, ...] = ()  # tests.each: the tests that breach

    @property
    def breached(self) -> bool:
        return self.verdict == BREACH

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.gate.metric,
            "line": self.gate.line,
            "bound": self.gate.bound.text,
            "value": self.value,
            "shown": self.shown,
            "verdict": self.verdict,
            "evidence": self.evidence,
            "note": self.gate.note,
            "slower": [s.as_json() for s in self.slower],
        }


@dataclass(frozen=True)
class GateReport:
    contract: str  # the contract file, as named in messages
    rows: tuple[Verdict, ...]
    measured: str  # when and at which commit the measured record was made
    base: str | None  # the base's label; None without one
    notes: tuple[str, ...] = field(default=())

    @property
    def breaches(self) -> tuple[Verdict, ...]:
        return tuple(r for r in self.rows if r.breached)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INCOMPLETE if self.breaches else ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.gates",
            "ok": not self.breaches,
            "contract": self.contract,
            "measured": self.measured,
            "base": self.base,
            "notes": list(self.notes),
            "breaches": [r.gate.metric for r in self.breaches],
            "gates": [r.as_json() for r in self.rows],
        }


def evaluate(
    contract: Contract,
    measured: Record | None,
    base: Base | None,
    *,
    skip_relative_without_base: bool = False,
) -> GateReport:
    """Check every gate of `contract`. `measured` may be None only with an A/B base (its work-tree
    samples are then the measured values)."""
    if measured is None and (base is None or isinstance(base, Record)):
        raise ValueError("evaluate needs a measured record unless the base is an A/B result")
    notes: list[str] = []
    if isinstance(base, Record) and measured is not None:
        for difference in differences(
            base.environment.comparable(), measured.environment.comparable()
        ):
            notes.append(
                f"the base record was measured elsewhere ({difference}): a record describes one "
                "machine, so relative gates compare across machines"
            )
    rows = []
    for gate in contract.gates:
        if gate.bound.is_relative and base is None:
            if skip_relative_without_base:
                rows.append(
                    Verdict(gate, None, "—", SKIPPED, "relative: needs --base FILE or --against")
                )
                continue
            raise contract.fail(
                gate,
                f"{gate.metric} {gate.bound.text} is relative: it needs a base, "
                "--base FILE (a record of this machine) or --against REF (a git revision)",
            )
        if gate.metric == EACH:
            rows.append(_each(contract, gate, measured, base, notes))
        elif gate.test_id is not None:
            rows.append(_test(contract, gate, measured, base))
        else:
            rows.append(_metric(contract, gate, measured, base))
    if measured is not None:
        rows += outcome_rows(measured, base if isinstance(base, Record) else None)
    return GateReport(
        contract=contract.source,
        rows=tuple(rows),
        measured=label(measured) if measured is not None else "the work tree",
        base=None if base is None else (label(base) if isinstance(base, Record) else base.label),
        notes=tuple(notes),
    )


# The gate no contract row names and every check holds: the tests' outcomes. Line 0: no row.
OUTCOMES_GATE = Gate(outcomes.OUTCOMES_METRIC, Bound("all pass"), "always checked", 0)


def outcome_rows(measured: Record, base: Record | None) -> list[Verdict]:
    """A breach row when a test failed, was flaky or is newly ignored; nothing when all pass."""
    found = outcomes.problems(measured, base)
    if not found:
        return []
    shown = ", ".join(f"{p.count} {p.kind}" for p in found)
    evidence = "; ".join(p.line() for p in found)
    return [Verdict(OUTCOMES_GATE, None, shown, BREACH, evidence)]


# -- metrics of the record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """A metric's figures in one record: its median (or exact bytes), its spread when timed."""

    value: float
    stats: Stats | None
    runs: int | None


def metric_of(record: Record, metric: str) -> Measured | None:
    """The figures of a record path (`tests.cpu_s`, `disk.target.bytes`), None when absent."""
    parts = metric.split(".")
    if parts[0] == "disk":
        usage = record.disk.get(parts[1])
        return None if usage is None else Measured(float(usage.bytes), None, None)
    phase_name, _, key = metric.rpartition(".")
    phase = record.phase(PhaseName(phase_name))
    stats = None if phase is None else phase.stats(key)
    if phase is None or stats is None:
        return None
    return Measured(stats.median, stats, phase.runs)


def _missing(contract: Contract, gate: Gate, what: str, where: str) -> Exception:
    return contract.fail(
        gate,
        f"{what} is not in {where}: fix the row, or measure what it names (a gate never passes "
        "on a missing figure)",
    )


def _metric(contract: Contract, gate: Gate, measured: Record | None, base: Base | None) -> Verdict:
    unit = gate.unit
    bound = gate.bound
    if base is not None and not isinstance(base, Record):
        ab = next((m for m in base.metrics if m.metric == gate.metric), None)
        # An absolute gate reads the fresh measurement when the A/B did not time its metric
        # (sizes, a phase the A/B does not run): only a relative one needs the A/B's figure.
        if ab is None and (bound.relative is not None or measured is None):
            raise _missing(contract, gate, gate.metric, f"the A/B result ({_AB_TIMES})")
        if ab is not None and bound.relative is not None:
            r = ab.ratio
            breach = r.low > 1 + bound.relative
            # The figure it was judged on comes first: a rebuild may stand for a build phase.
            evidence = (
                f"{ab.measured}: median pair ratio {r.median:.2f} [{r.low:.2f}, {r.high:.2f}] over "
                f"{plural(r.pairs, 'pair')} ({r.confidence:.0%} CI)"
            )
            if ab.verdict == UNDECIDED:
                evidence += "; undecided when the time allowed ran out"
            value = statistics.median(ab.b) if ab.b else r.median
            return Verdict(gate, value, in_unit(value, unit), BREACH if breach else PASS, evidence)
        own = ab is not None and ab.measured == gate.metric  # the A/B timed this very figure
        if ab is not None and (
            measured is None or (own and metric_of(measured, gate.metric) is None)
        ):
            if not own:  # an absolute bound is never held to another figure (a rebuild)
                raise _missing(contract, gate, gate.metric, "the measured record")
            value = statistics.median(ab.b)
            evidence = (
                f"{ab.measured}: median {in_unit(value, unit)} over "
                f"{plural(len(ab.b), 'run')} of the work tree"
            )
            return _absolute(gate, value, evidence)
    assert measured is not None
    now = metric_of(measured, gate.metric)
    if now is None:
        raise _missing(contract, gate, gate.metric, "the measured record")
    if bound.limit is not None:
        if now.stats is None:
            evidence = f"{in_unit(now.value, unit)} measured ({int(now.value)} bytes)"
        else:
            evidence = f"median {in_unit(now.value, unit)} over {plural(now.runs, 'run')}"
            if now.stats.max is not None:
                evidence += f" (max {in_unit(now.stats.max, unit)})"
        return _absolute(gate, now.value, evidence)
    assert isinstance(base, Record) and bound.relative is not None
    then = metric_of(base, gate.metric)
    if then is None:
        raise _missing(contract, gate, gate.metric, "the base record")
    if unit == BYTES and now.stats is None:
        band = bytes_threshold(then.value)
    else:
        stat = gate.metric.rpartition(".")[2]  # wall_s, cpu_s or a RAM peak: each its own band
        band = time_threshold(then.stats or Stats(then.value), now.stats or Stats(now.value), stat)
        if unit == BYTES:
            band = max(band, 2.0**20)
    change = now.value - then.value
    pct = 100.0 * change / then.value if then.value else float("inf") if change > 0 else 0.0
    breach = change > band and now.value > then.value * (1 + bound.relative)
    evidence = (
        f"{in_unit(now.value, unit)} vs base {in_unit(then.value, unit)}: {pct:+.1f}% "
        f"(noise ±{in_unit(band, unit)})"
    )
    return Verdict(gate, now.value, in_unit(now.value, unit), BREACH if breach else PASS, evidence)


_AB_TIMES = (
    "it times wall_s and cpu_s of build.rebuild, tests and tests.doc, and of build.cold when a "
    "row names it"
)


def _absolute(gate: Gate, value: float, evidence: str) -> Verdict:
    assert gate.bound.limit is not None
    breach = value > gate.bound.limit
    return Verdict(gate, value, in_unit(value, gate.unit), BREACH if breach else PASS, evidence)


# -- tests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestTimes:
    median: float
    low: float  # fastest run
    high: float  # slowest run
    ranged: bool  # False: the record has no min/max, the median stands in for both


def times_of(record: Record, test_id: str) -> TestTimes | None:
    tests = record.tests
    if tests is None:
        return None
    binary, _, name = test_id.partition(" ")
    median = tests.durations.get(binary, {}).get(name)
    if median is None:
        return None
    pair = tests.durations_range.get(binary, {}).get(name)
    if pair is None:
        return TestTimes(median, median, median, ranged=False)
    return TestTimes(median, pair[0], pair[1], ranged=True)


def all_tests(record: Record) -> dict[str, TestTimes]:
    tests = record.tests
    found: dict[str, TestTimes] = {}
    for binary, names in (tests.durations if tests else {}).items():
        for name in names:
            times = times_of(record, f"{binary} {name}")
            if times is not None:
                found[f"{binary} {name}"] = times
    return found


def _test(contract: Contract, gate: Gate, measured: Record | None, base: Base | None) -> Verdict:
    test_id = gate.test_id
    assert test_id is not None
    bound = gate.bound
    if base is not None and not isinstance(base, Record):
        ab = next((t for t in base.tests if t.id == test_id), None)
        if (ab is None or ab.after_min_s is None) and (
            bound.relative is not None or measured is None
        ):
            raise _missing(contract, gate, f"test {test_id!r}", "the A/B result's work tree")
        after = None if ab is None else ab.after_min_s
        if ab is not None and after is not None and bound.relative is not None:
            if ab.before_max_s is None:
                raise _missing(contract, gate, f"test {test_id!r}", "the base revision")
            limit = ab.before_max_s * (1 + bound.relative)
            breach = after > limit and after - ab.before_max_s > RESOLUTION_S
            evidence = (
                f"fastest {in_unit(after, SECONDS)} vs slowest base run "
                f"{in_unit(ab.before_max_s, SECONDS)}"
            )
            if ab.verdict == UNDECIDED:
                breach = False
                evidence += "; undecided when the time allowed ran out"
            return Verdict(
                gate, after, in_unit(after, SECONDS), BREACH if breach else PASS, evidence
            )
        if measured is None and after is not None:
            return _absolute(gate, after, f"fastest run {in_unit(after, SECONDS)}")
    assert measured is not None
    now = times_of(measured, test_id)
    if now is None:
        raise _missing(contract, gate, f"test {test_id!r}", "the measured record's durations")
    if bound.limit is not None:
        spread = (
            f" (runs {in_unit(now.low, SECONDS)} to {in_unit(now.high, SECONDS)})"
            if now.ranged
            else ""
        )
        runs = measured.tests.run.runs if measured.tests else None
        return _absolute(
            gate,
            now.median,
            f"median {in_unit(now.median, SECONDS)} over {plural(runs, 'run')}{spread}",
        )
    assert isinstance(base, Record) and bound.relative is not None
    then = times_of(base, test_id)
    if then is None:
        raise _missing(contract, gate, f"test {test_id!r}", "the base record's durations")
    breach = now.low > then.high * (1 + bound.relative) and now.low - then.high > RESOLUTION_S
    evidence = (
        f"fastest {in_unit(now.low, SECONDS)} vs slowest base run {in_unit(then.high, SECONDS)}"
    )
    return Verdict(gate, now.low, in_unit(now.low, SECONDS), BREACH if breach else PASS, evidence)


RESOLUTION_S = 0.001  # JUnit times are to the millisecond


def slower_tests(
    before: Mapping[str, float], after: Mapping[str, float], *, relative: float, floor: float
) -> list[Slower]:
    """The per-test rule over two maps (test id -> slowest old run; -> fastest new run): a test is
    slower when after > before x (1 + relative) AND after > before + floor."""
    found = [
        Slower(test, before[test], after[test])
        for test in sorted(before.keys() & after.keys())
        if after[test] > before[test] * (1 + relative) and after[test] > before[test] + floor
    ]
    return sorted(found, key=lambda s: s.before_s - s.after_s)


def _each(
    contract: Contract,
    gate: Gate,
    measured: Record | None,
    base: Base | None,
    notes: list[str],
) -> Verdict:
    bound = gate.bound
    assert bound.relative is not None and bound.floor is not None
    before: dict[str, float]
    after: dict[str, float]
    undecided: set[str] = set()  # the A/B's suspects still in doubt when its time ran out
    if base is not None and not isinstance(base, Record):
        before = {t.id: t.before_max_s for t in base.tests if t.before_max_s is not None}
        after = {t.id: t.after_min_s for t in base.tests if t.after_min_s is not None}
        undecided = {t.id for t in base.tests if t.verdict == UNDECIDED}
    else:
        assert isinstance(base, Record) and measured is not None
        now, then = all_tests(measured), all_tests(base)
        if not now or not then:
            which = "measured" if not now else "base"
            raise _missing(
                contract, gate, "per-test durations", f"the {which} record (nextest's JUnit)"
            )
        for which, times in (("base", then), ("measured", now)):
            if not all(t.ranged for t in times.values()):
                notes.append(
                    f"tests.each: the {which} record has no per-test min and max "
                    "(tests.durations_range, older records): its medians stand in"
                )
        before = {t: v.high for t, v in then.items()}
        after = {t: v.low for t, v in now.items()}
    flagged = slower_tests(before, after, relative=bound.relative, floor=bound.floor)
    slower = [s for s in flagged if s.id not in undecided]
    common = len(before.keys() & after.keys())
    if slower:
        named = "; ".join(f"test slowed {s}" for s in slower[:3])
        more = f"; and {len(slower) - 3} more" if len(slower) > 3 else ""
        evidence = f"{len(slower)} of {plural(common, 'test')}: {named}{more}"
    else:
        worst = max(
            ((after[t] / before[t] if before[t] else 1.0, t) for t in before.keys() & after.keys()),
            default=None,
        )
        evidence = f"{plural(common, 'test')} compared, none slower"
        if worst is not None:
            evidence += f" (largest ratio {worst[0]:.2f}: {worst[1]})"
    only = _only_in(before, after)
    if only:
        evidence += f"; {only}"
    unsure = len(flagged) - len(slower)
    if unsure:
        evidence += f"; {plural(unsure, 'test')} undecided when the time allowed ran out"
    shown = f"{len(slower)} slower" if slower else "0 slower"
    return Verdict(gate, None, shown, BREACH if slower else PASS, evidence, tuple(slower))


def _only_in(before: Mapping[str, float], after: Mapping[str, float]) -> str:
    gone = len(before.keys() - after.keys())
    new = len(after.keys() - before.keys())
    parts = [f"{n} {what}" for n, what in ((gone, "only in the base"), (new, "new")) if n]
    return ", ".join(parts) + (" (not gated: verify.check covers them)" if parts else "")


def breach_lines(report: GateReport) -> Sequence[str]:
    """One line per breach: `tests.cpu_s: 3.1 s > ≤ 2 s (median 3.1 s over 3 runs)`."""
    return [
        f"{r.gate.metric}: {r.shown} breaches {r.gate.bound.text} ({r.evidence})"
        for r in report.breaches
    ]
