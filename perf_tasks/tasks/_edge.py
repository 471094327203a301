"""What every task does at its edge: find the root, and turn our errors into one line and a code."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from invoke.context import Context
from invoke.exceptions import Exit


@contextmanager
def task_edge(*, json: bool = False) -> Iterator[None]:
    """`PerfTasksError` -> its message and exit code; Ctrl-C -> 130. Anything else is our bug and
    keeps its traceback. With `json`, stdout also gets one JSON error document."""
    from perf_tasks.errors import ExitCode, PerfTasksError

    try:
        yield
    except PerfTasksError as exc:
        _fail(json, kind=error_kind(exc), message=str(exc), code=exc.exit_code)
    except KeyboardInterrupt:
        _fail(json, kind="interrupted", message="interrupted", code=ExitCode.INTERRUPTED)


def error_kind(exc: Exception) -> str:
    """`UnsafePathError` -> "unsafe_path", `Busy` -> "busy": the `kind` of the JSON error."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
    return name.removesuffix("_error")


def _fail(json: bool, *, kind: str, message: str, code: int) -> NoReturn:
    from perf_tasks.ui.output import Output, error_json, shown

    if json:
        Output(json=True).emit_json(error_json(kind, message))
    text = message if kind == "interrupted" else f"error: {message}"
    # One line, names escaped; only a failed command's message keeps the line breaks of its output.
    raise Exit(shown(text, keep_newlines=kind == "command_failed"), code=int(code)) from None


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
