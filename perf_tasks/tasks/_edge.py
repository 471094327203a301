"""What every task does at its edge: find the root, and turn our errors into one line and a code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from invoke.context import Context
from invoke.exceptions import Exit


@contextmanager
def task_edge() -> Iterator[None]:
    """`PerfTasksError` -> its message and exit code; Ctrl-C -> 130. Anything else is our bug and
    keeps its traceback."""
    from perf_tasks.errors import ExitCode, PerfTasksError

    try:
        yield
    except PerfTasksError as exc:
        raise Exit(f"error: {exc}", code=int(exc.exit_code)) from None
    except KeyboardInterrupt:
        raise Exit("interrupted", code=int(ExitCode.INTERRUPTED)) from None


def root_of(c: Context, flag: str | None) -> Path:
    from perf_tasks.workspace import resolve_root

    perf = c.config.get("perf") or {}
    return resolve_root(flag, env=os.environ, config_root=perf.get("root"), cwd=Path.cwd())


ROOT_HELP = (
    "Workspace root (default: $PERF_TASKS_ROOT, invoke config perf.root, or the current dir)"
)
JSON_HELP = "Print only JSON on stdout (everything else goes to stderr)"
DRY_RUN_HELP = "Build the full plan and show it; delete nothing"
