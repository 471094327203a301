"""Baseline.md: the report a person reads beside baseline.json, written from the record.

The tables, the environment, and how to reproduce each figure. A file, not terminal output:
plain text in, Markdown out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from perf_tasks.measure.phases import TIMED, PhaseName
from perf_tasks.units import format_bytes, format_seconds

SLOWEST = 10


def markdown(record: Mapping[str, Any]) -> str:
    """Baseline.md: the tables a person reads, the environment, and how to reproduce each figure."""
    env = record.get("environment") or {}
    settings = record.get("settings") or {}
    ws = record.get("workspace") or {}
    lines = [
        f"# Performance baseline: {ws.get('name', 'workspace')}",
        "",
        f"Recorded {record.get('started_at')} by perf-tasks {record['tool']['version']} "
        f"(`invoke baseline`){_git_text(env)}. Every timed command ran "
        f"{settings.get('runs')} time(s) after {settings.get('warmup')} warmup run(s); times are "
        "wall-clock medians, CPU is user + system time of the whole process tree, RAM is sampled "
        "(the peak sum over the process tree, and the largest single process). The "
        "machine-readable record is `baseline.json` beside this file (its schema: perf-tasks "
        "docs/baseline-record.md).",
        "",
    ]
    warnings = record.get("warnings") or []
    if warnings:
        lines += ["Warnings:", "", *[f"- {w}" for w in warnings], ""]
    lines += ["## Build", ""]
    lines += _phase_table(
        [(n, node) for n, node in phases(record) if n.startswith("build")], "units compiled / fresh"
    )
    incremental = (record.get("build") or {}).get("incremental") or {}
    if incremental.get("touched"):
        lines += ["", f"The incremental build touches `{incremental['touched']}` before each run."]
    lines += ["", "## Tests", ""]
    tests = record.get("tests") or {}
    test_phases = [(n, node) for n, node in phases(record) if n.startswith("tests")]
    lines += _phase_table(test_phases, "passed / failed / skipped / ignored")
    if tests.get("runner") == "cargo-test":
        lines += [
            "",
            "cargo-nextest was not installed: the tests ran with `cargo test`, and per-test "
            "durations are not recorded.",
        ]
    elif tests.get("runner"):
        origin = "the workspace" if tests.get("profile_source") == "workspace" else "perf-tasks"
        lines += [
            "",
            f"The tests ran with nextest, profile `{tests.get('profile')}` (from {origin}); "
            "doctests, which nextest does not run, with `cargo test --doc`.",
        ]
    slowest = _slowest(tests.get("durations") or {})
    if slowest:
        lines += ["", "Slowest tests (median over the runs, from nextest's JUnit report):", ""]
        lines += ["| test | binary | time |", "|---|---|---:|"]
        lines += [f"| `{name}` | `{binary}` | {secs(t)} |" for binary, name, t in slowest]
    lines += ["", "## Disk", "", "Allocated bytes as `du -s -B1` counts them, measured last.", ""]
    lines += ["| output | path | size | bytes | files |", "|---|---|---:|---:|---:|"]
    disk = record.get("disk") or {}
    for name, usage in disk.items():
        lines.append(
            f"| {name} | {path_text(usage, code=True)} | {format_bytes(usage['bytes'])} | "
            f"{usage['bytes']} | {usage['files']} |"
        )
    target = disk.get("target") or {}
    if target.get("profiles"):
        lines += ["", "The target dir by profile:", ""]
        lines += [
            "| profile | total | deps/ | build/ | incremental/ | other |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, p in target["profiles"].items():
            parts = " | ".join(
                format_bytes(p[k]["bytes"]) for k in ("deps", "build", "incremental", "other")
            )
            lines.append(f"| {name} | {format_bytes(p['bytes'])} | {parts} |")
        other = target.get("other") or {"bytes": 0}
        lines.append(f"| (outside profiles) | {format_bytes(other['bytes'])} | | | | |")
    lines += ["", "## Environment", "", "| | |", "|---|---|"]
    for key, text in _environment_rows(env):
        lines.append(f"| {key} | {text} |")
    lines += ["", "## Reproduce", "", *_reproduce(record), ""]
    return "\n".join(lines)


def _phase_table(rows: Sequence[tuple[str, Mapping[str, Any]]], result_title: str) -> list[str]:
    lines = [
        f"| | median | min | max | MAD | CPU | RAM, tree | RAM, largest process | {result_title} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, node in rows:
        wall = node.get("wall_s") or {}
        largest = size(median(node, "peak_process_rss_bytes"))
        if node.get("peak_process_name"):
            largest += f" ({node['peak_process_name']})"
        if name.startswith("build"):
            units = node.get("units") or {}
            result = f"{units.get('compiled', '?')} / {units.get('fresh', '?')}"
        elif node.get("passed") is None:
            result = "unknown"
        else:
            result = (
                f"{node['passed']} / {node['failed']} / {node.get('skipped', 0)} / "
                f"{node.get('ignored', 0)}"
            )
        lines.append(
            f"| {PhaseName(name).heading} | {secs(wall.get('median'))} | "
            f"{secs(wall.get('min'))} | {secs(wall.get('max'))} | {secs(wall.get('mad'))} | "
            f"{secs(median(node, 'cpu_s'))} | {size(median(node, 'peak_tree_rss_bytes'))} | "
            f"{largest} | {result} |"
        )
    return lines


def _slowest(durations: Mapping[str, Mapping[str, float]]) -> list[tuple[str, str, float]]:
    flat = [(b, n, t) for b, tests in durations.items() for n, t in tests.items()]
    return sorted(flat, key=lambda x: -x[2])[:SLOWEST]


def _environment_rows(env: Mapping[str, Any]) -> list[tuple[str, str]]:
    cores = f"{env.get('cpu_cores')} logical"
    if env.get("cpu_cores_physical"):
        cores += f", {env['cpu_cores_physical']} physical"
    load = env.get("load_average")
    git = env.get("git") or {}
    rows = [
        ("CPU", f"{env.get('cpu_model')} ({cores})"),
        ("RAM", format_bytes(env["ram_bytes"]) if env.get("ram_bytes") else "?"),
        ("OS", f"{env.get('os_release') or env.get('os')}, kernel {env.get('kernel')}"),
        ("rustc", _code(env.get("rustc"))),
        ("cargo", _code(env.get("cargo"))),
        ("nextest", _code(env.get("nextest"))),
        ("Cargo.lock sha256", _code(env.get("cargo_lock_sha256"))),
        (
            "git",
            f"`{git.get('commit')}`" + (" with uncommitted changes" if git.get("dirty") else "")
            if git
            else "not a git checkout",
        ),
        ("load average at start", ", ".join(str(x) for x in load) if load else "?"),
    ]
    build_env = env.get("build_env") or {}
    if build_env:
        rows.append(("build environment", ", ".join(f"`{k}={v}`" for k, v in build_env.items())))
    return rows


def _reproduce(record: Mapping[str, Any]) -> list[str]:
    settings = record.get("settings") or {}
    runs, warmup = settings.get("runs", 3), settings.get("warmup", 0)
    flags = f"--runs {runs} --warmup {warmup}" + (" --cold" if settings.get("cold") else "")
    lines = [
        "From the workspace root. The whole record (the `perf-tasks` program takes the same "
        "arguments):",
        "",
        "```sh",
        f"invoke baseline {flags}",
        "```",
        "",
        "Each figure alone:",
        "",
        "```sh",
    ]
    build = record.get("build") or {}
    if build:
        lines.append(f'hyperfine -N --runs {runs} --warmup {warmup} "{build["command"]}"')
    incremental = build.get("incremental") or {}
    if incremental:
        lines.append(
            f'hyperfine -N --runs {runs} --warmup {warmup} --prepare "touch '
            f'{incremental["touched"]}" "{incremental["command"]}"'
        )
    cold = build.get("cold") or {}
    if cold:
        lines += [
            "SCRATCH=$(mktemp -d)",
            'CARGO_TARGET_DIR="$SCRATCH/target" CARGO_BUILD_BUILD_DIR="$SCRATCH/build" '
            f'hyperfine -N --runs {cold["runs"]} --prepare "rm -rf $SCRATCH/target $SCRATCH/build" '
            f'"{cold["command"]}"',
        ]
    tests = record.get("tests") or {}
    if tests:
        lines.append(f'hyperfine -N --runs {runs} --warmup {warmup} "{tests["command"]}"')
    doc = tests.get("doc") or {}
    if doc:
        lines.append(f'hyperfine -N --runs {runs} --warmup {warmup} "{doc["command"]}"')
    disk = record.get("disk") or {}
    paths = []
    for usage in disk.values():
        path = usage.get("path")
        paths += path if isinstance(path, list) else [path]
    lines.append("du -s -B1 " + " ".join(shlex.quote(p) for p in paths if p))
    lines.append("```")
    config = tests.get("tool_config") or {}
    if config:
        lines += [
            "",
            f"The test command reads `{config['path']}`, which the baseline writes:",
            "",
            "```toml",
            config["text"].rstrip("\n"),
            "```",
        ]
    return lines


def phases(record: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The timed phases the record has, in order, with their part of the record."""
    found = []
    for name in TIMED:
        node: Any = record
        for key in name.record_path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            found.append((name.value, node))
    return found


def secs(value: float | None) -> str:
    return "\u2014" if value is None else format_seconds(value)


def size(value: float | None) -> str:
    return "\u2014" if value is None else format_bytes(int(value))


def median(node: Mapping[str, Any], key: str) -> float | None:
    stats = node.get(key)
    return stats.get("median") if isinstance(stats, Mapping) else None


def path_text(usage: Mapping[str, Any], *, code: bool) -> str:
    path = usage.get("path")
    paths = path if isinstance(path, list) else [str(path)]
    text = ", ".join(f"`{p}`" if code else p for p in paths)
    return text + ("" if usage.get("exists", True) else " (absent)")


def _git_text(env: Mapping[str, Any]) -> str:
    git = env.get("git") or {}
    if not git.get("commit"):
        return ""
    dirty = ", with uncommitted changes" if git.get("dirty") else ""
    return f" at commit `{git['commit'][:12]}`{dirty}"


def _code(value: Any) -> str:
    return f"`{value}`" if value else "not installed" if value is None else "?"
