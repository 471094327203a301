"""Before a comparison against a stored record fails, confirm its time regressions now.

A record may come from another time (or machine): a time that looks worse may be the machine.
When the record's git revision is in the repository, the suspected phases are measured again,
same-time A/B, the work tree against that revision (`against.compare_against`). A time
regression then counts only when the A/B confirms it in the same phase; a slower test only when
the A/B finds it slower too. Sizes and counts are exact and need no confirmation.

Without the revision (not fetched, or the record was measured on uncommitted changes), nothing
can be confirmed: the record comparison's verdicts stand, and a note says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from perf_tasks.ab import revision_arms as arms
from perf_tasks.ab import stats, worktree
from perf_tasks.ab.against import Request, compare_against
from perf_tasks.ab.engine import Doubt, OnProgress, Outcome, phase_of
from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError, ExitCode
from perf_tasks.measure.comparison import TIME, Comparison
from perf_tasks.measure.schema import Record

# The A/B phase that confirms a record's phase: a rebuild of one crate for the warm and
# incremental builds; a cold build only by cold builds (a slower build script or dependency shows
# in nothing else).
PHASES = {
    "build": arms.BUILD,
    "build.incremental": arms.BUILD,
    "build.cold": arms.COLD,
    "tests": arms.TESTS,
    "tests.doc": arms.DOC,
}


@dataclass(frozen=True)
class Confirmed:
    comparison: Comparison  # with unconfirmed time regressions no longer counting
    outcome: Outcome | None  # the A/B, when one ran

    @property
    def exit_code(self) -> ExitCode:
        return self.comparison.exit_code


def suspected_phases(comparison: Comparison) -> set[str]:
    """The A/B phases that would confirm the comparison's time regressions and slower tests."""
    phases = {PHASES[r.group] for r in comparison.regressions if r.kind == TIME}
    if comparison.slower_tests:
        phases.add(arms.TESTS)
    return {p for p in phases if p}


def in_doubt(comparison: Comparison) -> Doubt:
    """What the record comparison, the screen here, leaves to the A/B: the figures of the phases
    whose times regressed, and the slower tests alone (a slower test re-runs itself, not the
    suite). Pure."""
    phases = {PHASES[r.group] for r in comparison.regressions if r.kind == TIME} - {None}
    metrics = frozenset(m for m in arms.THRESHOLDS if phase_of(m) in phases)
    return Doubt(metrics, frozenset(t.id for t in comparison.slower_tests))


def confirm(
    context: RunContext,
    comparison: Comparison,
    reference: Record,
    *,
    max_pairs: int,
    timeout_s: float | None = None,
    max_seconds: float | None = None,
    screen: bool = True,
    on_progress: OnProgress | None = None,
) -> Confirmed:
    """The comparison with its time regressions confirmed by a same-time A/B, or not. The record
    comparison is the screen: the A/B pairs only what it suspects; without `screen`, every pair
    measures every figure of the suspected phases, the whole suite included."""
    phases = suspected_phases(comparison)
    if not phases:
        return Confirmed(comparison, None)
    git = reference.environment.git
    why_not = None
    if git is None or not git.commit:
        why_not = "the record names no git revision"
    elif git.dirty:
        why_not = (
            f"the record was measured on uncommitted changes to {git.commit[:10]}, so that "
            "revision is not the code it measured"
        )
    else:
        try:
            worktree.resolve(context.root, git.commit, env=context.env)
        except ConfigError:
            why_not = f"its revision {git.commit[:10]} is not in this repository (fetch it)"
    if why_not is not None:
        note = f"not confirmed by a same-time A/B: {why_not}; the record comparison stands"
        return Confirmed(replace(comparison, notes=(*comparison.notes, note)), None)
    assert git is not None and git.commit
    cold = reference.build.cold if reference.build else None
    request = Request(
        ref=git.commit,
        max_pairs=max_pairs,
        timeout_s=timeout_s,
        cold=arms.COLD in phases,
        cold_hint_s=cold.wall_s.median if cold is not None and cold.wall_s else None,
        only=tuple(m for m in arms.THRESHOLDS if phase_of(m) in phases),
        start=in_doubt(comparison) if screen else None,
        screen=False,
        max_seconds=max_seconds,
    )
    outcome = compare_against(context, request, on_progress=on_progress)
    return Confirmed(settle(comparison, outcome), outcome)


def settle(comparison: Comparison, outcome: Outcome) -> Comparison:
    """The comparison with each time regression and slower test counting only when the A/B
    confirmed it. Pure."""
    confirmed_phases = {
        m.metric.rsplit(".", 1)[0]
        for m in outcome.metrics
        if m.verdict == stats.REGRESSION and m.decides
    }
    # Only a figure the A/B measured can clear a suspicion: one it did not time stands.
    measured_phases = {m.metric.rsplit(".", 1)[0] for m in outcome.metrics if m.decides}
    slower = {t.id for t in outcome.tests if t.change == stats.REGRESSION}
    rows = []
    dropped = []
    unmeasured = []
    for row in comparison.rows:
        phase = PHASES.get(row.group)
        if row in comparison.regressions and row.kind == TIME:
            if phase not in measured_phases:
                unmeasured.append(row.metric)
            elif phase not in confirmed_phases:
                dropped.append(f"{row.metric} (measured as {phase})")
                row = replace(row, counts=False)
        rows.append(row)
    tests = []
    for test in comparison.tests:
        if test.counts and test.id not in slower:
            dropped.append(f"test:{test.id}")
            test = replace(test, counts=False)
        tests.append(test)
    notes = list(comparison.notes)
    if unmeasured:
        notes.append(
            f"the same-time A/B against {outcome.a_label} did not measure "
            + ", ".join(unmeasured)
            + ": the record comparison's verdict stands"
        )
    if dropped:
        notes.append(
            f"not confirmed by the same-time A/B against {outcome.a_label}, so not counted: "
            + ", ".join(dropped)
        )
    kept = [r.metric for r in rows if r.counts and r.kind == TIME and r.verdict == "regression"]
    kept += [f"test:{t.id}" for t in tests if t.counts]
    if kept:
        notes.append(
            f"confirmed by the same-time A/B against {outcome.a_label}: " + ", ".join(kept)
        )
    return replace(comparison, rows=tuple(rows), tests=tuple(tests), notes=tuple(notes))
