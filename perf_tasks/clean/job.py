"""One cleaning run as a task asks for it: the flags checked, the workspace opened, then plan and
execute under the run lock. The policy lives here so that every task (and the next ones, and the
monitor's clean over budget) shares it: `clean` is the one call, `Cleaned` its result.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import settings as settings_mod
from perf_tasks import workspace
from perf_tasks.cargo.probe import StatusFn
from perf_tasks.clean import run, stale
from perf_tasks.clean.apply import Progress
from perf_tasks.clean.model import SCHEMA_VERSION, Plan, Report, Skip
from perf_tasks.clean.safety import Guard
from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError, Declined, ExitCode, UsageError
from perf_tasks.fs import mounts
from perf_tasks.fs.scan import Scan
from perf_tasks.quantities import format_bytes, parse_size, plural
from perf_tasks.settings import Settings

# Deleting more than this is worth a progress bar.
LARGE_BYTES = 500 * 10**6
LARGE_FILES = 20_000


@dataclass(frozen=True)
class Request:
    """What the user asked for, from the flags."""

    mode: str  # routine, target, nuke, runs, artifacts, cache
    dry_run: bool = False
    force: bool = False  # also profiles a running cargo build holds
    build: bool = False  # let the configured commands compile first
    shared: bool | None = None  # clean a cargo dir outside the root; None: [stale] shared
    within_budget: bool = False  # clean.target --force: every unused dir, whatever the budget
    budget: str | None = None  # clean.target --budget, as written
    ask: bool = False  # clean.nuke without --yes


def check(request: Request, *, invoke_dry: bool, can_ask: bool) -> None:
    """Refuse, before any work, the runs that could delete what the user did not mean to."""
    if invoke_dry and not request.dry_run:
        raise UsageError(
            "invoke's --dry only echoes commands; it does not stop a deletion. "
            "Use --dry-run to see the plan"
        )
    if request.dry_run and request.build:
        raise UsageError("--build compiles, and a dry run never does: pass one of them")
    if request.ask and not request.dry_run and not can_ask:
        raise UsageError(
            "clean.nuke asks before it removes everything, and there is no terminal to ask on: "
            "pass --yes"
        )


@dataclass(frozen=True)
class Planned:
    plan: Plan
    scan: Scan


@dataclass(frozen=True)
class Job:
    request: Request
    guard: Guard
    settings: Settings
    env: Mapping[str, str]
    on_status: StatusFn | None = None

    @classmethod
    def open(
        cls,
        root: Path,
        request: Request,
        *,
        env: Mapping[str, str],
        on_status: StatusFn | None = None,
    ) -> Job:
        """Load the settings and the workspace, and build its guard (config errors come here)."""
        config = with_budget(settings_mod.load(root), request.budget)
        ws = workspace.load(root, env=env)
        guard = Guard.for_workspace(ws, config, shared=request.shared)
        return cls(request, guard, config, env, on_status)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """A real run holds the workspace so that two of them (two cron jobs) never collide."""
        if self.request.dry_run:
            yield
            return
        from perf_tasks.runlock import run_lock

        with run_lock(self.guard.workspace.root):
            yield

    def plan(self, *, now: float) -> Planned:
        options = stale.Options(
            build=self.request.build,
            env=dict(self.env),
            on_status=self.on_status,
        )
        plan, scanned = run.plan(
            self.request.mode,
            self.guard,
            self.settings,
            now=now,
            force=self.request.force,
            stale_options=options,
            within_budget=self.request.within_budget,
        )
        return Planned(plan, scanned)

    def must_ask(self, planned: Planned) -> bool:
        return self.request.ask and not self.request.dry_run and bool(planned.plan.items)

    def question(self, planned: Planned) -> str:
        plan = planned.plan
        return (
            f"Remove {plural(len(plan.items), 'item')} ({format_bytes(plan.bytes)}) "
            f"under {self.guard.workspace.root}?"
        )

    def large(self, planned: Planned) -> bool:
        """Worth a progress bar: a real run deleting much."""
        items = planned.plan.items
        return not self.request.dry_run and (
            planned.plan.bytes >= LARGE_BYTES or sum(i.files for i in items) >= LARGE_FILES
        )

    def execute(self, planned: Planned, *, progress: Progress | None, now: float) -> Report:
        report = run.execute(
            planned.plan,
            planned.scan,
            self.guard,
            dry_run=self.request.dry_run,
            force=self.request.force,
            progress=progress,
        )
        if self.request.mode == "cache":
            report = dataclasses.replace(report, extra=run.cache_extras(self.env, now=now))
        if self.request.mode in ("nuke", "routine"):
            nuke = self.request.mode == "nuke"
            facts = scratch_facts(
                self.guard.workspace.root, self.env, remove=nuke and not self.request.dry_run
            )
            if facts is not None and nuke and self.request.dry_run:
                facts["would_remove"] = True
            if facts is not None:
                report = dataclasses.replace(report, extra={**report.extra, "scratch": facts})
            if facts is not None and isinstance(facts.get("kept"), str):
                stays = Skip(Path(str(facts["path"])), str(facts["kept"]), blocking=True)
                report = dataclasses.replace(report, skipped=(*report.skipped, stays))
        return report


def scratch_facts(root: Path, env: Mapping[str, str], *, remove: bool) -> dict[str, object] | None:
    """The workspace's A/B scratch folder (`ab/worktree.py`, outside the root): its size, and
    whether it was removed (`clean.nuke` removes it; the routine clean only reports it). None
    when there is none."""
    from perf_tasks.ab.worktree import Scratch

    scratch = Scratch.of(root, env)
    if not scratch.dir.is_dir():
        return None
    size = scratch.size_bytes()
    kept = _scratch_stays(scratch.dir) if remove else None
    removed = scratch.remove() if remove and kept is None else False
    facts: dict[str, object] = {"path": str(scratch.dir), "bytes": size, "removed": removed}
    if kept is not None:
        facts["kept"] = kept
    return facts


def _scratch_stays(folder: Path) -> str | None:
    """Why the scratch folder must not be removed, or None. `rm --one-file-system` does not stop
    at a bind mount from the same file system (same `st_dev`): only the mount table shows it."""
    try:
        st = os.lstat(folder)
    except OSError as exc:
        return f"cannot check it: {exc.strerror}"
    if st.st_uid != os.geteuid():
        return "belongs to another user: left alone"
    points = mounts.mount_points()
    real = Path(os.path.realpath(folder))
    inside = mounts.mounts_within(points, (real,)) if points is not None else frozenset()
    if inside:
        return f"holds a mount point ({min(inside)}): it and the folder stay"
    return None


def with_budget(config: Settings, budget: str | None) -> Settings:
    """`config` with the target budget of `--budget`, when given."""
    if budget is None:
        return config
    try:
        size = parse_size(budget)
    except ValueError as exc:
        raise ConfigError(f"--budget: {exc}") from None
    return dataclasses.replace(config, budgets=dataclasses.replace(config.budgets, target=size))


def exit_code(report: Report, request: Request) -> ExitCode:
    """INCOMPLETE when a path could not be read or removed, or was blocked (a mount point), dry
    run or not, and when the build the user asked for (--build) failed."""
    if not report.ok or (request.build and run.build_failed(report)):
        return ExitCode.INCOMPLETE
    return ExitCode.OK


@dataclass(frozen=True)
class Cleaned:
    """A cleaning run's result: its report, and the request it answers (for the exit code)."""

    report: Report
    request: Request

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.report, self.request)

    def as_json(self) -> dict[str, Any]:
        return report_json(self.report)


