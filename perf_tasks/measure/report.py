"""Baseline.md: the report a person reads beside baseline.json, written from the record.

The tables, the environment, and how to reproduce each figure. A file, not terminal output:
a record in, Markdown out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from perf_tasks.measure.disk import added_note
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.read import as_record
from perf_tasks.measure.schema import DiskUsage, Environment, Record, Stats, Timed
from perf_tasks.quantities import format_bytes, format_seconds, plural

SLOWEST = 10


def markdown(data: Record | Mapping[str, Any], *, program: str) -> str:
    """Baseline.md: the tables a person reads, the environment, and how to reproduce each figure.

    `program` is what the user ran (`invoke`, `perf-tasks`): the reproduce lines use it."""
    record = as_record(data, source="the record")
    env = record.environment
    settings = record.settings
    lines = [
        f"# Performance baseline: {record.workspace_name or 'workspace'}",
        "",
        f"Recorded {record.started_at} by perf-tasks {record.tool_version} "
        f"(`{program} baseline`){_git_text(env)}. Every timed command ran "
        f"{plural(settings.runs, 'time')} after {plural(settings.warmup, 'warmup run')}; times are "
        "wall-clock medians, CPU is user + system time of the whole process tree, RAM is sampled "
        "(the peak sum over the process tree, and the largest single process). The "
        "machine-readable record is `baseline.json` beside this file (its schema: perf-tasks "
        "docs/baseline-record.md).",
        "",
    ]
    if record.warnings:
        lines += ["Warnings:", "", *[f"- {w}" for w in record.warnings], ""]
    lines += ["## Build", ""]
    timed = record.timed()
    lines += _phase_table([(n, t) for n, t in timed if n.is_build], "units compiled / fresh")
    if record.build is not None and record.build.touched:
        lines += ["", f"The incremental build touches `{record.build.touched}` before each run."]
    lines += ["", "## Tests", ""]
    test_phases = [(n, t) for n, t in timed if n.is_tests]
    lines += _phase_table(test_phases, "passed / failed / skipped / ignored")
    lines += _runner_text(record)
    lines += [
        "",
        "## Disk",
        "",
        "Allocated bytes as `du -s -B1` counts them, measured before the timed runs.",
        "",
    ]
    lines += _disk_tables(record.disk)
    note = added_note(record.disk_added)
    if note:
        lines += ["", note[0].upper() + note[1:] + "."]
    lines += ["", "## Environment", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {text} |" for key, text in _environment_rows(env)]
    lines += ["", "## Reproduce", "", *_reproduce(record, program), ""]
    return "\n".join(lines)


def _phase_table(rows: Sequence[tuple[PhaseName, Timed]], result_title: str) -> list[str]:
    lines = [
        f"| | median | min | max | MAD | CPU | RAM, tree | RAM, largest process | {result_title} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, phase in rows:
        wall = phase.wall_s
        largest = size(median(phase.peak_process_rss_bytes))
        if phase.peak_process_name:
            largest += f" ({phase.peak_process_name})"
        if name.is_build:
            compiled, fresh = units_text(phase)
            result = f"{compiled} / {fresh}"
        elif phase.counts is None or phase.counts.passed is None:
            result = "unknown"
        else:
            c = phase.counts
            result = f"{c.passed} / {c.failed} / {c.skipped or 0} / {c.ignored or 0}"
        low, high, mad = (None, None, None) if wall is None else (wall.min, wall.max, wall.mad)
        lines.append(
            f"| {name.heading} | {secs(median(wall))} | {secs(low)} | {secs(high)} | {secs(mad)} | "
            f"{secs(median(phase.cpu_s))} | {size(median(phase.peak_tree_rss_bytes))} | "
            f"{largest} | {result} |"
        )
    return lines


def _runner_text(record: Record) -> list[str]:
    tests = record.tests
    lines: list[str] = []
    if tests is None:
        return lines
    if tests.runner == "cargo-test":
        lines += [
            "",
            "cargo-nextest was not installed: the tests ran with `cargo test`, and per-test "
            "durations are not recorded.",
        ]
    elif tests.runner:
        origin = "the workspace" if tests.profile_source == "workspace" else "perf-tasks"
        lines += [
            "",
            f"The tests ran with nextest, profile `{tests.profile}` (from {origin}); "
            "doctests, which nextest does not run, with `cargo test --doc`.",
        ]
    slowest = _slowest(tests.durations)
    if slowest:
        lines += ["", "Slowest tests (median over the runs, from nextest's JUnit report):", ""]
        lines += ["| test | binary | time |", "|---|---|---:|"]
        lines += [f"| `{name}` | `{binary}` | {secs(t)} |" for binary, name, t in slowest]
    return lines


def _disk_tables(disk: Mapping[str, DiskUsage]) -> list[str]:
    lines = ["| output | path | size | bytes | files |", "|---|---|---:|---:|---:|"]
    for name, usage in disk.items():
        lines.append(
            f"| {name} | {path_text(usage, code=True)} | {format_bytes(usage.bytes)} | "
            f"{usage.bytes} | {usage.files} |"
        )
    target = disk.get("target")
    if target is not None and target.profiles:
        lines += ["", "The target dir by profile:", ""]
        lines += [
            "| profile | total | deps/ | build/ | incremental/ | other |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, p in target.profiles.items():
            parts = " | ".join(
                format_bytes(p.parts[k].bytes) for k in ("deps", "build", "incremental", "other")
            )
            lines.append(f"| {name} | {format_bytes(p.bytes)} | {parts} |")
        other = target.other.bytes if target.other is not None else 0
        lines.append(f"| (outside profiles) | {format_bytes(other)} | | | | |")
    return lines


def _slowest(durations: Mapping[str, Mapping[str, float]]) -> list[tuple[str, str, float]]:
    flat = [(b, n, t) for b, tests in durations.items() for n, t in tests.items()]
    return sorted(flat, key=lambda x: -x[2])[:SLOWEST]


def _environment_rows(env: Environment) -> list[tuple[str, str]]:
    cores = f"{env.cpu_cores} logical"
    if env.cpu_cores_physical:
        cores += f", {env.cpu_cores_physical} physical"
    load = env.load_average
    git = env.git
    rows = [
        ("CPU", f"{env.cpu_model} ({cores})"),
        ("RAM", format_bytes(env.ram_bytes) if env.ram_bytes else "?"),
        ("OS", f"{env.os_release or env.os}, kernel {env.kernel}"),
        ("rustc", _code(env.rustc)),
        ("cargo", _code(env.cargo)),
        ("nextest", _code(env.nextest)),
        ("Cargo.lock sha256", _code(env.cargo_lock_sha256)),
        (
            "git",
            f"`{git.commit}`" + (" with uncommitted changes" if git.dirty else "")
            if git
            else "not a git checkout",
        ),
        ("load average at start", ", ".join(str(x) for x in load) if load else "?"),
    ]
    if env.build_env:
        text = ", ".join(f"`{k}={v}`" for k, v in env.build_env.items())
        rows.append(("build environment", text))
    return rows


def _reproduce(record: Record, program: str) -> list[str]:
    settings = record.settings
    runs = 3 if settings.runs is None else settings.runs
    warmup = 0 if settings.warmup is None else settings.warmup
    flags = f"--runs {runs} --warmup {warmup}" + (" --cold" if settings.cold else "")
    hyperfine = f"hyperfine -N --runs {runs} --warmup {warmup}"
    lines = [
        "From the workspace root. The whole record:",
        "",
        "```sh",
        f"{program} baseline {flags}",
        "```",
        "",
        "Each figure alone:",
        "",
        "```sh",
    ]
    build, tests = record.build, record.tests
    if build is not None:
        lines.append(f'{hyperfine} "{build.warm.command}"')
        if build.incremental is not None:
            lines.append(
                f'{hyperfine} --prepare "touch {build.touched}" "{build.incremental.command}"'
            )
        if build.cold is not None:
            lines += [
                "SCRATCH=$(mktemp -d)",
                'CARGO_TARGET_DIR="$SCRATCH/target" CARGO_BUILD_BUILD_DIR="$SCRATCH/build" '
                f"hyperfine -N --runs {build.cold.runs} "
                f'--prepare "rm -rf $SCRATCH/target $SCRATCH/build" "{build.cold.command}"',
            ]
    if tests is not None:
        lines.append(f'{hyperfine} "{tests.run.command}"')
        if tests.doc is not None:
            lines.append(f'{hyperfine} "{tests.doc.command}"')
    paths = [p for usage in record.disk.values() for p in usage.paths if p]
    lines.append("du -s -B1 " + " ".join(shlex.quote(p) for p in paths))
    lines.append("```")
    config = tests.tool_config if tests is not None else None
    if config is not None:
        lines += [
            "",
            f"The test command reads `{config.path}`, which the baseline writes:",
            "",
            "```toml",
            config.text.rstrip("\n"),
            "```",
        ]
    return lines


def secs(value: float | None) -> str:
    return "\u2014" if value is None else format_seconds(value)


def size(value: float | None) -> str:
    return "\u2014" if value is None else format_bytes(int(value))


def median(stats: Stats | None) -> float | None:
    return None if stats is None else stats.median


def path_text(usage: DiskUsage, *, code: bool) -> str:
    text = ", ".join(f"`{p}`" if code else p for p in usage.paths)
    return text + ("" if usage.exists else " (absent)")


def units_text(phase: Timed) -> tuple[str, str]:
    """Units compiled and fresh, as text: `?` when not counted."""
    units = phase.units
    if units is None:
        return "?", "?"
    compiled, fresh = units.compiled, units.fresh
    return ("?" if compiled is None else str(compiled)), ("?" if fresh is None else str(fresh))


def _git_text(env: Environment) -> str:
    git = env.git
    if git is None or not git.commit:
        return ""
    dirty = ", with uncommitted changes" if git.dirty else ""
    return f" at commit `{git.commit[:12]}`{dirty}"


def _code(value: str | None) -> str:
    return f"`{value}`" if value else "not installed" if value is None else "?"
