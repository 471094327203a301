"""What every arm that runs commands does alike: an untimed step that says what it does, a timed
run that the timeout ends, and a failure as one message naming the arm, the command and its tail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from perf_tasks.ab.engine import EVERYTHING, Sample, Scope
from perf_tasks.errors import CommandFailed
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.shell import shell_line
from perf_tasks.measure.timing import Run, run_once
from perf_tasks.quantities import format_seconds

# (arm label, what it is doing) -> None: progress on untimed work.
OnStep = Callable[[str, str], None]
WARM_UP = "run the tests once, untimed (the first run warms the caches)"


class CommandArm:
    """Runs an arm's commands from `root` with `env`; `timeout_s` ends each (None: never)."""

    label: str

    def __init__(
        self,
        root: Path,
        *,
        env: Mapping[str, str],
        timeout_s: float | None = None,
        on_step: OnStep | None = None,
    ) -> None:
        self.root = root
        self.env = env
        self.timeout_s = timeout_s
        self.on_step = on_step

    def warm_up(self) -> None:
        """One whole run, untimed, said as such: the first run pays for caches the others would
        not, and takes as long as the suite (the step before it only built the tests)."""
        if self.on_step is not None:
            self.on_step(self.label, WARM_UP)
        self.run()

    def run(self, scope: Scope = EVERYTHING) -> Sample:
        """One timed run; an arm that cannot narrow its runs to `scope` measures everything."""
        raise NotImplementedError

    def _step(
        self, what: str, argv: tuple[str, ...], *, env: Mapping[str, str] | None = None
    ) -> None:
        """Run `argv` untimed; `what` (when given) is reported first and names a failure."""
        if what and self.on_step is not None:
            self.on_step(self.label, what)
        run = run_once(
            argv, cwd=self.root, env=env or self.env, timeout_s=self.timeout_s, sample=False
        )
        if run.exit_code != 0 or run.timed_out:
            raise self._failed(what or shell_line(argv, self.root), argv, run)

    def _timed(
        self,
        argv: tuple[str, ...],
        *,
        env: Mapping[str, str] | None = None,
        stream_fd: int | None = None,
        counts_tests: bool = False,
    ) -> Run:
        """One timed run; with `counts_tests` (a nextest run), its tests are said as they end."""
        on_step, label = self.on_step, self.label
        on_output = None
        if counts_tests and on_step is not None:
            on_output = nextest_runs.tally_of_tests(
                lambda done, listed: on_step(label, nextest_runs.tests_ended(done, listed))
            )
        run = run_once(
            argv,
            cwd=self.root,
            env=env or self.env,
            timeout_s=self.timeout_s,
            stream_fd=stream_fd,
            on_output=on_output,
        )
        if run.timed_out:
            raise CommandFailed(
                f"{self.label}: `{shell_line(argv, self.root)}` ran past the timeout "
                f"({format_seconds(self.timeout_s or 0)}) and was ended"
            )
        return run

    def _failed(self, what: str, argv: tuple[str, ...], run: Run) -> CommandFailed:
        tail = "\n".join(run.tail[-10:])
        return CommandFailed(
            f"{self.label}: {what} failed (`{shell_line(argv, self.root)}`, exit {run.exit_code})"
            + (f":\n{tail}" if tail else "")
        )
