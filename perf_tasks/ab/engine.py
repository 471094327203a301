"""Run two arms in interleaved pairs and judge every metric by its pair ratios B/A.

The order is balanced: pairs alternate A-then-B and B-then-A (A B B A A B ...), so that whatever
the first run of a pair gains or loses (a warm cache, a neighbour's job starting) falls on both
arms equally. A strict A B A B order would build that bias into every ratio.

Screen, then confirm. The first pair measures everything, and screens it (`screen`) with a
lenient threshold, half the verdict's: a figure whose one ratio lies within it, and a test that is
not even 1.25x slower there, are cleared, as the screen measured them. Only what is left in doubt
is measured again (`Scope`): the phases of the figures in doubt, and of the tests, only the
suspects (the arm runs them alone, by a filterset). A caller that screened already (against a
stored record) passes what is in doubt as `start`; the arms then run it once, untimed, first.

Each figure in doubt takes `min_pairs` (6: the fewest for a 95% interval), then pairs two at a time
while its interval still straddles 1 + delta, up to `max_pairs`; a figure leaves the pairs as soon
as it is decided, or sooner, settled, once no pairs to come could make it a regression or an
improvement (`stats.out_of_reach`), and a suspect test as soon as the per-test rule clears it.
`max_seconds` bounds the pairs: what is still in doubt then is reported undecided, never a
regression.
The arms know what they measure (`Arm`); the engine only orders, pairs and decides, so experiments
(Cargo profiles, test runners, compile caches) reuse it as they are.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from perf_tasks.ab import stats
from perf_tasks.ab.stats import Interval, TestChange, Threshold
from perf_tasks.errors import ExitCode
from perf_tasks.proc import Stopped
from perf_tasks.quantities import format_seconds, plural

DEFAULT_MAX_PAIRS = 12


@dataclass(frozen=True)
class Sample:
    """What one run of an arm measured."""

    values: Mapping[str, float]  # metric -> value ("tests.wall_s" -> 1.52)
    test_times: Mapping[str, float] = field(default_factory=dict)  # test id -> seconds
    test_outcomes: Mapping[str, str] = field(default_factory=dict)  # test id -> outcome
    per_test: bool = False  # whether the runner gave per-test times (nextest does, cargo test not)


TESTS_PHASE = "tests"  # the phase whose runs `Scope.tests` narrows
# More suspects than this run as the whole suite: a slowdown that broad is the suite's, and a
# filterset naming thousands of tests costs more to parse than it saves.
MOST_TESTS_ALONE = 500


@dataclass(frozen=True)
class Scope:
    """What a run measures: the phases (a metric's phase is its name less the last part,
    `tests.doc.wall_s` -> `tests.doc`), and of the tests phase, which tests. None: all of them."""

    phases: frozenset[str] | None = None
    tests: frozenset[str] | None = None

    def measures(self, phase: str) -> bool:
        return self.phases is None or phase in self.phases

    @property
    def whole(self) -> bool:
        return self.phases is None and self.tests is None

    def as_json(self) -> dict[str, Any]:
        return {
            "phases": None if self.phases is None else sorted(self.phases),
            "tests": None if self.tests is None else sorted(self.tests),
        }


EVERYTHING = Scope()


def phase_of(metric: str) -> str:
    return metric.rpartition(".")[0] or metric


class Arm(Protocol):
    """One side of the comparison. `prepare` runs once, untimed, before the first pair (it builds
    what the timed runs need); `run` measures once, at least what `scope` names (an arm that
    cannot narrow its runs measures everything)."""

    label: str

    def prepare(self) -> None: ...

    def run(self, scope: Scope = EVERYTHING) -> Sample: ...


@dataclass(frozen=True)
class Design:
    thresholds: Mapping[str, Threshold]  # the metrics that decide; others are only shown
    min_pairs: int = stats.MIN_PAIRS
    # Why a metric without a threshold is only shown: every row of the table says it.
    unjudged: str = "the comparison decides on other metrics"
    max_pairs: int = DEFAULT_MAX_PAIRS
    confidence: float = stats.CONFIDENCE
    # Screen with the first pair and confirm only what is in doubt; False: every pair measures
    # everything (the way to see what screening saves).
    screen: bool = True
    # The time the timed runs may take, from the first: the screen always runs; no pair starts
    # that would end past it (by the last pair's time). None: no bound.
    max_seconds: float | None = None
    # Metrics the screen never clears: a gate's row judges them on an interval, so they are
    # always paired.
    always: frozenset[str] = frozenset()
    # When a test got slower (a gate's `tests.each` row may tighten it), and tests the screen
    # never clears: a gate's row names each of them.
    test_rule: stats.PerTestRule = stats.PER_TEST
    always_tests: frozenset[str] = frozenset()

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
    screened: bool = False  # cleared by the screen: its figures are the screening pair's
    # decided before `min_pairs`: no more pairs could have made it a regression or an improvement
    settled: bool = False

    @property
    def decides(self) -> bool:
        return self.threshold is not None

    @property
    def pairs(self) -> int:
        return len(self.a)

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
            "screened": self.screened,
            "settled": self.settled,
            "pairs": self.pairs,
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
    # What each pair measured, in order: its phases (None: all) and how many tests each run ran
    # (None: the runner does not say).
    pair_scopes: tuple[Scope, ...] = ()
    pair_tests: tuple[int | None, ...] = ()
    elapsed_s: float | None = None  # the pairs' wall time, screen included
    out_of_time: bool = False  # `max_seconds` ended the pairs with figures still in doubt

    @property
    def pairs(self) -> int:
        return len(self.order) // 2

    @property
    def undecided(self) -> tuple[str, ...]:
        """The metrics, and `test:<id>` the tests, still in doubt when the time ran out."""
        found = [m.metric for m in self.metrics if m.verdict == stats.UNDECIDED]
        return (*found, *(f"test:{t.id}" for t in self.tests if t.change == stats.UNDECIDED))

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
            "undecided": list(self.undecided),
            "out_of_time": self.out_of_time,
            "each_pair": [
                {**scope.as_json(), "tests_run": tests}
                for scope, tests in zip(self.pair_scopes, self.pair_tests, strict=False)
            ],
            "elapsed_s": None if self.elapsed_s is None else round(self.elapsed_s, 3),
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


@dataclass(frozen=True)
class Pair:
    """One pair as it ran: what it measured, and each arm's sample."""

    scope: Scope
    a: Sample
    b: Sample
    # The deciding metrics it counts for: those in doubt when it ran (None: every one).
    counts: frozenset[str] | None = None

    def counts_for(self, metric: str) -> bool:
        if metric not in self.a.values or metric not in self.b.values:
            return False
        if self.counts is None or metric in self.counts:
            return True
        # A metric that only is shown counts where its phase ran whole.
        phase = phase_of(metric)
        narrowed = phase == TESTS_PHASE and self.scope.tests is not None
        return self.scope.phases is not None and phase in self.scope.phases and not narrowed

    @property
    def tests_run(self) -> int | None:
        if not self.scope.measures(TESTS_PHASE):
            return None
        runs = [len(s.test_times) for s in (self.a, self.b) if s.per_test]
        return max(runs) if runs else None


