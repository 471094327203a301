"""Run two arms in interleaved pairs and judge every metric by its pair ratios B/A.

The order is balanced: pairs alternate A-then-B and B-then-A (A B B A A B ...), so that whatever
the first run of a pair gains or loses (a warm cache, a neighbour's job starting) falls on both
arms equally. A strict A B A B order would build that bias into every ratio.

It starts with `min_pairs` (6: the fewest for a 95% interval), then adds pairs, two at a time,
while a deciding metric is still undecided (its interval straddles 1 + delta), up to `max_pairs`.
The arms know what they measure (`Arm`); the engine only orders, pairs and decides, so experiments
(Cargo profiles, test runners, compile caches) reuse it as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from perf_tasks.ab import stats
from perf_tasks.ab.stats import Interval, TestChange, Threshold
from perf_tasks.errors import ExitCode
from perf_tasks.proc import Stopped

DEFAULT_MAX_PAIRS = 12


@dataclass(frozen=True)
class Sample:
    """What one run of an arm measured."""

    values: Mapping[str, float]  # metric -> value ("tests.wall_s" -> 1.52)
    test_times: Mapping[str, float] = field(default_factory=dict)  # test id -> seconds
    test_outcomes: Mapping[str, str] = field(default_factory=dict)  # test id -> outcome
    per_test: bool = False  # whether the runner gave per-test times (nextest does, cargo test not)


class Arm(Protocol):
    """One side of the comparison. `prepare` runs once, untimed, before the first pair (it builds
    what the timed runs need); `run` measures once."""

    label: str

    def prepare(self) -> None: ...

    def run(self) -> Sample: ...


@dataclass(frozen=True)
class Design:
    thresholds: Mapping[str, Threshold]  # the metrics that decide; others are only shown
    min_pairs: int = stats.MIN_PAIRS
    # Why a metric without a threshold is only shown: every row of the table says it.
    unjudged: str = "the comparison decides on other metrics"
    max_pairs: int = DEFAULT_MAX_PAIRS
    confidence: float = stats.CONFIDENCE

    def __post_init__(self) -> None:
        if self.min_pairs < 1 or self.max_pairs < self.min_pairs:
            raise ValueError("pairs: need 1 <= min_pairs <= max_pairs")


@dataclass(frozen=True)
class MetricResult:
    metric: str
    a: tuple[float, ...]
    b: tuple[float, ...]
    interval: Interval
    verdict: str  # stats.REGRESSION, IMPROVEMENT or SAME; "shown" for one that does not decide
    threshold: Threshold | None
    not_judged: str = ""  # for one that does not decide: why

    @property
    def decides(self) -> bool:
        return self.threshold is not None

    def as_json(self) -> dict[str, Any]:
        i = self.interval
        return {
            "metric": self.metric,
            "verdict": self.verdict,
            "ratio": {
                "median": _finite(i.median),
                "low": _finite(i.low),
                "high": _finite(i.high),
                "confidence": round(i.confidence, 4),
                "pairs": i.pairs,
            },
            "delta": None if self.threshold is None else self.threshold.delta,
            "floor": None if self.threshold is None else self.threshold.floor,
            "not_judged": self.not_judged or None,
            "a": [round(x, 6) for x in self.a],
            "b": [round(x, 6) for x in self.b],
        }


SHOWN = "shown"


@dataclass(frozen=True)
class Outcome:
    """The comparison of B (after) against A (before)."""

    a_label: str
    b_label: str
    order: str  # the arms in the order they ran: "ABBAABBA..."
    metrics: tuple[MetricResult, ...]
    tests: tuple[TestChange, ...]
    per_test: bool  # whether per-test times were compared
    notes: tuple[str, ...] = ()
    # every test timed on both arms: id -> (its slowest run in A, its fastest run in B)
    test_extremes: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    # every test (or, under cargo test, "tests"/"doctests") that failed in any run of B: a
    # failing or flaky test is never a pass, however fast it failed
    failing: tuple[str, ...] = ()
    # Stopped by a signal after `pairs` complete pairs (`keep_on_stop`): its exit code (130, 143,
    # 129) and how, else 0 and "": the figures are those of the pairs that finished.
    stopped_code: int = 0
    stopped_by: str = ""

    @property
    def pairs(self) -> int:
        return len(self.order) // 2

    @property
    def regressions(self) -> tuple[str, ...]:
        """Every regressed metric, and `test:<id>` for every test that got slower."""
        found = [m.metric for m in self.metrics if m.verdict == stats.REGRESSION and m.decides]
        found += [f"test:{t.id}" for t in self.tests if t.change == stats.REGRESSION]
        found += [f"failed:{test}" for test in self.failing]
        return tuple(found)

    @property
    def exit_code(self) -> int:
        if self.stopped_code:
            return self.stopped_code
        return ExitCode.INCOMPLETE if self.regressions else ExitCode.OK

    def metric(self, name: str) -> MetricResult | None:
        return next((m for m in self.metrics if m.metric == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.ab-comparison",
            "a": self.a_label,
            "b": self.b_label,
            "pairs": self.pairs,
            "order": self.order,
            "stopped": self.stopped_by or None,
            "regressions": list(self.regressions),
            "metrics": [m.as_json() for m in self.metrics],
            "per_test": self.per_test,
            "tests": [
                {
                    "id": t.id,
                    "change": t.change,
                    "before_max_s": t.before_max_s,
                    "after_min_s": t.after_min_s,
                    "before": t.before,
                    "after": t.after,
                }
                for t in self.tests
            ],
            "failing": list(self.failing),
            "notes": list(self.notes),
        }


def _finite(x: float) -> float | None:
    return round(x, 6) if math.isfinite(x) else None


# (what, pair number from 1 or 0, pairs planned so far or 0) -> None: before each timed run the
# arm's label; an untimed step (a build, a checkout) says what it does, with 0s.
OnProgress = Callable[[str, int, int], None]


def order(pairs: int) -> str:
    """The balanced order of `pairs` pairs: AB, BA, AB, BA, ..."""
    return "".join("AB" if i % 2 == 0 else "BA" for i in range(pairs))


def compare(
    a: Arm,
    b: Arm,
    design: Design,
    *,
    on_run: OnProgress | None = None,
    on_prepared: Callable[[], None] | None = None,
    keep_on_stop: bool = False,
) -> Outcome:
    """Prepare both arms, run them in pairs and decide. Raises whatever an arm raises.
    `on_prepared` is called once both arms are ready, before the first timed run. With
    `keep_on_stop`, Ctrl-C or a stop signal after a complete pair ends the pairs there: the outcome
    of the pairs that finished, marked as stopped (a verdict must not rest on it)."""
    a.prepare()
    b.prepare()
    if on_prepared is not None:
        on_prepared()
    samples: dict[str, list[Sample]] = {"A": [], "B": []}
    arms = {"A": a, "B": b}
    planned = design.min_pairs
    done = 0
    try:
        while done < planned:
            for side in order(done + 1)[-2:]:
                if on_run is not None:
                    on_run(arms[side].label, done + 1, planned)
                samples[side].append(arms[side].run())
            done += 1
            more_allowed = done == planned and planned < design.max_pairs
            if more_allowed and _undecided(samples["A"], samples["B"], design):
                planned = min(design.max_pairs, planned + 2)
    except (KeyboardInterrupt, Stopped) as exc:
        if not keep_on_stop or not done:
            raise
        a_done, b_done = samples["A"][:done], samples["B"][:done]  # a half pair is no pair
        outcome = judge(a_done, b_done, design, a_label=a.label, b_label=b.label)
        if isinstance(exc, Stopped):
            return replace(outcome, stopped_code=exc.exit_code, stopped_by=f"stopped by {exc}")
        return replace(outcome, stopped_code=int(ExitCode.INTERRUPTED), stopped_by="interrupted")
    return judge(samples["A"], samples["B"], design, a_label=a.label, b_label=b.label)


def judge(
    a: Sequence[Sample],
    b: Sequence[Sample],
    design: Design,
    *,
    a_label: str = "A",
    b_label: str = "B",
) -> Outcome:
    """The outcome of samples taken in pairs: a[i] and b[i] are pair i. Pure."""
    if len(a) != len(b) or not a:
        raise ValueError("judge needs the same number of A and B samples, at least one")
    metrics: list[MetricResult] = []
    names = [m for m in a[0].values if all(m in s.values for s in (*a, *b))]
    for name in names:
        xs = tuple(s.values[name] for s in a)
        ys = tuple(s.values[name] for s in b)
        threshold = design.thresholds.get(name)
        if threshold is None:
            interval = stats.interval(xs, ys, design.confidence)
            metrics.append(MetricResult(name, xs, ys, interval, SHOWN, None, design.unjudged))
            continue
        verdict, interval = stats.verdict(
            xs, ys, threshold, final=True, confidence=design.confidence
        )
        metrics.append(MetricResult(name, xs, ys, interval, verdict, threshold))
    per_test = all(s.per_test for s in (*a, *b))
    before, after = (_times(a), _times(b)) if per_test else ({}, {})
    changes = stats.test_changes(
        before, after, before_outcomes=_outcomes(a), after_outcomes=_outcomes(b)
    )
    extremes = {t: (max(before[t]), min(after[t])) for t in before if after.get(t) and before[t]}
    notes = []
    if not per_test:
        notes.append(
            "the test runner gives no per-test times (cargo test): tests are compared by their "
            "outcomes only; install cargo-nextest for per-test regressions"
        )
    return Outcome(
        a_label=a_label,
        b_label=b_label,
        order=order(len(a)),
        metrics=tuple(metrics),
        tests=tuple(changes),
        per_test=per_test,
        notes=tuple(notes),
        test_extremes=extremes,
        failing=tuple(sorted(t for t, seen in _outcomes(b).items() if "failed" in seen)),
    )


def _undecided(a: Sequence[Sample], b: Sequence[Sample], design: Design) -> bool:
    for name, threshold in design.thresholds.items():
        if not all(name in s.values for s in (*a, *b)):
            continue
        xs = [s.values[name] for s in a]
        ys = [s.values[name] for s in b]
        found, _ = stats.verdict(xs, ys, threshold, final=False, confidence=design.confidence)
        if found == stats.UNDECIDED:
            return True
    return False


def _times(samples: Sequence[Sample]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for s in samples:
        for test, seconds in s.test_times.items():
            out.setdefault(test, []).append(seconds)
    return out


def _outcomes(samples: Sequence[Sample]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in samples:
        for test, outcome in s.test_outcomes.items():
            out.setdefault(test, set()).add(outcome)
    return out
