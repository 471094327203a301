"""How a baseline looks: the live status line, the summary, Baseline.md, the plan, the comparison.

Everything here reads the JSON record (or the plan, or the comparison); nothing measures.
"""

from __future__ import annotations

import io
import shlex
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf_tasks.measure import compare as cmp
from perf_tasks.measure.record import shell_line
from perf_tasks.paths import relative
from perf_tasks.ui.output import Output
from perf_tasks.units import format_bytes, format_seconds

if TYPE_CHECKING:
    from rich.console import RenderableType

    from perf_tasks.measure.baseline import Event, Plan

PHASE_TITLES = {
    "build": "warm (nothing to do)",
    "build.incremental": "incremental",
    "build.cold": "cold (scratch dirs)",
    "tests": "tests",
    "tests.doc": "doctests",
}
SLOWEST = 10


# ------------------------------------------------------------------------------------ progress


@contextmanager
def status(out: Output, *, plain: bool = False) -> Iterator[Callable[[Event], None]]:
    """A live line (phase, run i of N, elapsed) on a terminal; plain lines elsewhere, and when
    cargo's own output is streamed (`plain`)."""
    started = time.monotonic()
    if plain or not out.interactive:

        def line(event: Event) -> None:
            out.line(_event_text(event, started))

        yield line
        return

    from rich.live import Live

    state: dict[str, Any] = {"event": None, "since": started}

    class Line:
        def __rich__(self) -> RenderableType:
            event = state["event"]
            if event is None:
                return ""
            run_s = time.monotonic() - state["since"]
            total_s = time.monotonic() - started
            return f"{_event_text(event, None)} · {run_s:.1f} s (total {total_s:.0f} s)"

    with Live(Line(), console=out.console, refresh_per_second=4, transient=True):

        def update(event: Event) -> None:
            state["event"] = event
            state["since"] = time.monotonic()

        yield update


def _event_text(event: Event, started: float | None) -> str:
    if event.phase == "disk":
        text = "disk: scanning the outputs"
    elif event.runs == 0:
        text = f"{event.phase}: {_short(event.argv)}"
    else:
        kind = "warmup" if event.warmup else "run"
        text = f"{event.phase}: {kind} {event.run} of {event.runs}"
    if started is not None:
        text += f" ({time.monotonic() - started:.1f} s)"
    return text


def _short(argv: Sequence[str]) -> str:
    """The command without our tool config (a long path that says little)."""
    words = ["cargo" if Path(a).name == "cargo" else a for a in argv]
    shown = []
    for i, word in enumerate(words):
        if word == "--tool-config-file" or (i and words[i - 1] == "--tool-config-file"):
            continue
        shown.append(word)
    return " ".join(shown)


def stream_fd(out: Output) -> int | None:
    """The file descriptor human output goes to, for streaming cargo's output; None if none."""
    file = out.console.file
    try:
        file.flush()
        return file.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


# ------------------------------------------------------------------------------------ dry run


def render_plan(out: Output, plan: Plan) -> None:
    if out.json:
        out.emit_json(plan_json(plan))
        return
    out.line(f"dry run: the baseline of {plan.root} would run, from that dir:")
    for step in plan.steps:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env.items())
        command = shell_line(step.argv, plan.root)
        when = "untimed" if not step.timed else _runs_text(step.runs, step.warmup)
        extra = f"; before each run: {step.before}" if step.before else ""
        out.line(f"  {step.phase} ({when}{extra}): {env + ' ' if env else ''}{command}")
    names = ", ".join(["target", *plan.outputs])
    out.line(f"  disk: {names}")
    for note in plan.notes:
        out.line(f"note: {note}")
    out.line(f"dry run: nothing was run; it would write {relative(plan.record_dir, plan.root)}/")


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "dry_run": True,
        "root": str(plan.root),
        "steps": [
            {
                "phase": s.phase,
                "command": shell_line(s.argv, plan.root),
                "timed": s.timed,
                "runs": s.runs if s.timed else 1,
                "warmup": s.warmup,
                "env": dict(s.env),
                "before_each_run": s.before or None,
            }
            for s in plan.steps
        ],
        "disk": ["target", *plan.outputs],
        "record_dir": relative(plan.record_dir, plan.root),
        "notes": list(plan.notes),
    }