@dataclass(frozen=True)
class Doubt:
    """What is still to decide: deciding metrics, and tests suspected of being slower."""

    metrics: frozenset[str]
    tests: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.metrics or self.tests)

    def scope(self) -> Scope:
        """What a run must measure to decide it: the metrics' phases; of the tests, only the
        suspects unless a figure of the whole test run is in doubt, or they are too many to
        name in one filterset."""
        phases = {phase_of(m) for m in self.metrics}
        whole_tests = TESTS_PHASE in phases or len(self.tests) > MOST_TESTS_ALONE
        if self.tests:
            phases.add(TESTS_PHASE)
        return Scope(frozenset(phases), self.tests if self.tests and not whole_tests else None)


def screen(a: Sample, b: Sample, design: Design) -> Doubt:
    """What one pair leaves in doubt, by the lenient screening rules (`stats.cleared`,
    `stats.suspect_test`). Pure."""
    metrics = {
        m
        for m, threshold in design.thresholds.items()
        if m in a.values
        and m in b.values
        and (m in design.always or not stats.cleared(a.values[m], b.values[m], threshold))
    }
    tests: set[str] = set()
    if a.per_test and b.per_test:
        tests = {
            t
            for t, after in b.test_times.items()
            if t in a.test_times
            and (t in design.always_tests or design.test_rule.suspect(a.test_times[t], after))
        }
    return Doubt(frozenset(metrics), frozenset(tests))


