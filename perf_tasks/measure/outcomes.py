"""What a record's test outcomes say, whatever else was measured: a failing, flaky or newly
ignored test is never a pass. Pure: records in, problems out.

`gate`, `monitor` and `baseline.compare` all ask here, so that none of them can let a broken
suite through on the strength of its times: a test that panics at once is fast.

- failed: a test failed in any run (`failed` > 0, named from the record's `failing`), or the
  record says `ok: false`;
- flaky: a test whose outcome was not the same in every run (`varied`), or that passed only after
  a retry (`flaky` > 0); with a base record, only a test that was not flaky in the base already;
- newly ignored: more tests marked `#[ignore]` than in the base (a base is needed to say "newly").
"""

from __future__ import annotations

from dataclasses import dataclass

from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.schema import Record, Timed

FAILED = "failed"
FLAKY = "flaky"
NEWLY_IGNORED = "newly ignored"

OUTCOMES_METRIC = "tests.outcomes"  # how a gate report and a comparison name this verdict
_SHOWN = 3  # tests named on one line; the rest are counted


@dataclass(frozen=True)
class Problem:
    phase: str  # "tests" or "tests.doc"
    kind: str  # FAILED, FLAKY or NEWLY_IGNORED
    count: int
    tests: tuple[str, ...]  # the tests, as the record names them; may be fewer than `count`

    def line(self) -> str:
        """`tests: 1 failed: demo-core::core_api checksum_detects_a_single_byte_change`."""
        named = ", ".join(self.tests[:_SHOWN])
        if len(self.tests) > _SHOWN:
            named += f" and {len(self.tests) - _SHOWN} more"
        if not named:
            named = "(the record does not name them)"
        return f"{self.phase}: {self.count} {self.kind}: {named}"


def problems(record: Record, base: Record | None = None) -> tuple[Problem, ...]:
    """Every outcome of `record` that must fail a verdict; `base`, when given, is what "newly"
    and "already flaky" are judged against."""
    found: list[Problem] = []
    for name in (PhaseName.TESTS, PhaseName.TESTS_DOC):
        phase = record.phase(name)
        if phase is None:
            continue
        before = base.phase(name) if base is not None else None
        gone = _untimed_now(record, base) if name == PhaseName.TESTS else ()
        found += _of_phase(name.value, phase, before, gone)
    if record.ok is False and not any(p.kind == FAILED for p in found):
        found.append(Problem(PhaseName.TESTS.value, FAILED, 1, ("the record says ok: false",)))
    return tuple(found)


def _untimed_now(record: Record, base: Record | None) -> tuple[str, ...]:
    """Tests the base timed and `record` did not: which ones a rise in `ignored` names."""
    if base is None or base.tests is None or record.tests is None:
        return ()
    now = record.tests.durations
    return tuple(
        f"{binary} {name}"
        for binary, tests in sorted(base.tests.durations.items())
        for name in sorted(tests)
        if name not in now.get(binary, {})
    )


def _of_phase(
    phase_name: str, phase: Timed, before: Timed | None, gone: tuple[str, ...]
) -> list[Problem]:
    found = []
    counts = phase.counts
    failed = (counts.failed if counts else None) or 0
    if failed or phase.failing:
        found.append(Problem(phase_name, FAILED, max(failed, len(phase.failing)), phase.failing))
    flaky_before = set(before.varied) if before is not None else set()
    varied = tuple(t for t in phase.varied if t not in flaky_before)
    retried = (counts.flaky if counts else None) or 0
    retried_before = (before.counts.flaky if before and before.counts else None) or 0
    if varied or retried > retried_before:
        found.append(Problem(phase_name, FLAKY, max(len(varied), retried - retried_before), varied))
    if before is not None and before.counts is not None and counts is not None:
        now, then = counts.ignored, before.counts.ignored
        if now is not None and then is not None and now > then:
            found.append(Problem(phase_name, NEWLY_IGNORED, now - then, gone))
    return found
