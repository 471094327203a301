"""Disk: the target dir against its budget and its trend, what `clean` would free now, the dev
profile's incremental and debug info when the disk is tight, a target dir shared with other
workspaces. Pure functions over the facts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from perf_tasks.doctor import facts as facts_mod
from perf_tasks.doctor.facts import STALE_CATEGORIES, UNUSED_CATEGORIES, Facts, TargetSurvey
from perf_tasks.doctor.lines import toml_line
from perf_tasks.doctor.model import Evidence, Finding, Impact
from perf_tasks.profiles import model as profile_model
from perf_tasks.profiles.resolve import Value
from perf_tasks.quantities import format_bytes

# The trend is worth a warning when the budget is this many days away at the current growth.
TREND_WARN_DAYS = 14.0
TREND_WINDOW_DAYS = 30
BUDGET_KEY = "budgets.target"
# Bytes to free worth a finding when within budget: this share of the budget (over it, any).
WORTH_SHARE = 0.01


def check(facts: Facts) -> list[Finding]:
    return [
        *survey_missing(facts),
        *over_budget(facts),
        *trend(facts),
        *stale_units(facts),
        *unused_profiles(facts),
        *dev_profile_on_tight_disk(facts),
        *shared_target_dir(facts),
    ]


def _budget_evidence(facts: Facts, survey: TargetSurvey) -> Evidence:
    source = facts.settings.source if BUDGET_KEY in facts.settings.given else "default budget"
    return Evidence(f"{BUDGET_KEY} = {format_bytes(survey.budget)}", source)


def _size_evidence(survey: TargetSurvey, facts: Facts) -> Evidence:
    areas = ", ".join(facts.shown(Path(a)) for a in survey.areas) or "the target dir"
    return Evidence(f"{areas}: {format_bytes(survey.bytes)} (allocated blocks)", "the scanner")


def survey_missing(facts: Facts) -> Iterator[Finding]:
    if facts.survey is not None:
        return
    yield Finding(
        "disk.unsurveyed",
        "P1",
        "note",
        "the target dir could not be surveyed",
        (Evidence(facts.problems.get("survey", "no survey")),),
        "run `perf-tasks clean.target --dry-run` to see why",
    )


def over_budget(facts: Facts) -> Iterator[Finding]:
    survey = facts.survey
    if survey is None or not survey.over:
        return
    extra = survey.bytes - survey.budget
    yield Finding(
        "disk.target-over-budget",
        "P1",
        "error",
        f"the target dir is {format_bytes(extra)} over its budget",
        (_size_evidence(survey, facts), _budget_evidence(facts, survey)),
        "perf-tasks clean.target",
        Impact(f"measured: {format_bytes(extra)} over budget", bytes=extra, measured=True),
    )


def trend(facts: Facts) -> Iterator[Finding]:
    """Days until the budget at the growth the monitor's history shows, over its last
    `TREND_WINDOW_DAYS`. A history whose newest entry is in the future (a wrong clock) gives no
    trend: a wrong figure is worse than none."""
    survey = facts.survey
    points = [
        (e.at, e.values["disk.target.bytes"])
        for e in facts.history
        if "disk.target.bytes" in e.values
    ]
    if survey is None or len(points) < 2 or survey.over:
        return
    newest = points[-1][0]
    if newest > facts.now + timedelta(days=1):
        return
    points = [(at, v) for at, v in points if newest - at <= timedelta(days=TREND_WINDOW_DAYS)]
    if len(points) < 2:
        return
    (first_at, first), (last_at, last) = points[0], points[-1]
    days = (last_at - first_at).total_seconds() / 86400
    if days < 1 or last <= first:
        return
    per_day = (last - first) / days
    left = (survey.budget - survey.bytes) / per_day
    source = f"{facts.settings.monitor.dir}/history.jsonl"
    yield Finding(
        "disk.target-trend",
        "P1",
        "warning" if left <= TREND_WARN_DAYS else "note",
        f"at the current growth the target dir reaches its budget in {left:.0f} days",
        (
            Evidence(
                f"target dir {format_bytes(int(first))} -> {format_bytes(int(last))} over "
                f"{days:.0f} days ({format_bytes(int(per_day))}/day)",
                source,
            ),
            _size_evidence(survey, facts),
            _budget_evidence(facts, survey),
        ),
        "run `perf-tasks clean` daily (or `[monitor] clean_over_budget = true` in "
        "perf-tasks.toml, so the monitor runs clean.target when over budget)",
        Impact(
            f"estimated from the history: {format_bytes(int(per_day))} a day",
            bytes=int(per_day * 30),
        ),
    )


def _freed(survey: TargetSurvey, categories: tuple[str, ...]) -> int:
    return sum(survey.by_category.get(c, 0) for c in categories)


def _worth(survey: TargetSurvey, freed: int) -> bool:
    return freed > 0 and (survey.over or freed >= WORTH_SHARE * survey.budget)


def stale_units(facts: Facts) -> Iterator[Finding]:
    survey = facts.survey
    if survey is None:
        return
    if survey.stale_status not in ("swept", ""):
        yield Finding(
            "disk.stale-unjudged",
            "P1",
            "note",
            "stale units could not be judged",
            (Evidence(survey.stale_detail or survey.stale_status, "the stale planner"),),
            "build first (`cargo build --workspace`), then run `perf-tasks doctor` again",
        )
        return
    freed = _freed(survey, STALE_CATEGORIES)
    if not _worth(survey, freed):
        return
    parts = ", ".join(
        f"{c} {format_bytes(survey.by_category[c])}"
        for c in STALE_CATEGORIES
        if survey.by_category.get(c)
    )
    yield Finding(
        "disk.stale-units",
        "P1",
        "warning" if survey.over else "note",
        f"{format_bytes(freed)} of units and sessions no configured command builds any more",
        (Evidence(f"the stale planner's dry run: {parts}", "clean.target --dry-run"),),
        "perf-tasks clean",
        Impact(f"measured: {format_bytes(freed)} freed", bytes=freed, measured=True),
    )


def unused_profiles(facts: Facts) -> Iterator[Finding]:
    survey = facts.survey
    if survey is None:
        return
    freed = _freed(survey, UNUSED_CATEGORIES)
    if not _worth(survey, freed):
        return
    shown = "; ".join(f"{facts.shown(Path(p))}: {why}" for p, why in survey.unused[:4])
    yield Finding(
        "disk.unused-profiles",
        "P1",
        "warning" if survey.over else "note",
        f"{format_bytes(freed)} in dirs that no configured command builds",
        (Evidence(shown, "clean.target --force --dry-run"),),
        "perf-tasks clean.target --force",
        Impact(f"measured: {format_bytes(freed)} freed", bytes=freed, measured=True),
    )


def tight(facts: Facts) -> Evidence | None:
    """Why the disk counts as tight (the target dir near its budget, or little free space)."""
    survey = facts.survey
    if survey is not None and survey.bytes >= facts_mod.TIGHT_SHARE * survey.budget:
        return Evidence(
            f"target dir {format_bytes(survey.bytes)} of its {format_bytes(survey.budget)} budget",
            "the scanner",
        )
    budget = facts.settings.budgets.target
    if facts.free_bytes is not None and facts.free_bytes < budget:
        return Evidence(
            f"{format_bytes(facts.free_bytes)} free on the target dir's disk, less than the "
            f"budget ({format_bytes(budget)})",
            "the file system",
        )
    return None


def _dev_part(facts: Facts, part: str) -> int:
    return sum(parts.get(part, 0) for dir_, parts in facts.profile_parts.items() if _dev(dir_))


def _dev(profile_dir: str) -> bool:
    return profile_dir.rstrip("/").endswith("/debug")


def dev_profile_on_tight_disk(facts: Facts) -> Iterator[Finding]:
    why = tight(facts)
    if why is None or facts.profiles is None:
        return
    dev = next((p for p in facts.profiles.profiles if p.name == "dev"), None)
    if dev is None:
        return
    for ident, key, off in (
        ("disk.dev-incremental", "incremental", False),
        ("disk.dev-debug", "debug", 0),
    ):
        value = dev.values.get(key)
        if value is None or profile_model.same(key, value.value, off):
            continue
        part = "incremental" if key == "incremental" else "deps"
        size = _dev_part(facts, part)
        line = (
            toml_line(facts.manifest.text, ("profile", "dev"), key)
            if facts.manifest and value.source == "Cargo.toml"
            else None
        )
        written = "false" if key == "incremental" else "0"
        where = value.source if value.source != "default" else "cargo's default"
        what = "incremental/" if key == "incremental" else "deps/ (holds the debug info)"
        yield Finding(
            ident,
            "P2",
            "warning",
            f"profile.dev.{key} = {_toml(value.value)} while the disk is tight",
            (
                Evidence(f"[profile.dev] {key} = {_toml(value.value)}", where, line),
                why,
                Evidence(f"{what}: {format_bytes(size)} in the dev profile dirs", "the scanner"),
            ),
            _fix_at(facts, value, key, written, line),
            Impact(
                f"measured: {format_bytes(size)} in {what.split(' ', maxsplit=1)[0]}"
                + ("" if key == "incremental" else ", of which debug info is a large part"),
                bytes=size,
                measured=key == "incremental",
            ),
        )


def _fix_at(facts: Facts, value: Value, key: str, written: str, line: int | None) -> str:
    """The edit where cargo reads the value: Cargo.toml (or added there over cargo's default), the
    config file that sets it (`[profile.dev]`, or `[build] incremental` over every profile), or
    the variable to unset."""
    if value.source in ("default", "Cargo.toml"):
        return f"set `{key} = {written}` under [profile.dev] in Cargo.toml" + (
            f" (line {line})" if line else ""
        )
    if value.source.startswith("CARGO_") or value.source == "--config":
        return f"unset {value.source}" if value.source != "--config" else "drop that --config"
    table = ("profile", "dev") if value.profile else ("build",)
    config = next((c for c in facts.cargo_configs if c.shown == value.source), None)
    at = toml_line(config.text, table, key) if config is not None else None
    return f"set `{key} = {written}` under [{'.'.join(table)}] in {value.source}" + (
        f" (line {at})" if at else ""
    )


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def shared_target_dir(facts: Facts) -> Iterator[Finding]:
    target = facts.target_dir
    if target is None:
        return
    outside = [
        d
        for d in (facts.target_dir, facts.build_dir)
        if d is not None and not d.is_relative_to(facts.root)
    ]
    if not outside:
        return
    set_by = [
        f"{name}={facts.env[name]}"
        for name in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR")
        if facts.env.get(name)
    ]
    evidence = [Evidence(f"{d} is outside the workspace root", "cargo metadata") for d in outside]
    evidence += [Evidence(s, "environment") for s in set_by]
    for config in facts.cargo_configs:
        build = (config.data or {}).get("build")
        for key in ("target-dir", "build-dir"):
            if isinstance(build, dict) and key in build:
                line = toml_line(config.text, ("build",), key)
                evidence.append(Evidence(f"build.{key} = {build[key]!r}", config.shown, line))
    yield Finding(
        "disk.shared-target-dir",
        "P1",
        "note",
        "the target dir is outside the workspace and may be shared with other workspaces",
        tuple(evidence),
        "give this workspace its own target dir (unset CARGO_TARGET_DIR, or remove "
        "build.target-dir), or clean it with `perf-tasks clean.target --shared` knowing that "
        "the other workspaces' units look stale from here",
    )