def compare(
    a: Arm,
    b: Arm,
    design: Design,
    *,
    start: Doubt | None = None,
    on_run: OnProgress | None = None,
    on_prepared: Callable[[], None] | None = None,
    keep_on_stop: bool = False,
) -> Outcome:
    """Prepare both arms, screen, run the pairs of what is in doubt and decide. Raises whatever an
    arm raises. `start`: what a screen made elsewhere left in doubt (the engine then runs no screen
    of its own; each arm runs it once, untimed, to warm up). `on_prepared` is called once both arms
    are ready, before the first timed run. With `keep_on_stop`, Ctrl-C or a stop signal after a
    complete pair ends the pairs there: the outcome of the pairs that finished, marked as stopped
    (a verdict must not rest on it)."""
    if start is not None and not start:
        raise ValueError("a screen made elsewhere left nothing in doubt: there is nothing to pair")
    a.prepare()
    b.prepare()
    if on_prepared is not None:
        on_prepared()
    report = on_run or (lambda what, i, n: None)
    arms = {"A": a, "B": b}
    pairs: list[Pair] = []
    screened: frozenset[str] = frozenset()
    doubt = start
    planned = design.min_pairs
    started = time.monotonic()
    pair_s: float | None = None
    out_of_time = False

    def run_pair(scope: Scope, counts: frozenset[str] | None, planned: int) -> float:
        taken: dict[str, Sample] = {}
        began = time.monotonic()
        for side in order(len(pairs) + 1)[-2:]:
            report(arms[side].label, len(pairs) + 1, planned)
            taken[side] = arms[side].run(scope)
        pairs.append(Pair(scope, taken["A"], taken["B"], counts))
        return time.monotonic() - began

    try:
        if doubt is not None and doubt:
            began = time.monotonic()
            for arm in (a, b):
                report(f"{arm.label}: one untimed run of what is in doubt (warm-up)", 0, 0)
                arm.run(doubt.scope())
            pair_s = time.monotonic() - began
            report(_cost(doubt, pair_s, design), 0, 0)
        elif doubt is None and design.screen:
            report("screening: one run of each arm measures every figure and every test", 0, 0)
            pair_s = run_pair(EVERYTHING, None, 1)
            doubt = screen(pairs[0].a, pairs[0].b, design)
            screened = frozenset(design.thresholds) - doubt.metrics
            report(_screen_said(pairs[0], doubt, design), 0, 0)
            if doubt:  # a phase without a wall time (an arm of an experiment): the whole pair
                pair_s = _estimate(pairs[0], doubt) or pair_s
                report(_cost(doubt, pair_s, design), 0, 0)
        elif doubt is None:
            for arm in (a, b):  # the pairs then measure everything: warm everything up once
                report(f"{arm.label}: one untimed run of everything (warm-up)", 0, 0)
                arm.run(EVERYTHING)
            doubt = Doubt(frozenset(design.thresholds))
        while doubt and len(pairs) < planned:
            if _out_of_time(design, started, pair_s):
                out_of_time = True
                break
            whole = not design.screen and start is None
            scope = EVERYTHING if whole else doubt.scope()
            pair_s = run_pair(scope, None if whole else doubt.metrics, planned)
            doubt = _still_in_doubt(pairs, doubt, design, at_check=len(pairs) >= planned)
            if doubt and len(pairs) == planned and planned < design.max_pairs:
                planned = min(design.max_pairs, planned + 2)
    except (KeyboardInterrupt, Stopped) as exc:
        if not keep_on_stop or not pairs:
            raise
        outcome = judge_pairs(pairs, design, a_label=a.label, b_label=b.label, screened=screened)
        if isinstance(exc, Stopped):
            return replace(outcome, stopped_code=exc.exit_code, stopped_by=f"stopped by {exc}")
        return replace(outcome, stopped_code=int(ExitCode.INTERRUPTED), stopped_by="interrupted")
    left = doubt if out_of_time and doubt is not None else Doubt(frozenset())
    outcome = judge_pairs(
        pairs,
        design,
        a_label=a.label,
        b_label=b.label,
        screened=screened,
        undecided=left.metrics,
        undecided_tests=left.tests,
    )
    notes = list(outcome.notes)
    if out_of_time:
        named = sorted(left.metrics) + [f"test:{t}" for t in sorted(left.tests)]
        notes.append(
            "the time allowed ran out before every figure was decided: "
            + ", ".join(named)
            + " stayed undecided (not counted as regressions)"
        )
    return replace(
        outcome,
        elapsed_s=time.monotonic() - started,
        out_of_time=out_of_time,
        notes=tuple(notes),
    )


