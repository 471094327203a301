"""`tests.order --measure`: the suite with and without the order, in interleaved pairs.

Both arms run `cargo nextest run` under the user's profile, on the same test binaries built once
in a scratch target dir, each with its own copy of `.config/nextest.toml` (`--config-file`): A
without our bands (the file as the user had it), B with the new ones. Nothing else differs, and
what must hold is pinned on the command line (no retries, no fail-fast: nextest_runs.argv). The
same-time A/B engine runs them in ABBA order and judges the wall time by its pair ratios B/A: the
order is written only when the whole 95% interval lies below 1 / (1 + delta) and the median gain
is above the floor. Each test's outcome is compared too: a test that passes in one order and fails
in the other depends on another test, a finding that is named, and the order is not written.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from perf_tasks.ab import engine, stats, worktree
from perf_tasks.ab.command_arm import CommandArm, OnStep
from perf_tasks.ab.engine import EVERYTHING, Design, Outcome, Sample, Scope
from perf_tasks.ab.stats import Threshold
from perf_tasks.errors import CommandFailed, ToolMissing
from perf_tasks.measure import nextest_runs
from perf_tasks.testorder import config, tail

if TYPE_CHECKING:
    from perf_tasks.context import RunContext
    from perf_tasks.edit.file import Edit
    from perf_tasks.progress import Progress
    from perf_tasks.runners.arms import Listing
    from perf_tasks.testorder.job import Request

SLOT = "order"  # the scratch target dir: target-order/
TOOL_CONFIG = "perf-tasks-order.toml"
WITHOUT = "without the order"
WITH = "with the order"
WALL = "wall_s"
CPU = "cpu_s"
TAIL = "tail_s"
# The order applies only when it saves more than 3% of the wall time, and more than 50 ms.
THRESHOLD = Threshold(delta=0.03, floor=0.05)
CLEAR_GAIN = "clear gain"
NO_CLEAR_GAIN = "no clear gain"
OUTCOMES_DIFFER = "outcomes differ"
TESTS_FAIL = "tests fail"
NEXTEST_TESTS_FAILED = 100  # the run worked, a test failed


@dataclass(frozen=True)
class Measured:
    outcome: Outcome
    verdict: str  # CLEAR_GAIN, NO_CLEAR_GAIN, OUTCOMES_DIFFER or TESTS_FAIL
    totals: Mapping[str, Mapping[str, int]]  # arm -> outcome -> tests, in its last run

    @property
    def applies(self) -> bool:
        return self.verdict == CLEAR_GAIN

    def medians(self, metric: str) -> tuple[float | None, float | None]:
        """The median of `metric` without and with the order."""
        found = self.outcome.metric(metric)
        if found is None:
            return None, None
        return statistics.median(found.a), statistics.median(found.b)

    def as_json(self) -> dict[str, Any]:
        wall, tails = self.medians(WALL), self.medians(TAIL)
        return {
            "verdict": self.verdict,
            "applies": self.applies,
            "wall_s": {WITHOUT: _rounded(wall[0]), WITH: _rounded(wall[1])},
            "tail_s": {WITHOUT: _rounded(tails[0]), WITH: _rounded(tails[1])},
            "totals": {arm: dict(t) for arm, t in self.totals.items()},
            "differences": [
                {"id": t.id, WITHOUT: t.before, WITH: t.after} for t in self.outcome.tests
            ],
            "failing": list(self.outcome.failing),
            "threshold": {"metric": WALL, "delta": THRESHOLD.delta, "floor": THRESHOLD.floor},
            "comparison": self.outcome.as_json(),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def verdict(outcome: Outcome) -> str:
    """Pure: the order applies only on a clear wall-time gain with every outcome the same and
    every test passing: a test that failed in a run with the order is never a pass."""
    if outcome.tests:
        return OUTCOMES_DIFFER
    if outcome.failing:
        return TESTS_FAIL
    wall = outcome.metric(WALL)
    return CLEAR_GAIN if wall is not None and wall.verdict == stats.IMPROVEMENT else NO_CLEAR_GAIN


class OrderArm(CommandArm):
    """One side: `cargo nextest run` with one copy of the config; outcomes from its JUnit
    report, ignored tests from the list taken before the pairs."""

    def __init__(
        self,
        label: str,
        root: Path,
        argv: tuple[str, ...],
        junit: Path,
        listing: Listing,
        *,
        env: Mapping[str, str],
        timeout_s: float | None = None,
        on_step: OnStep | None = None,
    ) -> None:
        super().__init__(root, env=env, timeout_s=timeout_s, on_step=on_step)
        self.label = label
        self.argv = argv
        self.junit = junit
        self.listing = listing
        self.last: dict[str, str] = {}

    def prepare(self) -> None:
        if self.on_step is not None:
            self.on_step(self.label, "one untimed run first")
        self.run()  # the first run pays for caches the others would not

    def run(self, scope: Scope = EVERYTHING) -> Sample:  # measures everything
        from perf_tasks.fs.regular import read_text
        from perf_tasks.verify import collect

        self.junit.unlink(missing_ok=True)
        run = self._timed(self.argv)
        if run.exit_code not in (0, NEXTEST_TESTS_FAILED):
            raise self._failed("the tests", self.argv, run)
        try:
            text = read_text(self.junit)
            cases = nextest_runs.parse_junit(text)
        except (OSError, ValueError) as exc:
            raise CommandFailed(
                f"{self.label}: nextest left no readable JUnit report at {self.junit}: {exc}"
            ) from None
        tests = collect.nextest_tests(self.listing.ignored, cases)
        self.last = {f"{e.binary} {e.name}": e.outcome for e in tests}
        values = {WALL: run.wall_s, CPU: run.cpu_s}
        run_tail = tail.tail_s(tail.spans(text))
        if run_tail is not None:
            values[TAIL] = run_tail
        return Sample(values=values, test_outcomes=dict(self.last))

    @property
    def totals(self) -> dict[str, int]:
        return dict(Counter(self.last.values()))


@dataclass(frozen=True)
class Commands:
    """What runs, from the workspace root: the list (it builds the tests), and each arm's run
    with its copy of the config, and where its JUnit report lands."""

    listing: tuple[str, ...]
    runs: Mapping[str, tuple[str, ...]]  # arm -> its timed command
    junit: Mapping[str, Path]  # arm -> its JUnit report


def commands(
    program: str, profile: str, root: Path, target: Path, configs: Mapping[str, str]
) -> Commands:
    """The commands, each arm's config in `target/nextest-<a|b>.toml`. Pure."""
    tool = target / TOOL_CONFIG
    store = target / "nextest"

    def argv(action: Literal["list", "run"], label: str, *args: str) -> tuple[str, ...]:
        ours = ("--workspace", "--tests", "--config-file", str(config_path(target, label)), *args)
        return nextest_runs.argv(program, action, profile=profile, tool_config=tool, args=ours)

    return Commands(
        listing=argv("list", WITHOUT, "--run-ignored", "all", "--message-format", "json"),
        runs={label: argv("run", label, "--no-tests=pass") for label in configs},
        junit={
            label: nextest_runs.junit_path(
                _parsed(text), profile=profile, root=root, store_dir=store
            )
            for label, text in configs.items()
        },
    )


