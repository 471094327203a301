"""Output for one task run. Human text goes to stdout, or to stderr when `--json` owns stdout.

There is one `Output` per run, made at the task edge and passed down; no module keeps a global
console. Markup and highlighting are off, because paths may contain `[`.
"""

from __future__ import annotations

import json as jsonlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from perf_tasks.escape import code_point
from perf_tasks.paths import relative
from perf_tasks.quantities import format_elapsed

if TYPE_CHECKING:
    from rich.console import Console


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


ERROR_SCHEMA_VERSION = 1
# The width of text output that goes to no terminal (a pipe, a file, a CI log).
LOG_WIDTH = 160


def error_json(kind: str, message: str) -> dict[str, Any]:
    """The one document `--json` prints when a run fails before it has a report."""
    return {
        "schema_version": ERROR_SCHEMA_VERSION,
        "ok": False,
        "error": {"kind": kind, "message": message},
    }


def show_path(path: Path, root: Path) -> str:
    """The one way text output shows a path: relative to the root when inside it, escaped."""
    return shown(relative(path, root))


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: object, *, keep_newlines: bool = False) -> str:
    """A path (or a message holding one) as text output shows it: anything that is not printable,
    such as an escape sequence, a newline or a byte that is not UTF-8, is written as an escape.

    JSON output keeps the real name; this is for terminals and logs only.
    """
    value = str(text)
    if value.isprintable():
        return value
    out = []
    for ch in value:
        code = ord(ch)
        if ch.isprintable() or (keep_newlines and ch == "\n"):
            out.append(ch)
        elif ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        else:
            out.append(code_point(ch))
    return "".join(out)


# Off a terminal, a running test phase writes a line at least this often (seconds).
PLAIN_EVERY_S = 5.0


def throttle(started: float) -> Callable[..., bool]:
    """Whether a line of a running test phase is due in a log: one every PLAIN_EVERY_S, and one
    when its last test has ended (`final`); never the same line twice."""
    last: dict[str, Any] = {"at": started, "text": ""}

    def due(text: str, *, final: bool) -> bool:
        now = time.monotonic()
        if text == last["text"] or not (final or now - last["at"] >= PLAIN_EVERY_S):
            return False
        last.update(at=now, text=text)
        return True

    return due


class Output:
    def __init__(
        self,
        *,
        json: bool = False,
        verbose: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        stdin: IO[str] | None = None,
        width: int | None = None,
        force_terminal: bool | None = None,
    ) -> None:
        from rich.console import Console

        self.json = json
        self.verbose = verbose  # list everything (each item, each unchanged count)
        self._stdout = stdout or sys.stdout
        self._stderr = stderr or sys.stderr
        self._stdin = stdin or sys.stdin
        human = stderr or sys.stderr if json else self._stdout
        if width is None and not _isatty(human) and not os.environ.get("COLUMNS"):
            # A pipe or a CI log has no width: rich would assume 80 and cut the tables' right
            # columns (ratios, intervals) short. Lines may be as long as they need.
            width = LOG_WIDTH
        self.console: Console = Console(
            file=human,
            highlight=False,
            markup=False,
            emoji=False,
            width=width,
            force_terminal=force_terminal,
            soft_wrap=False,
        )

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self.console.print(text, style=style, soft_wrap=True)

    def warn(self, text: str) -> None:
        self.console.print(f"warning: {text}", style="yellow", soft_wrap=True)

    def emit_json(self, data: Any) -> None:
        """The JSON document: the only thing written to stdout in --json mode."""
        self._stdout.write(jsonlib.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
        self._stdout.flush()

    @property
    def can_ask(self) -> bool:
        """A person is there to answer: stdin and stderr are terminals (stdout may be piped)."""
        return _isatty(self._stdin) and _isatty(self._stderr)

    def confirm(self, question: str) -> bool:
        """Ask once, on stderr; only "y" or "yes" is a yes, and end of input is a no."""
        self._stderr.write(f"{question} [y/N] ")
        self._stderr.flush()
        answer = self._stdin.readline()
        if not answer.endswith("\n"):
            self._stderr.write("\n")  # end of input: the prompt still ends its line
            self._stderr.flush()
        return answer.strip().lower() in ("y", "yes")

    @contextmanager
    def progress(self, description: str, *, large: bool) -> Iterator[Callable[[int, int], None]]:
        """A byte progress bar on a terminal, a few plain lines elsewhere, nothing if small."""
        if not large:
            yield lambda done, total: None
            return
        if self.interactive:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(binary_units=False),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            ) as bar:
                task = bar.add_task(description, total=None)

                def update(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                yield update
            return
        started = time.monotonic()
        last_step = [-1]

        def plain(done: int, total: int) -> None:
            step = 4 * done // total if total else 4
            if step != last_step[0]:
                last_step[0] = step
                self.line(
                    f"{format_elapsed(time.monotonic() - started)} {description}: "
                    f"{100 * done // max(total, 1)}%"
                )

        yield plain
