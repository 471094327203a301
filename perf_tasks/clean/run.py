"""One cleaning run from start to end: select, plan, then apply or not. Prints nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from perf_tasks.clean import cargo_home, stale
from perf_tasks.clean.apply import Progress, apply
from perf_tasks.clean.model import Area, Plan, Report
from perf_tasks.clean.modes.artifacts import select_artifacts
from perf_tasks.clean.modes.cache import select_cache
from perf_tasks.clean.modes.nuke import select_nuke
from perf_tasks.clean.modes.routine import select_routine
from perf_tasks.clean.modes.runs import select_runs
from perf_tasks.clean.modes.target import select_target
from perf_tasks.clean.modes.unfinished import select_unfinished
from perf_tasks.clean.plan import build_plan, measure_areas
from perf_tasks.clean.safety import Guard
from perf_tasks.fs.scan import Scan
from perf_tasks.settings import Settings


def plan(
    mode: str,
    guard: Guard,
    settings: Settings,
    *,
    now: float,
    force: bool = False,
    stale_options: stale.Options | None = None,
    within_budget: bool = False,
) -> tuple[Plan, Scan]:
    """The full plan of `mode`: what would go, why, and how big it is.

    `routine` and `target` run the configured cargo commands to learn the keep-set
    (`stale_options` says how); `within_budget` makes `target` clean a dir that is under budget.
    """
    selection = select_unfinished(guard)
    facts: dict[str, object] = {}
    if mode == "nuke":
        selection.extend(select_nuke(guard, settings))
    elif mode == "runs":
        selection.extend(select_runs(guard, settings, now=now))
    elif mode == "artifacts":
        selection.extend(select_artifacts(guard, settings, now=now))
    elif mode == "cache":
        selection.extend(select_cache(guard))
    elif mode == "routine":
        sweep = select_routine(guard, settings, stale_options or stale.Options(), now=now)
        selection.extend(sweep.selection)
        facts.update(sweep.facts)  # "stale"
    elif mode == "target":
        sweep = select_target(
            guard, settings, stale_options or stale.Options(), base=selection, force=within_budget
        )
        selection.extend(sweep.selection)
        facts.update(sweep.facts)  # "budget", and "stale" when it went past the budget check
    else:
        raise ValueError(f"unknown mode {mode!r}")
    planned, scanned = build_plan(mode, guard, selection, force=force)
    return dataclasses.replace(planned, extra=facts), scanned


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
            freed_by_category=plan.freed_by_category,
            areas_after=_projected(plan, scanned),
            extra=dict(plan.extra),
        )
    report = apply(plan, guard=guard, force=force, progress=progress, freed=scanned.freed)
    return dataclasses.replace(
        report, areas_after=measure_areas(plan.areas), extra={**plan.extra, **report.extra}
    )


def _projected(plan: Plan, scanned: Scan) -> tuple[Area, ...]:
    """Folder sizes after the plan, from the plan's own scan (a dry run deletes nothing).

    What leaves a folder is what removing its items frees: a hard-linked file counts only when
    every one of its links is in the plan, exactly as the real run will find it.
    """
    after = []
    for area in plan.areas:
        inside = [i.path for i in plan.items if i.path == area.path or area.path in i.path.parents]
        after.append(Area(area.label, area.path, max(0, area.bytes - scanned.freed(inside))))
    return tuple(after)


def cache_extras(env: Mapping[str, str], *, now: float) -> dict[str, object]:
    home = cargo_home.cargo_home(env)
    if not home.is_dir():
        return {"cargo_home": None}
    return {"cargo_home": cargo_home.report(home, now=now).as_dict()}


def build_failed(report: Report) -> bool:
    """Did a configured command fail (with --build: the build the user asked for)?"""
    facts = report.extra.get("stale")
    return isinstance(facts, dict) and facts.get("status") == "failed"
