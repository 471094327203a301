"""`tests.runners`: which test runner is faster on this workspace, measured, and whether both see
the same tests with the same outcomes.

A is `cargo test`, B is `cargo nextest run`, both over the same test binaries (`--workspace
--tests`) in one scratch target dir, run in interleaved pairs by the same-time A/B engine. The
doctests run once, before the pairs: only `cargo test --doc` runs them, the same command whichever
runner one picks, so they add the same time to both and would only hide the difference.

The recommendation comes from the wall-time ratio nextest / cargo test and its 95% interval: a
runner is recommended only when the whole interval is past the threshold on its side (below
1 / (1 + delta): nextest; above 1 + delta: cargo test) and the median difference is above the
floor. Never when the runners disagree on a test's outcome: the differences are shown instead.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from perf_tasks.ab import engine, stats, worktree
from perf_tasks.ab.engine import Design, OnProgress, Outcome
from perf_tasks.ab.revision_arms import CONTROLLED, LEFT_OUT, arm_env
from perf_tasks.ab.stats import MIN_PAIRS, TestChange, Threshold
from perf_tasks.context import RunContext
from perf_tasks.errors import CommandFailed, ExitCode, ToolMissing, UsageError
from perf_tasks.inspection import Inspection, inspect
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.commands import JSON_FILE
from perf_tasks.measure.record import stored
from perf_tasks.measure.schema import Record
from perf_tasks.measure.shell import program_word, shell_line
from perf_tasks.measure.timing import run_once
from perf_tasks.progress import Progress
from perf_tasks.quantities import format_seconds
from perf_tasks.runlock import run_lock
from perf_tasks.runners import arms
from perf_tasks.runners.arms import CARGO_TEST, CPU, NEXTEST, WALL, Commands
from perf_tasks.verify import collect
from perf_tasks.verify.record import IGNORED, OUTCOMES, Entry

SLOT = "runners"  # the scratch target dir: target-runners/
# A runner wins only by more than 10% of wall time, and by more than 50 ms.
THRESHOLD = Threshold(delta=0.10, floor=0.05)
NO_CLEAR_WINNER = "no clear winner"
OUTCOMES_DIFFER = "outcomes differ"
STOPPED = "stopped"  # Ctrl-C or a stop signal: the complete pairs are reported, none recommended
NO_TESTS = "no tests"  # neither runner has a test to run: only their start-up would be compared


@dataclass(frozen=True)
class Request:
    max_pairs: int = engine.DEFAULT_MAX_PAIRS
    timeout_s: float | None = None
    dry_run: bool = False  # show every command it would run; run nothing

    def __post_init__(self) -> None:
        if self.max_pairs < MIN_PAIRS:
            raise UsageError(
                f"--max-pairs {self.max_pairs} is too few: a 95% interval needs at least "
                f"{MIN_PAIRS}"
            )

    @classmethod
    def of(cls, max_pairs: int | None, timeout_s: float | None, *, dry_run: bool) -> Request:
        """From the flags: no --max-pairs is the default; --timeout 0 is no limit."""
        pairs = engine.DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
        return cls(pairs, timeout_s or None, dry_run)


@dataclass(frozen=True)
class Plan:
    """What would run, for the dry run and the real one."""

    root: Path
    target: Path
    commands: Commands
    request: Request
    nextest: str  # its version
    estimate: str = ""  # how long it will take, when the workspace's record tells; or why not
    exit_code = 0  # a dry run: nothing ran, nothing failed

    def as_json(self) -> dict[str, Any]:
        c = self.commands
        return {
            "dry_run": True,
            "root": str(self.root),
            "target_dir": str(self.target),
            "before_the_pairs": [
                command_line(step)
                for step in (c.nextest_list, c.cargo_build, c.nextest_build, c.doc)
                if step is not None
            ],
            "a": {"runner": CARGO_TEST, "each_run": command_line(c.cargo_run)},
            "b": {"runner": NEXTEST, "each_run": command_line(c.nextest_run)},
            "min_pairs": MIN_PAIRS,
            "max_pairs": self.request.max_pairs,
            "threshold": {"metric": WALL, "delta": THRESHOLD.delta, "floor": THRESHOLD.floor},
            "estimate": self.estimate,
        }


def plan(
    root: Path,
    request: Request,
    *,
    env: Mapping[str, str],
    inspection: Inspection | None = None,
) -> tuple[Plan, Inspection]:
    """Resolve the commands; run nothing, write nothing. Needs cargo-nextest. `inspection`: the
    workspace's, when the caller has it already."""
    inspection = inspection or inspect(root, env=env)
    if inspection.nextest is None:
        raise ToolMissing(
            "cargo-nextest is not installed: tests.runners compares it with cargo test "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    target = worktree.Scratch.of(root, inspection.env).target(SLOT)
    cmds = arms.commands(
        inspection.cargo,
        inspection.nextest_program,
        target,
        has_doc=cargo_mod.has_doctests(inspection.metadata),
    )
    return Plan(root, target, cmds, request, inspection.nextest), inspection


@dataclass(frozen=True)
class Doctests:
    """The doctests, run once (`cargo test --doc`), the same under both runners."""

    tests: tuple[Entry, ...]
    wall_s: float
    cpu_s: float

    def totals(self) -> dict[str, int]:
        counts = Counter(t.outcome for t in self.tests)
        return {o: counts[o] for o in OUTCOMES}


@dataclass(frozen=True)
class Report:
    plan: Plan
    outcome: Outcome
    totals: Mapping[str, Mapping[str, int]]  # runner -> outcome -> tests, in the last run
    doctests: Doctests | None
    recommended: str | None  # CARGO_TEST, NEXTEST, or None
    verdict: str  # the recommended runner, NO_CLEAR_WINNER or OUTCOMES_DIFFER

    @property
    def differences(self) -> tuple[TestChange, ...]:
        return self.outcome.tests

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def exit_code(self) -> int:
        if self.outcome.stopped_code:  # what it measured is shown; the run still ends as stopped
            return self.outcome.stopped_code
        return ExitCode.OK if self.ok else ExitCode.INCOMPLETE

    def as_json(self) -> dict[str, Any]:
        wall, cpu = self.outcome.metric(WALL), self.outcome.metric(CPU)
        return {
            "schema_version": 1,
            "kind": "perf-tasks.tests-runners",
            "ok": self.ok,
            "root": str(self.plan.root),
            "recommended": self.recommended,
            "verdict": self.verdict,
            "runners": {
                CARGO_TEST: _runner_json(self.outcome.a_label, wall, cpu, "a", self.totals),
                NEXTEST: _runner_json(self.outcome.b_label, wall, cpu, "b", self.totals),
            },
            "doctests": None
            if self.doctests is None
            else {
                "totals": self.doctests.totals(),
                "wall_s": round(self.doctests.wall_s, 6),
                "cpu_s": round(self.doctests.cpu_s, 6),
            },
            "differences": [
                {"id": t.id, "change": _change(t), "cargo_test": t.before, "nextest": t.after}
                for t in self.differences
            ],
            "comparison": self.outcome.as_json(),
        }


def _runner_json(
    label: str,
    wall: engine.MetricResult | None,
    cpu: engine.MetricResult | None,
    side: str,
    totals: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    def median(m: engine.MetricResult | None) -> float | None:
        if m is None:
            return None
        values = sorted(m.a if side == "a" else m.b)
        n = len(values)
        return round((values[(n - 1) // 2] + values[n // 2]) / 2, 6)

    return {"wall_s": median(wall), "cpu_s": median(cpu), "totals": dict(totals.get(label, {}))}


def _change(t: TestChange) -> str:
    """A difference in the runners' words: a test only one of them ran, or another outcome."""
    if t.change == stats.DISAPPEARED:
        return "only under cargo test"
    if t.change == stats.APPEARED:
        return "only under nextest"
    return "different outcome"


def shared_note(env: Mapping[str, str]) -> str:
    """What both runners ran with, and what the user's environment said instead."""
    said = [f"{k}={env[k]!r}" for k in (*LEFT_OUT, *CONTROLLED) if env.get(k)]
    base = "both runners ran with CARGO_INCREMENTAL=0, one scratch target dir and no rustc wrapper"
    return base + (f" (your environment has {', '.join(said)})" if said else "")


def command_line(argv: tuple[str, ...]) -> str:
    """A command as typed: `cargo` by name, every word quoted as the shell needs."""
    return shlex.join([program_word(argv[0]), *argv[1:]])


def recommend(outcome: Outcome) -> tuple[str | None, str]:
    """The runner to use, from the wall-time verdict of nextest (B) against cargo test (A); none
    when the interval is inside the noise, or when the runners disagree on a test. Pure."""
    if outcome.tests:
        return None, OUTCOMES_DIFFER
    wall = outcome.metric(WALL)
    if wall is not None and wall.verdict == stats.IMPROVEMENT:
        return NEXTEST, NEXTEST
    if wall is not None and wall.verdict == stats.REGRESSION:
        return CARGO_TEST, CARGO_TEST
    return None, NO_CLEAR_WINNER


def estimate(record: Record | None, max_pairs: int) -> str:
    """How long the comparison takes, from the record's test run: each runner runs the suite
    once untimed and once per pair, the doctests once; one pair when its screen settles it, up
    to `max_pairs`. Pure."""
    tests = record.tests if record is not None else None
    wall = tests.run.wall_s if tests is not None and tests.run is not None else None
    if tests is None or wall is None:
        return "no estimate yet: the workspace has no baseline record with a test run"
    doc = tests.doc.wall_s.median if tests.doc is not None and tests.doc.wall_s else 0.0
    low = 2 * (1 + 1) * wall.median + doc
    high = 2 * (1 + max(max_pairs, MIN_PAIRS)) * wall.median + doc
    span = format_seconds(low) + ("" if high == low else f" to {format_seconds(high)}")
    return (
        f"about {span}: the baseline record's test run took {format_seconds(wall.median)} "
        f"with {tests.runner or 'its runner'}, and each runner runs the suite once per pair and "
        "once before them (the other runner taken to be as fast)"
    )


def run(context: RunContext, request: Request, *, progress: Progress) -> Plan | Report:
    """`tests.runners`, one call: the plan (a dry run), or the runners compared."""
    root, env = context.root, context.env
    the_plan = plan(root, request, env=env, inspection=context.inspection)[0]
    record = stored(context.root / context.settings.baseline.dir / JSON_FILE)
    the_plan = replace(the_plan, estimate=estimate(record, request.max_pairs))
    if request.dry_run:
        return the_plan
    if progress.on_pair is not None:
        progress.on_pair(f"estimate: {the_plan.estimate}", 0, 0)
    return compare_runners(
        root, request, env=env, on_progress=progress.on_pair, inspection=context.inspection
    )


def compare_runners(
    root: Path,
    request: Request,
    *,
    env: Mapping[str, str],
    on_progress: OnProgress | None = None,
    inspection: Inspection | None = None,
) -> Report:
    """Build once, run the doctests once, then cargo test and nextest in pairs; recommend."""
    the_plan, inspection = plan(root, request, env=env, inspection=inspection)
    report = on_progress or (lambda what, i, n: None)
    cmds, target = the_plan.commands, the_plan.target
    run_env = arm_env(inspection.env, target)
    timeout = request.timeout_s

    def on_step(label: str, what: str) -> None:
        report(f"{label}: {what}", 0, 0)

    with run_lock(root):
        worktree.Scratch.of(root, inspection.env).claim()
        arms.write_tool_config(target)
        report("build and list the tests (untimed)", 0, 0)
        listed = run_once(
            cmds.nextest_list,
            cwd=root,
            env=run_env,
            timeout_s=timeout,
            sample=False,
            capture_stdout=True,
        )
        if listed.exit_code != 0 or listed.timed_out:
            tail = "\n".join(listed.tail[-10:])
            raise CommandFailed(
                f"`{shell_line(cmds.nextest_list, root)}` failed (exit {listed.exit_code})"
                + (f":\n{tail}" if tail else "")
            )
        listing = arms.parse_listing(listed.stdout)
        doctests = None
        if cmds.doc is not None:
            report("the doctests, once (the same under both runners)", 0, 0)
            doctests = _doctests(inspection, cmds.doc, run_env, timeout)
        a = arms.CargoTestArm(
            root, target, cmds, listing, env=run_env, timeout_s=timeout, on_step=on_step
        )
        b = arms.NextestArm(
            root, target, cmds, listing, env=run_env, timeout_s=timeout, on_step=on_step
        )
        outcome = engine.compare(
            a,
            b,
            Design(
                {WALL: THRESHOLD},
                max_pairs=request.max_pairs,
                unjudged="the recommendation rests on wall time",
            ),
            on_run=report,
            keep_on_stop=True,
        )
    outcome = replace(outcome, notes=(shared_note(env),))
    recommended, verdict = recommend(outcome)
    if outcome.stopped_code:
        recommended, verdict = None, STOPPED
    if not outcome.tests and not _ran(a.totals) and not _ran(b.totals):
        recommended, verdict = None, NO_TESTS
    return Report(
        plan=the_plan,
        outcome=outcome,
        totals={CARGO_TEST: a.totals, NEXTEST: b.totals},
        doctests=doctests,
        recommended=recommended,
        verdict=verdict,
    )


def _ran(totals: Mapping[str, int]) -> int:
    """Tests a runner ran (an ignored one is listed, not run)."""
    return sum(n for outcome, n in totals.items() if outcome != IGNORED)


def _doctests(
    inspection: Inspection,
    argv: tuple[str, ...],
    env: Mapping[str, str],
    timeout_s: float | None,
) -> Doctests:
    run = run_once(argv, cwd=inspection.root, env=env, timeout_s=timeout_s, capture_stdout=True)
    if run.timed_out or (run.exit_code != 0 and nextest_runs.parse_cargo_test(run.stdout) is None):
        tail = "\n".join(run.tail[-10:])
        raise CommandFailed(
            f"`{shell_line(argv, inspection.root)}` failed (exit {run.exit_code})"
            + (f":\n{tail}" if tail else "")
        )
    tests = collect.doctests(run.stdout, collect.package_dirs(inspection.metadata, inspection.root))
    return Doctests(tests=tuple(tests), wall_s=run.wall_s, cpu_s=run.cpu_s)
