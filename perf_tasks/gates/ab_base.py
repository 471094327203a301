"""The base of `gate --against REF`: the same-time A/B measurement of a git revision.

The engine lives in `perf_tasks/ab/` (being built). This module is the one place the gates meet
it: `against` (a stub until the engine lands) and the shape of its result, as read-only
Protocols, so that gate evaluation (`gates/check.py`) works with the engine's own dataclasses.
The frozen dataclasses below have that shape; tests build A/B results from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from perf_tasks.errors import UsageError


class IntervalLike(Protocol):
    """A distribution-free confidence interval of the median of pairwise ratios B/A."""

    @property
    def median(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def confidence(self) -> float: ...
    @property
    def pairs(self) -> int: ...


class MetricVerdictLike(Protocol):
    @property
    def metric(self) -> str: ...  # a record path: "tests.wall_s", "build.incremental.cpu_s"
    @property
    def a(self) -> Sequence[float]: ...  # samples of the base revision
    @property
    def b(self) -> Sequence[float]: ...  # samples of the work tree
    @property
    def ratio(self) -> IntervalLike: ...


class TestVerdictLike(Protocol):
    @property
    def id(self) -> str: ...  # "<binary-id> <test-name>"
    @property
    def before_max_s(self) -> float | None: ...
    @property
    def after_min_s(self) -> float | None: ...


class ABResultLike(Protocol):
    @property
    def metrics(self) -> Sequence[MetricVerdictLike]: ...
    @property
    def tests(self) -> Sequence[TestVerdictLike]: ...
    @property
    def label(self) -> str: ...  # "main @ abc1234 vs the work tree", for tables


@dataclass(frozen=True)
class Interval:
    median: float
    low: float
    high: float
    confidence: float
    pairs: int


@dataclass(frozen=True)
class MetricVerdict:
    metric: str
    a: tuple[float, ...]
    b: tuple[float, ...]
    ratio: Interval
    delta: float
    verdict: str


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


class NotYet(UsageError):
    """`--against` before the A/B engine is wired in."""


def against(root: Path, ref: str, *, env: Mapping[str, str], runs: int | None) -> ABResultLike:
    """Measure `ref` and the work tree of `root` at the same time, pair by pair (perf_tasks/ab/).

    Not wired yet: the A/B engine replaces this body."""
    raise NotYet(
        f"--against {ref}: comparing with a git revision is not available yet (the A/B engine "
        "is being built); use --base FILE with a committed record of this machine meanwhile"
    )