# A progress bar for the deletion, or none: given whether the deletion is large.
ProgressFor = Callable[[bool], AbstractContextManager[Progress]]


def clean(
    context: RunContext,
    request: Request,
    *,
    invoke_dry: bool = False,
    on_status: StatusFn | None = None,
    confirm: Callable[[str], bool] | None = None,
    progress: ProgressFor | None = None,
) -> Cleaned:
    """Check, open, plan, ask (`confirm`; None: nobody to ask), execute: the one call of a
    cleaning run. `Declined` when the person says no."""
    check(request, invoke_dry=invoke_dry, can_ask=confirm is not None)
    job = Job.open(context.root, request, env=context.env, on_status=on_status)
    with job.locked():
        planned = job.plan(now=time.time())
        if job.must_ask(planned) and not (confirm and confirm(job.question(planned))):
            raise Declined("nothing removed")
        bar = progress(job.large(planned)) if progress else nullcontext(_no_progress)
        with bar as step:
            report = job.execute(planned, progress=step, now=time.time())
    return Cleaned(report, request)


def clean_over_budget(
    context: RunContext, *, invoke_dry: bool = False, on_status: StatusFn | None
) -> tuple[str, int]:
    """clean.target as its task runs it, for the monitor: what it did and freed."""
    done = clean(context, Request("target"), invoke_dry=invoke_dry, on_status=on_status)
    freed = done.report.freed_bytes
    state = "" if done.report.ok else " (not everything could be removed: run clean.target)"
    return f"clean.target ran and freed {format_bytes(freed)}{state}", freed


def survey_target(context: RunContext) -> dict[str, Any]:
    """What `clean.target --force --dry-run --json` prints: every stale unit and every unused dir
    of the target dir with the bytes each frees, and the budget's figures. For `doctor`, which
    reads it without importing clean/."""
    return clean(context, Request("target", dry_run=True, within_budget=True)).as_json()


def _no_progress(done: int, total: int) -> None:
    return None


def report_json(report: Report) -> dict[str, Any]:
    removed = {i.path for i in report.removed}
    plan = report.plan
    by_category: dict[str, dict[str, int]] = defaultdict(
        lambda: {"items": 0, "bytes": 0, "freed_bytes": 0}
    )
    for item in plan.items:
        by_category[item.category]["items"] += 1
        by_category[item.category]["bytes"] += item.bytes
    for category, freed in report.freed_by_category.items():
        by_category[category]["freed_bytes"] = freed
    return {
        "schema_version": SCHEMA_VERSION,
        "mode": plan.mode,
        "dry_run": report.dry_run,
        "ok": report.ok,
        "root": str(plan.root),
        "items": [
            {
                "path": str(i.path),
                "bytes": i.bytes,
                "files": i.files,
                "category": i.category,
                "reason": i.reason,
                "removed": i.path in removed,
            }
            for i in plan.items
        ],
        "totals": {
            "items": len(plan.items),
            "bytes": plan.bytes,
            "freed_bytes": report.freed_bytes,
            "removed_items": len(report.removed),
            "by_category": dict(by_category),
            # Bytes that only go when two categories go together (links across them): with the
            # categories' own freed_bytes, this adds up to freed_bytes.
            "freed_shared_bytes": report.freed_shared_bytes,
        },
        "areas": [
            {"label": a.label, "path": str(a.path), "bytes_before": a.bytes, "bytes_after": b.bytes}
            for a, b in zip(plan.areas, report.areas_after or plan.areas, strict=True)
        ],
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in report.skipped],
        "errors": [
            {"path": str(e.path), "error": e.error} for e in (*report.errors, *plan.scan_errors)
        ],
        "notes": list(plan.notes),
        "elapsed_s": round(report.elapsed_s, 3),
        **report.extra,
    }
