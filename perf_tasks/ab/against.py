"""`baseline.compare --against REF`: the work tree (B) against a git revision (A), now, here.

The revision is checked out in the workspace's scratch worktree (`worktree.Scratch`), never in
the work tree; both arms build in their own warm target dirs. The whole comparison holds the
workspace's run lock, so that no cleaning run deletes what it builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from perf_tasks.ab import engine, worktree
from perf_tasks.ab import revision_arms as arms
from perf_tasks.ab.engine import Design, OnProgress, Outcome
from perf_tasks.ab.stats import MIN_PAIRS, PER_TEST, PerTestRule, Threshold
from perf_tasks.context import RunContext
from perf_tasks.measure.commands import JSON_FILE
from perf_tasks.measure.environment import build_env
from perf_tasks.measure.record import stored
from perf_tasks.measure.schema import Record
from perf_tasks.quantities import format_seconds
from perf_tasks.runlock import run_lock


@dataclass(frozen=True)
class Request:
    ref: str
    max_pairs: int = engine.DEFAULT_MAX_PAIRS
    timeout_s: float | None = None
    only: tuple[str, ...] = ()  # metrics that decide; empty: all of them
    # Time cold builds too (`build.cold`): each run of either arm builds the workspace from an
    # empty target dir of its own. `cold_hint_s`: a cold build's wall time, when a record knows it.
    cold: bool = False
    cold_hint_s: float | None = None
    # What a screen made elsewhere (a stored record) left in doubt: the pairs measure only that.
    start: engine.Doubt | None = None
    screen: bool = True  # False: every pair measures everything (`--no-screen`)
    max_seconds: float | None = None  # bounds the pairs (`--max-minutes`)
    # Metrics a gate's row judges, with its relative bound: decided on that bound, and always
    # paired (the screen never clears them).
    judged: Mapping[str, float] = field(default_factory=dict)
    # When a test got slower (a gate's `tests.each` row may tighten it), and the tests a gate's
    # row names: always paired, never cleared by one pair.
    test_rule: PerTestRule = PER_TEST
    judged_tests: frozenset[str] = frozenset()


def compare_against(
    context: RunContext, request: Request, *, on_progress: OnProgress | None = None
) -> Outcome:
    root, config, inspection = context.root, context.settings, context.inspection
    env, tool_env = context.env, inspection.env
    revision = worktree.resolve(root, request.ref, env=tool_env)
    commands = arms.commands(inspection, config)
    timeout = request.timeout_s if request.timeout_s is not None else config.baseline.timeout
    report = on_progress or (lambda what, i, n: None)

    def on_step(label: str, what: str) -> None:
        report(f"{label}: {what}", 0, 0)

    with run_lock(root):
        scratch = worktree.Scratch.of(root, tool_env)
        report(f"A: checking out {revision.label} in {scratch.tree('a')}", 0, 0)
        a_root = scratch.checkout(revision, "a")

        def arm(label: str, arm_root: Path, slot: str) -> arms.WorkspaceArm:
            target, build_target = scratch.target(slot), scratch.target(f"{slot}-build")
            return arms.WorkspaceArm(
                label,
                arm_root,
                target,
                build_target,
                commands=commands,
                env=tool_env,
                timeout_s=timeout,
                on_step=on_step,
                cold_target=scratch.target(f"{slot}-cold") if request.cold else None,
            )

        a = arm(f"A {revision.label}", a_root, "a")
        b = arm("B work tree", root, "b")
        if request.cold:
            report(cold_forecast(request), 0, 0)
        if request.screen and request.start is None:
            said = screen_forecast(stored(root / config.baseline.dir / JSON_FILE), request.cold)
            if said:
                report(said, 0, 0)

        outcome = engine.compare(
            a,
            b,
            design_of(request),
            start=request.start,
            on_run=report,
        )
    notes = [
        f"rebuilt crate: {commands.crate} (cargo clean -p before each timed build)",
        *(
            [
                "build.cold: each run of either arm built the workspace from an empty target "
                "dir of its own"
            ]
            if request.cold
            else []
        ),
        arms.controlled_note(env),
    ]
    shared = shared_env_note(env, root)
    if shared:
        notes.append(shared)
    return replace(outcome, notes=(*outcome.notes, *notes))


def cold_forecast(request: Request) -> str:
    """What the A/B is about to do when it times cold builds, and what that costs. Pure."""
    pairs = (
        f"{MIN_PAIRS} to {request.max_pairs}" if request.max_pairs > MIN_PAIRS else str(MIN_PAIRS)
    )
    text = (
        f"the A/B times cold builds: every run of either arm builds the whole workspace from an "
        f"empty target dir, {pairs} pairs (--max-pairs bounds it)"
    )
    if request.cold_hint_s is not None:
        each = 2 * request.cold_hint_s
        low, high = MIN_PAIRS * each, max(MIN_PAIRS, request.max_pairs) * each
        span = format_seconds(low) + ("" if high == low else f" to {format_seconds(high)}")
        text += (
            f"; the cold builds alone take about {span} "
            f"({format_seconds(request.cold_hint_s)} each, as the record measured it)"
        )
    return text


def screen_forecast(record: Record | None, cold: bool) -> str | None:
    """How long the screening pair takes, from the workspace's record: each arm rebuilds (about
    the incremental build), tests and runs the doctests once. None without a record. Pure."""
    if record is None or record.build is None or record.build.incremental is None:
        return None
    figures = [record.build.incremental.wall_s]
    if record.tests is not None:
        figures += [record.tests.run.wall_s, record.tests.doc.wall_s if record.tests.doc else None]
    if cold and record.build.cold is not None:
        figures.append(record.build.cold.wall_s)
    run_s = sum(f.median for f in figures if f is not None and f.median is not None)
    return (
        f"the screen takes about {format_seconds(2 * run_s)} (one run of each arm, "
        f"{format_seconds(run_s)} each by the baseline record)"
    )


def shared_env_note(env: Mapping[str, str], root: Path) -> str | None:
    """The user's build variables both arms ran with; not those the arms control (a wrapper, the
    target dir), which `controlled_note` names. Pure."""
    controlled = (*arms.LEFT_OUT, *arms.CONTROLLED)
    recorded = {k: v for k, v in build_env(env, root=root).items() if k not in controlled}
    if not recorded:
        return None
    return "build environment, the same on both arms: " + ", ".join(
        f"{k}={v!r}" for k, v in sorted(recorded.items())
    )


@dataclass(frozen=True)
class AgainstPlan:
    """What `--against` would do, for the dry run."""

    root: Path
    revision: worktree.Revision
    scratch: Path
    commands: arms.Commands
    request: Request
    exit_code = 0  # a dry run: nothing measured, nothing failed

    def as_json(self) -> dict[str, object]:
        c = self.commands
        steps = [c.clean, c.build, c.run_tests] + ([c.doc] if c.doc else [])
        return {
            "dry_run": True,
            "root": str(self.root),
            "a": {"ref": self.revision.ref, "commit": self.revision.commit},
            "scratch": str(self.scratch),
            "each_run": [" ".join(step) for step in steps]
            + (
                [" ".join(c.build) + " (from an empty target dir: build.cold)"]
                if self.request.cold
                else []
            ),
            "timed": [arms.BUILD, arms.TESTS]
            + ([arms.DOC] if c.doc else [])
            + ([arms.COLD] if self.request.cold else []),
            "cold": self.request.cold,
            "screen": self.request.screen,
            "max_seconds": self.request.max_seconds,
            "min_pairs": MIN_PAIRS,
            "max_pairs": self.request.max_pairs,
            "thresholds": {
                m: {"delta": t.delta, "floor": t.floor}
                for m, t in thresholds(self.request.only).items()
            },
        }


def plan_against(context: RunContext, request: Request) -> AgainstPlan:
    """Resolve the revision and the commands; run nothing, write nothing."""
    root, config, inspection = context.root, context.settings, context.inspection
    revision = worktree.resolve(root, request.ref, env=inspection.env)
    return AgainstPlan(
        root=root,
        revision=revision,
        scratch=worktree.scratch_dir(root, inspection.env),
        commands=arms.commands(inspection, config),
        request=request,
    )


def design_of(request: Request) -> Design:
    """The A/B's design: which metrics decide, and why the others are only shown. Pure."""
    only = request.only
    if request.start is not None:
        only = tuple(sorted(request.start.metrics))
    deciding = thresholds(only) if only or request.start is None else {}
    for metric, bound in request.judged.items():
        if metric in deciding:
            deciding[metric] = Threshold(delta=bound, floor=deciding[metric].floor)
    return Design(
        deciding,
        always=frozenset(request.judged) & frozenset(deciding),
        max_pairs=request.max_pairs,
        unjudged=f"only {', '.join(only)} decide here" if only else "no threshold",
        screen=request.screen,
        max_seconds=request.max_seconds,
        test_rule=request.test_rule,
        always_tests=request.judged_tests,
    )


def thresholds(only: tuple[str, ...] = ()) -> dict[str, Threshold]:
    """The deciding metrics: all, or those of `only` (the others are then only shown)."""
    if not only:
        return dict(arms.THRESHOLDS)
    return {m: t for m, t in arms.THRESHOLDS.items() if m in only}
