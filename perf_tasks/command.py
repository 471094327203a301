"""The one way this tool runs a short command and reads what it printed.

The environment is always passed in: nothing here reads `os.environ`, so a caller decides (and a
test sees) exactly what a command runs with. A program that is not installed raises `ToolMissing`;
a command that fails raises `CommandFailed` carrying the last lines of its stderr.

Long, measured or streamed commands (`measure/timing.py`, `cargo/probe.py`, the deleter's `rm -rf`)
manage their own processes; this module is for asking a tool a question.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.errors import CommandFailed, ToolMissing
from perf_tasks.quantities import format_seconds

TAIL_LINES = 5
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Output:
    stdout: str
    stderr: str
    code: int = 0

    @property
    def first_line(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[0] if lines else ""


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    what: str | None = None,
    ok_codes: Collection[int] = (0,),
) -> Output:
    """Run `argv` to completion; its output, or CommandFailed / ToolMissing.

    `what` names the command in messages (default: the command line). An exit code in `ok_codes`
    is an answer, not a failure: a test runner exits non-zero when a test fails.
    """
    shown = what or f"`{shlex.join(argv)}`"
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            # Names may not be UTF-8: decoded as os.fsdecode does, so they round-trip to bytes.
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
            timeout=timeout_s,
        )
    except FileNotFoundError:
        raise ToolMissing(
            f"{argv[0]} is not installed (or not on PATH): {shown} needs it"
        ) from None
    except PermissionError:
        raise ToolMissing(
            f"{argv[0]} cannot be run (permission denied): {shown} needs it"
        ) from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(
            f"{shown} in {cwd} did not finish within {format_seconds(timeout_s)}"
        ) from None
    if proc.returncode not in ok_codes:
        tail = "\n".join(proc.stderr.strip().splitlines()[-TAIL_LINES:])
        raise CommandFailed(
            f"{shown} failed in {cwd} (exit {proc.returncode})" + (f":\n{tail}" if tail else "")
        )
    return Output(proc.stdout, proc.stderr, proc.returncode)


def first_line(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout_s: float = 60.0
) -> str | None:
    """The first line a command prints, or None when it is missing, fails or prints nothing.

    For optional facts (a version string, a commit): their absence is not an error.
    """
    try:
        line = run(argv, cwd=cwd, env=env, timeout_s=timeout_s).first_line
    except (CommandFailed, ToolMissing):
        return None
    return line or None
