"""The two arms of `tests.runners`: `cargo test` (A) and `cargo nextest run` (B), on the work tree.

Both run the same test binaries (`--workspace --tests`: libraries, binaries, integration tests;
no doctests, which only `cargo test --doc` runs, the same under either runner) from one scratch
target dir, built before the first pair. One run is one command, timed with `run_once` (wall time,
and the exact CPU time of its process tree); each test's outcome is read from what it printed,
named as nextest names it (`libtest`), so the engine can tell which tests the runners disagree on.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from perf_tasks.ab.command_arm import CommandArm, OnStep
from perf_tasks.ab.engine import EVERYTHING, Sample, Scope
from perf_tasks.errors import CommandFailed
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.fs.regular import read_text
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.shell import shell_line
from perf_tasks.measure.timing import Run
from perf_tasks.runners import libtest
from perf_tasks.verify import collect
from perf_tasks.verify.record import OUTCOMES

CARGO_TEST = "cargo test"
NEXTEST = "nextest"
PROFILE = "perf-tasks-runners"
TOOL_CONFIG = Path("perf-tasks-runners.toml")  # in the target dir
NEXTEST_TESTS_FAILED = 100  # the run worked, a test failed
CARGO_TEST_FAILED = 101  # a test failed, or the build did (told apart by the output)

WALL = "wall_s"
CPU = "cpu_s"


@dataclass(frozen=True)
class Commands:
    """What the two arms run, from the workspace root, with the target dir filled in."""

    cargo_build: tuple[str, ...]
    cargo_run: tuple[str, ...]
    nextest_list: tuple[str, ...]
    nextest_build: tuple[str, ...]
    nextest_run: tuple[str, ...]
    doc: tuple[str, ...] | None  # the doctests, run once, the same under both runners


def commands(cargo: str, nextest_program: str, target: Path, *, has_doc: bool) -> Commands:
    """The commands. Pure. `--tests` on both: the same binaries, like with like."""
    common = ("--workspace", "--tests")

    def ours(action: Literal["build", "list", "run"], *args: str) -> tuple[str, ...]:
        return nextest_runs.argv(
            nextest_program, action, profile=PROFILE, tool_config=target / TOOL_CONFIG, args=args
        )

    return Commands(
        cargo_build=(cargo, "test", *common, "--no-run"),
        cargo_run=(cargo, "test", *common, "--no-fail-fast"),
        nextest_list=ours("list", *common, "--run-ignored", "all", "--message-format", "json"),
        nextest_build=ours("build", *common),
        nextest_run=ours("run", *common, "--no-tests=pass"),
        doc=(cargo, "test", "--doc", "--workspace", "--no-fail-fast") if has_doc else None,
    )


@dataclass(frozen=True)
class Listing:
    """nextest's list of the tests, taken once before the arms run (it builds them)."""

    ids: Mapping[str, str]  # test binary file name -> nextest's binary id
    ignored: Mapping[tuple[str, str], bool]  # (binary id, test name) -> marked #[ignore]

    @property
    def total(self) -> int:
        return len(self.ignored)


def write_tool_config(target: Path) -> None:
    write_atomic(
        target / TOOL_CONFIG, nextest_runs.tool_config(PROFILE, store_dir=str(target / "nextest"))
    )


def parse_listing(list_json: str) -> Listing:
    return Listing(ids=libtest.binary_ids(list_json), ignored=collect.listed(list_json))


class _Base(CommandArm):
    def __init__(
        self,
        root: Path,
        target: Path,
        cmds: Commands,
        listing: Listing,
        *,
        env: Mapping[str, str],
        timeout_s: float | None = None,
        on_step: OnStep | None = None,
    ) -> None:
        super().__init__(root, env=env, timeout_s=timeout_s, on_step=on_step)
        self.target = target
        self.commands = cmds
        self.listing = listing
        self.last: dict[str, str] = {}  # each test's outcome in the last run
        self.junit = nextest_runs.junit_path(
            nextest_runs.workspace_config(root),
            profile=PROFILE,
            root=root,
            store_dir=target / "nextest",
        )

    @property
    def totals(self) -> dict[str, int]:
        """How many tests had each outcome in the last run."""
        counts = Counter(self.last.values())
        return {o: counts[o] for o in OUTCOMES}

    def _sample(self, run: Run, tests: dict[str, str]) -> Sample:
        self.last = tests
        return Sample(values={WALL: run.wall_s, CPU: run.cpu_s}, test_outcomes=dict(tests))


class CargoTestArm(_Base):
    """`cargo test --workspace --tests --no-fail-fast`; outcomes from its result lines."""

    label = CARGO_TEST

    def prepare(self) -> None:
        self._step("build the tests (untimed)", self.commands.cargo_build)
        self.warm_up()

    def run(self, scope: Scope = EVERYTHING) -> Sample:  # measures everything
        argv = self.commands.cargo_run
        # stdout and stderr in one file, in order: a result line belongs to the last `Running`.
        with tempfile.TemporaryFile() as out:
            run = self._timed(argv, stream_fd=out.fileno())
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        if run.exit_code not in (0, CARGO_TEST_FAILED) or (
            run.exit_code != 0 and not libtest.ran(text)
        ):
            tail = "\n".join(text.strip().splitlines()[-10:])
            raise CommandFailed(
                f"{self.label}: `{shell_line(argv, self.root)}` failed (exit {run.exit_code})"
                + (f":\n{tail}" if tail else "")
            )
        return self._sample(run, libtest.outcomes(text, self.listing.ids))


class NextestArm(_Base):
    """`cargo nextest run --workspace --tests --no-fail-fast`; outcomes from its JUnit report,
    ignored tests from its list."""

    label = NEXTEST

    def prepare(self) -> None:
        self._step("build the tests (untimed)", self.commands.nextest_build)
        self.warm_up()

    def run(self, scope: Scope = EVERYTHING) -> Sample:  # measures everything
        argv = self.commands.nextest_run
        self.junit.unlink(missing_ok=True)
        run = self._timed(argv, counts_tests=True)
        if run.exit_code not in (0, NEXTEST_TESTS_FAILED):
            raise self._failed("the tests", argv, run)
        try:
            cases = nextest_runs.parse_junit(read_text(self.junit))
        except (OSError, ValueError) as exc:
            if self.listing.total:
                raise CommandFailed(
                    f"{self.label}: nextest left no readable JUnit report at {self.junit}: {exc}"
                ) from None
            cases = ()
        tests = collect.nextest_tests(self.listing.ignored, cases)
        return self._sample(run, {f"{e.binary} {e.name}": e.outcome for e in tests})