def _runs_text(runs: int, warmup: int) -> str:
    text = f"{runs} run{'s' if runs != 1 else ''}"
    return text + (f" after {warmup} warmup" if warmup else "")


# ------------------------------------------------------------------------------------ summary


def render_record(out: Output, record: Mapping[str, Any], *, written: Sequence[Path]) -> None:
    """The record on a terminal: a table per part; with --json, the record itself."""
    if out.json:
        out.emit_json(record)
    else:
        from rich.table import Table

        table = Table(show_edge=False, pad_edge=False)
        for column in ("", "median", "MAD", "CPU", "RAM, tree", "RAM, 1 process"):
            table.add_column(column, justify="right" if column else "left", no_wrap=True)
        for name, node in phases(record):
            wall = node.get("wall_s") or {}
            table.add_row(
                name,
                secs(wall.get("median")),
                secs(wall.get("mad")),
                secs(_median(node, "cpu_s")),
                _bytes(_median(node, "peak_tree_rss_bytes")),
                _bytes(_median(node, "peak_process_rss_bytes")),
            )
        out.console.print(table)
        for name, node in phases(record):
            out.line(f"{name}: {_result(name, node)}")
        disk = Table(show_edge=False, pad_edge=False)
        for column in ("output", "path", "size", "bytes", "files"):
            disk.add_column(column, justify="left" if column in ("output", "path") else "right")
        for name, usage in (record.get("disk") or {}).items():
            disk.add_row(
                name,
                _path_text(usage, code=False),
                format_bytes(usage["bytes"]),
                str(usage["bytes"]),
                str(usage["files"]),
            )
        out.console.print(disk)
        for warning in record.get("warnings") or ():
            out.warn(warning)
    out.line(closing_line(record, written), style="bold")


def closing_line(record: Mapping[str, Any], written: Sequence[Path]) -> str:
    tests = record.get("tests") or {}
    doc = tests.get("doc") or {}
    failed = (tests.get("failed") or 0) + (doc.get("failed") or 0)
    passed = (tests.get("passed") or 0) + (doc.get("passed") or 0)
    if failed:
        verdict = f"{failed} test(s) FAILED"
    else:
        verdict = "all tests passed" if passed else "no test ran"
    files = " and ".join(p.name for p in written) if written else "nothing"
    where = str(written[0].parent) if written else ""
    return f"baseline: {verdict}; wrote {files} in {where} ({record.get('elapsed_s', 0):.0f} s)"


