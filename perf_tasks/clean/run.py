"""One cleaning run from start to end: select, plan, then apply or not. Prints nothing."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping

from perf_tasks.clean import cargo_home
from perf_tasks.clean.apply import Progress, apply
from perf_tasks.clean.model import Area, Plan, Report
from perf_tasks.clean.plan import (
    Selection,
    build_plan,
    measure_areas,
    select_artifacts,
    select_cache,
    select_nuke,
    select_runs,
    select_unfinished,
)
from perf_tasks.clean.safety import Guard
from perf_tasks.fs.scan import Scan
from perf_tasks.settings import Settings

MODES = ("routine", "nuke", "runs", "artifacts", "cache")


def plan(
    mode: str, guard: Guard, settings: Settings, *, now: float, force: bool = False
) -> tuple[Plan, Scan]:
    """The full plan of `mode`: what would go, why, and how big it is."""
    selection = select_unfinished(guard)
    if mode == "nuke":
        selection.extend(select_nuke(guard, settings))
    elif mode == "runs":
        selection.extend(select_runs(guard, settings, now=now))
    elif mode == "artifacts":
        selection.extend(select_artifacts(guard, settings, now=now))
    elif mode == "cache":
        selection.extend(select_cache(guard))
    elif mode == "routine":
        selection.extend(select_runs(guard, settings, now=now))
        selection.extend(select_artifacts(guard, settings, now=now))
        selection.extend(
            Selection(notes=["the stale-unit sweep of the target dir is not available yet"])
        )
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return build_plan(mode, guard, selection, force=force)


def execute(
    plan: Plan,
    scanned: Scan,
    guard: Guard,
    *,
    dry_run: bool,
    force: bool = False,
    progress: Progress | None = None,
) -> Report:
    if dry_run:
        return Report(
            plan=plan,
            dry_run=True,
            skipped=plan.skipped,
            freed_bytes=plan.freed_bytes,
            areas_after=_projected(plan),
        )
    report = apply(plan, guard=guard, force=force, progress=progress, freed=scanned.freed)
    return dataclasses.replace(report, areas_after=measure_areas(plan.areas))


def _projected(plan: Plan) -> tuple[Area, ...]:
    """Folder sizes after the plan, from the plan's own scan (a dry run deletes nothing)."""
    after = []
    for area in plan.areas:
        gone = sum(
            i.bytes for i in plan.items if i.path == area.path or area.path in i.path.parents
        )
        after.append(Area(area.label, area.path, max(0, area.bytes - gone)))
    return tuple(after)


def cache_extras(env: Mapping[str, str], *, now: float) -> dict[str, object]:
    home = cargo_home.cargo_home(env)
    if not home.is_dir():
        return {"cargo_home": None}
    return {"cargo_home": cargo_home.report(home, now=now).as_dict()}


ConfirmFn = Callable[[Plan], bool]


def environment() -> Mapping[str, str]:
    return os.environ