def _still_in_doubt(
    pairs: Sequence[Pair], doubt: Doubt, design: Design, *, at_check: bool
) -> Doubt:
    """`doubt` less what the pairs so far decided: a metric as soon as no more pairs could make it
    a regression or an improvement (`stats.out_of_reach`), or at a check (6 pairs, then every
    second one) never before `min_pairs`; a suspect test once the per-test rule clears it (more
    runs never make a test look slower), or once `min_pairs` runs still find it slower."""
    metrics = set(doubt.metrics)
    for m in doubt.metrics:
        xs, ys = _series(pairs, m)
        if _settled(xs, ys, m, design):
            metrics.discard(m)
            continue
        if at_check and len(xs) >= design.min_pairs:
            found, _ = stats.verdict(
                xs, ys, design.thresholds[m], final=False, confidence=design.confidence
            )
            if found != stats.UNDECIDED:
                metrics.discard(m)
    before, after = _times([p.a for p in pairs]), _times([p.b for p in pairs])
    tests = set()
    for t in doubt.tests:
        old, new = before.get(t, []), after.get(t, [])
        always = t in design.always_tests
        if not old or not new or not (always or design.test_rule.slower(max(old), min(new))):
            continue
        if min(len(old), len(new)) < design.min_pairs:
            tests.add(t)
    return Doubt(frozenset(metrics), frozenset(tests))


def _settled(xs: Sequence[float], ys: Sequence[float], metric: str, design: Design) -> bool:
    """Whether a figure's pairs so far settle it: no more could change its verdict. Not without
    the screen: `--no-screen` is the comparison as it was, every figure to its check."""
    return (
        design.screen
        and bool(xs)
        and stats.out_of_reach(
            xs,
            ys,
            design.thresholds[metric],
            max_pairs=design.max_pairs,
            confidence=design.confidence,
        )
    )


def _out_of_time(design: Design, started: float, pair_s: float | None) -> bool:
    if design.max_seconds is None:
        return False
    expected = pair_s or 0.0
    return time.monotonic() - started + expected > design.max_seconds


def _estimate(screen_pair: Pair, doubt: Doubt) -> float:
    """How long a pair of what is in doubt should take, from the screening pair's wall times: a
    phase run whole as it took; the suspect tests alone as their own times, plus a second of the
    runner's start. Pure."""
    total = 0.0
    scope = doubt.scope()
    for sample in (screen_pair.a, screen_pair.b):
        for phase in scope.phases or ():
            whole = sample.values.get(f"{phase}.wall_s", 0.0)
            if phase == TESTS_PHASE and scope.tests is not None:
                alone = sum(sample.test_times.get(t, 0.0) for t in scope.tests) + 1.0
                total += min(whole, alone) if whole else alone
            else:
                total += whole
    return total


def _screen_said(screen_pair: Pair, doubt: Doubt, design: Design) -> str:
    cleared = [m for m in design.thresholds if m in screen_pair.a.values and m not in doubt.metrics]
    tests = screen_pair.tests_run
    ran = "" if tests is None else f" ({plural(tests, 'test')} a run)"
    said = f"screen{ran}: {plural(len(cleared), 'figure')} cleared"
    if doubt.metrics:
        said += f"; in doubt: {', '.join(sorted(doubt.metrics))}"
    if doubt.tests:
        named = ", ".join(sorted(doubt.tests)[:5]) + (", ..." if len(doubt.tests) > 5 else "")
        said += f"; {plural(len(doubt.tests), 'suspect test')}: {named}"
    return said if doubt else said + "; nothing in doubt, no more pairs"


def _cost(doubt: Doubt, pair_s: float, design: Design) -> str:
    """What the pairs will run, and about how long they take. Pure."""
    scope = doubt.scope()
    runs = []
    for phase in sorted(scope.phases or ()):
        if phase == TESTS_PHASE and scope.tests is not None:
            runs.append(f"tests ({plural(len(scope.tests), 'suspect test')} alone)")
        else:
            runs.append(phase)
    low, high = design.min_pairs * pair_s, design.max_pairs * pair_s
    upto = f", up to {format_seconds(high)} for {design.max_pairs}" if high > low else ""
    bound = (
        f"; --max-minutes stops it at {format_seconds(design.max_seconds)}"
        if design.max_seconds is not None
        else ""
    )
    return (
        f"confirming in pairs, each run measuring {', '.join(runs)}: about "
        f"{format_seconds(pair_s)} a pair, {format_seconds(low)} for {design.min_pairs}"
        f"{upto}{bound}"
    )


def judge(
    a: Sequence[Sample],
    b: Sequence[Sample],
    design: Design,
    *,
    a_label: str = "A",
    b_label: str = "B",
) -> Outcome:
    """The outcome of samples taken in pairs, each measuring everything: a[i] and b[i] are pair
    i. Pure."""
    if len(a) != len(b) or not a:
        raise ValueError("judge needs the same number of A and B samples, at least one")
    pairs = [Pair(EVERYTHING, x, y) for x, y in zip(a, b, strict=True)]
    return judge_pairs(pairs, design, a_label=a_label, b_label=b_label)


