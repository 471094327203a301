"""The `perf-tasks` console script: the same collections, for repos without our tasks.py."""

from __future__ import annotations

from invoke.program import Program

from perf_tasks import __version__
from perf_tasks.tasks import namespace


def program() -> Program:
    return Program(
        namespace=namespace(), name="perf-tasks", binary="perf-tasks", version=__version__
    )


def main() -> None:
    program().run()