def config_path(target: Path, label: str) -> Path:
    return target / f"nextest-{'a' if label == WITHOUT else 'b'}.toml"


def measure(context: RunContext, request: Request, edit: Edit, *, progress: Progress) -> Measured:
    """Time the suite with and without the bands of `edit`; judge the wall time."""
    from perf_tasks.ab.revision_arms import arm_env, controlled_note
    from perf_tasks.fs.atomic import write_atomic
    from perf_tasks.runlock import run_lock

    root, inspection = context.root, context.inspection
    if inspection.nextest is None:
        raise ToolMissing(
            "cargo-nextest is not installed: tests.order --measure runs the suite with it "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    report = progress.on_pair or (lambda what, i, n: None)
    scratch = worktree.Scratch.of(root, inspection.env)
    target = scratch.target(SLOT)
    profile = request.profile
    configs = {WITHOUT: config.strip_ours(edit.old, profile), WITH: edit.new}
    cmds = commands(inspection.nextest_program, profile, root, target, configs)
    env = arm_env(inspection.env, target)

    def on_step(label: str, what: str) -> None:
        report(f"{label}: {what}", 0, 0)

    with run_lock(root):
        scratch.claim()
        target.mkdir(parents=True, exist_ok=True)
        store = str(target / "nextest")
        write_atomic(target / TOOL_CONFIG, nextest_runs.tool_config(profile, store_dir=store))
        for label, text in configs.items():
            write_atomic(config_path(target, label), text)
        report("build and list the tests (untimed)", 0, 0)
        listing = _listed(cmds.listing, root, env, request.timeout_s)
        arms = {
            label: OrderArm(
                label,
                root,
                cmds.runs[label],
                cmds.junit[label],
                listing,
                env=env,
                timeout_s=request.timeout_s,
                on_step=on_step,
            )
            for label in (WITHOUT, WITH)
        }
        design = Design({WALL: THRESHOLD}, max_pairs=request.max_pairs or engine.DEFAULT_MAX_PAIRS)
        outcome = engine.compare(arms[WITHOUT], arms[WITH], design, on_run=report)
    # Per-test times are not compared: an order moves tests into and out of contention.
    outcome = replace(outcome, notes=(controlled_note(context.env),))
    return Measured(
        outcome=outcome,
        verdict=verdict(outcome),
        totals={label: arm.totals for label, arm in arms.items()},
    )


def _listed(
    argv: tuple[str, ...], root: Path, env: Mapping[str, str], timeout_s: float | None
) -> Listing:
    """nextest's list of the tests (it builds them first), or `CommandFailed` with its tail."""
    from perf_tasks.measure.shell import shell_line
    from perf_tasks.measure.timing import run_once
    from perf_tasks.runners.arms import parse_listing

    listed = run_once(
        argv, cwd=root, env=env, timeout_s=timeout_s, sample=False, capture_stdout=True
    )
    if listed.exit_code != 0 or listed.timed_out:
        tail_text = "\n".join(listed.tail[-10:])
        raise CommandFailed(
            f"`{shell_line(argv, root)}` failed (exit {listed.exit_code})"
            + (f":\n{tail_text}" if tail_text else "")
        )
    return parse_listing(listed.stdout)


def _parsed(text: str) -> dict[str, Any]:
    from perf_tasks.edit import tables

    return tables.parse_text(text, what=config.CONFIG)
