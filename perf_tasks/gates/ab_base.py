"""The base of `gate --against REF`: the same-time A/B measurement of a git revision.

The engine lives in `perf_tasks/ab/`. This module is the one place the gates meet it: `against`
runs it (`ab.against.compare_against`) and turns its outcome into the shape gate evaluation
(`gates/check.py`) reads, given as read-only Protocols; tests build A/B results from the frozen
dataclasses below.

Names: the A/B times `build.rebuild` (a crate compiled again), and a relative gate on the warm or
incremental build (`build.cpu_s`, `build.incremental.wall_s`) is judged on it; every verdict names
the figure it was judged on (`measured`). A cold-build gate (`build.cold.*`) is never judged on a
rebuild: the A/B then times cold builds too (`cold=True`), and without them it has no figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from perf_tasks.ab.stats import PER_TEST, REGRESSION, SAME, UNDECIDED, Interval, PerTestRule
from perf_tasks.gates.contract import EACH, Gate

if TYPE_CHECKING:
    from perf_tasks.ab.engine import Outcome
    from perf_tasks.context import RunContext


class MetricVerdictLike(Protocol):
    @property
    def metric(self) -> str: ...  # a record path: "tests.wall_s", "build.incremental.cpu_s"
    @property
    def measured(self) -> str: ...  # the A/B's figure it was judged on: "build.rebuild.cpu_s"
    @property
    def a(self) -> Sequence[float]: ...  # samples of the base revision
    @property
    def b(self) -> Sequence[float]: ...  # samples of the work tree
    @property
    def ratio(self) -> Interval: ...
    @property
    def verdict(self) -> str: ...  # the A/B's: "regression", "same", "undecided", ...


class TestVerdictLike(Protocol):
    @property
    def id(self) -> str: ...  # "<binary-id> <test-name>"
    @property
    def before_max_s(self) -> float | None: ...
    @property
    def after_min_s(self) -> float | None: ...
    @property
    def verdict(self) -> str: ...  # the A/B's: "regression", "same" or "undecided"


class ABResultLike(Protocol):
    @property
    def metrics(self) -> Sequence[MetricVerdictLike]: ...
    @property
    def tests(self) -> Sequence[TestVerdictLike]: ...
    @property
    def label(self) -> str: ...  # "main @ abc1234 vs the work tree", for tables


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    a: tuple[float, ...]
    b: tuple[float, ...]
    ratio: Interval
    delta: float
    verdict: str
    measured: str = ""  # the A/B's figure; "" when it is `metric` itself

    def __post_init__(self) -> None:
        if not self.measured:
            object.__setattr__(self, "measured", self.metric)


@dataclass(frozen=True)
class TestVerdict:
    id: str
    before_max_s: float | None
    after_min_s: float | None
    verdict: str


@dataclass(frozen=True)
class ABResult:
    metrics: tuple[MetricVerdict, ...]
    tests: tuple[TestVerdict, ...]
    label: str


# The phases a rebuild stands for. Not `build.cold`: a cold build compiles every dependency and
# runs every build script, which a rebuild of one crate never does.
BUILD_PHASES = ("build", "build.incremental")


def against(
    context: RunContext,
    ref: str,
    *,
    runs: int | None,
    cold: bool = False,
    on_progress: Callable[[str, int, int], None] | None = None,
    max_pairs: int | None = None,
    judged: Mapping[str, float] | None = None,
    max_seconds: float | None = None,
    tests: JudgedTests | None = None,
) -> ABResultLike:
    """Measure `ref` and the work tree of `root` at the same time, pair by pair (perf_tasks/ab/);
    with `cold`, cold builds too. `runs` is not used: the engine decides how many pairs."""
    from perf_tasks.ab.against import Request, compare_against
    from perf_tasks.ab.engine import DEFAULT_MAX_PAIRS

    pairs = DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
    tests = tests or JudgedTests(PER_TEST, frozenset())
    request = Request(
        ref=ref,
        cold=cold,
        max_pairs=pairs,
        judged=ab_metrics(judged or {}),
        max_seconds=max_seconds,
        test_rule=tests.rule,
        judged_tests=tests.named,
    )
    return from_outcome(compare_against(context, request, on_progress=on_progress))


@dataclass(frozen=True)
class JudgedTests:
    """What a contract's test rows ask of the A/B: the per-test rule, tightened by a `tests.each`
    row's bound, and the tests a `test:<id>` row names."""

    rule: PerTestRule
    named: frozenset[str]


def judged_tests(gates: Sequence[Gate]) -> JudgedTests:
    """The contract's test rows as the A/B's per-test rule and named tests. Pure."""
    rule = PER_TEST
    named: set[str] = set()
    for gate in gates:
        relative = gate.bound.relative
        if gate.metric == EACH and relative is not None and gate.bound.floor is not None:
            rule = rule.tightest(1.0 + relative, gate.bound.floor)
        elif gate.test_id is not None and relative is not None:
            named.add(gate.test_id)
    return JudgedTests(rule, frozenset(named))


def ab_metrics(judged: Mapping[str, float]) -> dict[str, float]:
    """A gate's relative rows as the A/B's metrics (a build phase is judged on the rebuild), each
    with the tightest bound a row puts on it. Pure."""
    out: dict[str, float] = {}
    for metric, bound in judged.items():
        phase, _, stat = metric.rpartition(".")
        measured = f"build.rebuild.{stat}" if phase in BUILD_PHASES else metric
        out[measured] = min(bound, out.get(measured, bound))
    return out


def from_outcome(outcome: Outcome) -> ABResult:
    """The engine's outcome in the gates' shape: every metric (build phases aliased to
    `build.rebuild`), and every test timed on both arms."""
    metrics: list[MetricVerdict] = []
    for m in outcome.metrics:
        verdict = MetricVerdict(
            metric=m.metric,
            a=m.a,
            b=m.b,
            ratio=m.interval,
            delta=0.0 if m.threshold is None else m.threshold.delta,
            verdict=m.verdict,
        )
        metrics.append(verdict)
        phase, _, stat = m.metric.rpartition(".")
        if phase == "build.rebuild":
            metrics += [
                replace(verdict, metric=f"{alias}.{stat}", measured=m.metric)
                for alias in BUILD_PHASES
            ]
    changed = {t.id: t.change for t in outcome.tests if t.change in (REGRESSION, UNDECIDED)}
    tests = tuple(
        TestVerdict(test, before, after, changed.get(test, SAME))
        for test, (before, after) in sorted(outcome.test_extremes.items())
    )
    return ABResult(tuple(metrics), tests, f"{outcome.a_label} vs the work tree")
