"""The lines `init --gitignore` adds to the workspace's `.gitignore`: the records that describe one
machine (the baseline record, the monitor's history, chart and report). Text in, text out.

The run lock needs no line: it lives in the git dir (runlock.py), which git never lists.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from perf_tasks.measure.commands import JSON_FILE, MARKDOWN_FILE
from perf_tasks.settings import Settings

COMMENT = "# perf-tasks: records of one machine (perf-tasks init --gitignore)"


def entries(settings: Settings) -> tuple[str, ...]:
    """Patterns anchored at the workspace root (where the `.gitignore` is)."""
    baseline = PurePosixPath(settings.baseline.dir)
    monitor = PurePosixPath(settings.monitor.dir)
    return (f"/{baseline / MARKDOWN_FILE}", f"/{baseline / JSON_FILE}", f"/{monitor}/")


def added(old: str, wanted: tuple[str, ...]) -> str:
    """`old` with the lines of `wanted` it does not hold yet appended under one comment; `old`
    itself when it holds them all. A line counts as there with or without its leading `/` or its
    trailing one; line ends follow the file's (`\\r\\n` stays `\\r\\n`)."""
    have = {_bare(line) for line in old.replace("\r\n", "\n").split("\n")}
    missing = [line for line in wanted if _bare(line) not in have]
    if not missing:
        return old
    end = "\r\n" if "\r\n" in old else "\n"
    start = old if not old or old.endswith("\n") else old + end
    gap = end if start.strip() else ""
    return start + gap + end.join([COMMENT, *missing]) + end


def _bare(line: str) -> str:
    return line.strip().strip("/")
