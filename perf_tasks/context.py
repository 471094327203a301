"""The workspace a command runs in, resolved once and handed down.

A command's entry point gets one `RunContext`: the root, the environment its commands run with,
and, each read on first use and never again, the settings (perf-tasks.toml, checked) and one look
at the workspace (`inspect`: cargo, its metadata and dirs, nextest). A gate that measures, runs an
A/B and evaluates reads each once, however many steps need them. Lazy, so that a command that never
needs cargo (two records compared, a contract that fails to parse) never asks it, and errors keep
their order: the first step that needs a fact is the one that fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perf_tasks.inspection import Inspection
    from perf_tasks.settings import Settings


@dataclass(frozen=True, eq=False)
class RunContext:
    root: Path
    env: Mapping[str, str] = field(repr=False)

    @cached_property
    def settings(self) -> Settings:
        from perf_tasks import settings as settings_mod

        return settings_mod.load(self.root)

    @cached_property
    def inspection(self) -> Inspection:
        from perf_tasks.inspection import inspect

        return inspect(self.root, env=self.env)
