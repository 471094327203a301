"""What every task does at its edge: find the root; stop on a signal; render the one result and
exit with its code; turn our errors into one line and a code. The only place a task ends."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task

if TYPE_CHECKING:  # annotations only: loading the tasks stays light
    from perf_tasks.context import RunContext
    from perf_tasks.ui.output import Output
    from perf_tasks.ui.render import Result


@contextmanager
def task_edge(*, json: bool = False, verbose: bool = False) -> Iterator[Output]:
    """The run's one `Output`. `PerfTasksError` -> its message and exit code; Ctrl-C -> 130;
    SIGTERM and SIGHUP stop the run as Ctrl-C does (every process it started is ended, scratch
    dirs go) and exit 128 + the signal. Anything else is our bug and keeps its traceback. With
    `json`, stdout also gets one JSON error document."""
    from perf_tasks.errors import ExitCode, PerfTasksError
    from perf_tasks.proc import Stopped, stop_on_signals
    from perf_tasks.ui.output import Output

    try:
        with stop_on_signals():
            yield Output(json=json, verbose=verbose)
    except PerfTasksError as exc:
        _fail(json, kind=error_kind(exc), message=str(exc), code=exc.exit_code)
    except KeyboardInterrupt:
        _fail(json, kind="interrupted", message="interrupted", code=ExitCode.INTERRUPTED)
    except Stopped as exc:
        _fail(json, kind="stopped", message=f"stopped by {exc}", code=exc.exit_code)


def finish(out: Output, result: Result) -> None:
    """Render the command's result (JSON or text) and exit with its code when it is not 0."""
    from perf_tasks.ui.render import render

    render(out, result)
    if code := int(result.exit_code):
        raise Exit(code=code)


def error_kind(exc: Exception) -> str:
    """`UnsafePathError` -> "unsafe_path", `Busy` -> "busy": the `kind` of the JSON error."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
    return name.removesuffix("_error")


def _fail(json: bool, *, kind: str, message: str, code: int) -> NoReturn:
    from perf_tasks.ui.output import Output, error_json, shown

    if json:
        Output(json=True).emit_json(error_json(kind, message))
    text = f"error: {message}" if kind not in ("interrupted", "stopped") else message
    # One line, names escaped; only a failed command's message keeps the line breaks of its output.
    raise Exit(shown(text, keep_newlines=kind == "command_failed"), code=int(code)) from None


def context_of(c: Context, flag: str | None) -> RunContext:
    """The workspace the command runs in: resolved once (each fact on first use), handed down."""
    from perf_tasks.context import RunContext

    return RunContext(root_of(c, flag), os.environ)


def program_of(c: Context) -> str:
    """The program the user runs: `perf-tasks` under its own script (which sets `perf.program`),
    `invoke` under invoke. Messages and Baseline.md name it."""
    perf = c.config.get("perf") or {}
    return str(perf.get("program") or "invoke")


def path_of(value: str | None) -> Path | None:
    """A path flag: None when not given (or empty)."""
    return Path(value) if value else None


def root_of(c: Context, flag: str | None) -> Path:
    from perf_tasks.workspace import resolve_root

    perf = c.config.get("perf") or {}
    return resolve_root(flag, env=os.environ, config_root=perf.get("root"), cwd=Path.cwd())


ROOT_HELP = (
    "Workspace root (default: $PERF_TASKS_ROOT, else under invoke its perf.root setting, else the "
    "current dir)"
)
JSON_HELP = "Print only JSON on stdout (everything else goes to stderr)"
DRY_RUN_HELP = "Build the full plan and show it; delete nothing"


# Flags that take a whole number. invoke takes a flag's kind from its default, and ours are None
# (unset: the settings decide), which would make them text (`--runs=STRING`).
NUMBERS = frozenset({"runs", "warmup", "cold_runs", "timeout", "max_pairs", "shards", "top"})
DECIMALS = frozenset({"max_minutes"})  # flags that take a number, whole or not


class CountingTask(Task):  # type: ignore[type-arg]
    """A task whose `NUMBERS` flags parse as whole numbers (`--runs=INT`) and `DECIMALS` as
    numbers (`--max-minutes=FLOAT`), None when not given."""

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        opts: dict[str, Any] = super().arg_opts(name, default, taken_names)
        if name in NUMBERS:
            opts["kind"] = int
        elif name in DECIMALS:
            opts["kind"] = float
        return opts