def phases(record: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    found = []
    for name, path in cmp.PHASES:
        node: Any = record
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            found.append((name, node))
    return found


def _result(name: str, node: Mapping[str, Any]) -> str:
    if name.startswith("build"):
        units = node.get("units") or {}
        return f"{units.get('compiled', '?')} built, {units.get('fresh', '?')} fresh"
    if node.get("passed") is None:
        return "counts unknown"
    text = f"{node['passed']} passed, {node['failed']} failed"
    if node.get("skipped"):
        text += f", {node['skipped']} skipped"
    if node.get("ignored"):
        text += f", {node['ignored']} ignored"
    return text


# ------------------------------------------------------------------------------------ Baseline.md


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
            f"| {name} | {_path_text(usage, code=True)} | {format_bytes(usage['bytes'])} | "
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
        largest = _bytes(_median(node, "peak_process_rss_bytes"))
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
            f"| {PHASE_TITLES.get(name, name)} | {secs(wall.get('median'))} | "
            f"{secs(wall.get('min'))} | {secs(wall.get('max'))} | {secs(wall.get('mad'))} | "
            f"{secs(_median(node, 'cpu_s'))} | {_bytes(_median(node, 'peak_tree_rss_bytes'))} | "
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


# ------------------------------------------------------------------------------------ compare


KEY_LABELS = {
    "wall_s": "wall",
    "cpu_s": "CPU",
    "peak_tree_rss_bytes": "RAM, tree",
    "peak_process_rss_bytes": "RAM, 1 process",
    "units.compiled": "units built",
}


def render_comparison(
    out: Output,
    comparison: cmp.Comparison,
    *,
    verbose: bool = False,
    warnings: Sequence[str] = (),
) -> None:
    """A table of deltas by phase. Without --verbose, unchanged counts are left out. `warnings`
    are those of a fresh measurement (outliers, a busy machine)."""
    for warning in warnings:
        out.warn(warning)
    if out.json:
        out.emit_json(comparison.as_json())
    else:
        from rich.table import Table

        out.line(f"old: {comparison.old_label}")
        out.line(f"new: {comparison.new_label}")
        if comparison.advisory:
            out.warn(
                "the environments differ, so this comparison is advisory (time and disk changes "
                "do not fail it): " + "; ".join(comparison.advisory)
            )
        for note in comparison.notes:
            out.line(f"note: {note}")
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("", no_wrap=True)
        for column in ("old", "new", "change", "noise"):
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        group = None
        for row in comparison.rows:
            if not verbose and row.kind == cmp.COUNT and row.verdict == cmp.SAME:
                continue
            if row.group != group:
                group = row.group
                table.add_row(group, style="bold")
            table.add_row(
                "  " + KEY_LABELS.get(row.key, row.key),
                fmt(row.kind, row.old),
                fmt(row.kind, row.new),
                _change(row, percent_only=True),
                "" if row.threshold is None or row.kind == cmp.COUNT else _band(row),
                _verdict_text(row),
                style="red" if row.verdict == cmp.REGRESSION and row.counts else None,
            )
        out.console.print(table)
    out.line(comparison_line(comparison), style="bold")


def _band(row: cmp.Row) -> str:
    return f"\u00b1{fmt(row.kind, row.threshold)}"


def comparison_line(comparison: cmp.Comparison) -> str:
    regressions = comparison.regressions
    if regressions:
        names = ", ".join(f"{r.metric} ({_change(r)})" for r in regressions)
        return f"{len(regressions)} regression(s) outside the noise: {names}"
    advisory = [r for r in comparison.rows if r.verdict == cmp.REGRESSION]
    if advisory:
        return (
            f"no regression counts (advisory comparison); {len(advisory)} metric(s) would be "
            "worse: " + ", ".join(r.metric for r in advisory)
        )
    better = [r for r in comparison.rows if r.verdict == cmp.IMPROVEMENT]
    if better:
        return "no regression; better: " + ", ".join(f"{r.metric} ({_change(r)})" for r in better)
    return "no change outside the noise"


def _verdict_text(row: cmp.Row) -> str:
    if row.verdict == cmp.REGRESSION:
        return "REGRESSION" if row.counts else "worse"
    if row.verdict == cmp.IMPROVEMENT:
        return "better"
    if row.verdict == cmp.SAME:
        return "in noise" if row.kind != cmp.COUNT else "same"
    return row.verdict


def _change(row: cmp.Row, *, percent_only: bool = False) -> str:
    delta = row.delta
    if delta is None:
        return ""
    pct = row.delta_pct
    if percent_only and pct is not None and row.kind != cmp.COUNT:
        return f"{pct:+.1f}%".replace("-", "\u2212")
    sign = "+" if delta > 0 else "\u2212" if delta < 0 else "\u00b1"
    text = f"{sign}{fmt(row.kind, abs(delta))}"
    if pct is not None and row.kind != cmp.COUNT:
        text += f" ({pct:+.1f}%)".replace("-", "\u2212")
    return text


def fmt(kind: str, value: float | None) -> str:
    if value is None:
        return "—"
    if kind == cmp.TIME:
        return secs(value)
    if kind in (cmp.BYTES, cmp.RAM):
        return format_bytes(int(value))
    return str(int(value))


# ------------------------------------------------------------------------------------ helpers


def secs(value: float | None) -> str:
    return "—" if value is None else format_seconds(value)


def _bytes(value: float | None) -> str:
    return "—" if value is None else format_bytes(int(value))


def _median(node: Mapping[str, Any], key: str) -> float | None:
    stats = node.get(key)
    return stats.get("median") if isinstance(stats, Mapping) else None


def _path_text(usage: Mapping[str, Any], *, code: bool) -> str:
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