def judge_pairs(
    pairs: Sequence[Pair],
    design: Design,
    *,
    a_label: str = "A",
    b_label: str = "B",
    screened: frozenset[str] = frozenset(),
    undecided: frozenset[str] = frozenset(),
    undecided_tests: frozenset[str] = frozenset(),
) -> Outcome:
    """The outcome of the pairs: each metric over the pairs that count for it. `screened`: the
    deciding metrics the screen cleared; `undecided`, `undecided_tests`: the metrics and suspect
    tests still in doubt when time ran out (a test slower in fewer runs than `min_pairs` is not
    yet a regression). Pure."""
    if not pairs:
        raise ValueError("judge needs at least one pair")
    metrics: list[MetricResult] = []
    names = [m for m in pairs[0].a.values if m in pairs[0].b.values]
    for name in names:
        xs, ys = _series(pairs, name)
        if not xs:  # measured only alongside what was in doubt: not a figure of its own
            continue
        threshold = design.thresholds.get(name)
        if threshold is None:
            interval = stats.interval(xs, ys, design.confidence)
            metrics.append(MetricResult(name, xs, ys, interval, SHOWN, None, design.unjudged))
            continue
        if name in screened:
            interval = stats.interval(xs, ys, design.confidence)
            metrics.append(
                MetricResult(name, xs, ys, interval, stats.SAME, threshold, screened=True)
            )
            continue
        if name not in undecided and len(xs) < design.min_pairs and _settled(xs, ys, name, design):
            interval = stats.interval(xs, ys, design.confidence)
            metrics.append(
                MetricResult(name, xs, ys, interval, stats.SAME, threshold, settled=True)
            )
            continue
        verdict, interval = stats.verdict(
            xs, ys, threshold, final=name not in undecided, confidence=design.confidence
        )
        if name in undecided and verdict != stats.REGRESSION:
            verdict = stats.UNDECIDED
        metrics.append(MetricResult(name, xs, ys, interval, verdict, threshold))
    samples_a, samples_b = [p.a for p in pairs], [p.b for p in pairs]
    per_test = all(s.per_test for s in (*samples_a, *samples_b))
    before, after = (_times(samples_a), _times(samples_b)) if per_test else ({}, {})
    changes = [
        replace(c, change=stats.UNDECIDED)
        if c.change == stats.REGRESSION and c.id in undecided_tests
        else c
        for c in stats.test_changes(
            before,
            after,
            before_outcomes=_outcomes(samples_a),
            after_outcomes=_outcomes(samples_b),
            rule=design.test_rule,
        )
    ]
    extremes = {t: (max(before[t]), min(after[t])) for t in before if after.get(t) and before[t]}
    # A test still in doubt that no rule flags (a gate's row names it): undecided all the same.
    flagged = {c.id for c in changes}
    changes += [
        TestChange(t, stats.UNDECIDED, *extremes[t])
        for t in sorted(undecided_tests - flagged)
        if t in extremes
    ]
    notes = []
    if not per_test:
        notes.append(
            "the test runner gives no per-test times (cargo test): tests are compared by their "
            "outcomes only; install cargo-nextest for per-test regressions"
        )
    if any(m.settled for m in metrics):
        notes.append(
            f"settled: a figure marked so left the pairs before {design.min_pairs}, once no more "
            f"pairs (up to {design.max_pairs}) could have made it a regression or an improvement"
        )
    if screened:
        notes.append(
            "screened: a figure marked so was cleared by the first pair alone (its ratio under "
            "half the slowdown threshold, and not past the improvement one), and a test not 1.25x "
            "slower there was not run again"
        )
    return Outcome(
        a_label=a_label,
        b_label=b_label,
        order=order(len(pairs)),
        metrics=tuple(metrics),
        tests=tuple(changes),
        per_test=per_test,
        notes=tuple(notes),
        test_extremes=extremes,
        failing=tuple(sorted(t for t, seen in _outcomes(samples_b).items() if "failed" in seen)),
        pair_scopes=tuple(p.scope for p in pairs),
        pair_tests=tuple(p.tests_run for p in pairs),
    )


def _series(pairs: Sequence[Pair], metric: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    counted = [p for p in pairs if p.counts_for(metric)]
    return (
        tuple(p.a.values[metric] for p in counted),
        tuple(p.b.values[metric] for p in counted),
    )


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
