"""The baseline record: one JSON document, documented in docs/baseline-record.md.

Other tools read these names, so they only change with `SCHEMA_VERSION`: `environment`,
`disk.<name>.bytes`, `build.wall_s.median`, `tests.wall_s.median`, `tests.passed`, `tests.failed`.
Paths inside the workspace are written relative to its root, and a command line names the root as
`$PWD`, so that a committed record does not depend on where the workspace was checked out.

`build` is the one place the JSON is made; `load` reads a file back as a typed `Record`
(`measure/schema.py`), refusing what is not a record of a schema version we know.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks import __version__
from perf_tasks.errors import ConfigError
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.read import read_record
from perf_tasks.measure.result import Phase, Result
from perf_tasks.measure.schema import Record
from perf_tasks.measure.shell import shell_line, shell_path
from perf_tasks.measure.stats import Stats
from perf_tasks.paths import relative

SCHEMA_VERSION = 1
KIND = "perf-tasks.baseline"
# A record of 100,000 tests takes a few MiB; a larger file is not one we wrote.
MAX_RECORD_BYTES = 64 * 2**20


def build(result: Result) -> dict[str, Any]:
    """The record of a baseline run. Pure: everything comes from `result`."""
    plan = result.plan
    root = plan.root
    phases = result.phases
    build_part: dict[str, Any] | None = None
    if PhaseName.BUILD in phases:
        build_part = _phase_json(phases[PhaseName.BUILD], root)
        for name in (PhaseName.BUILD_INCREMENTAL, PhaseName.BUILD_COLD):
            phase = phases.get(name)
            build_part[name.record_path[-1]] = _phase_json(phase, root) if phase else None
        if build_part["incremental"] is not None:
            build_part["incremental"]["touched"] = relative(plan.touch, root)
    tests_part: dict[str, Any] | None = None
    if PhaseName.TESTS in phases:
        tests = phases[PhaseName.TESTS]
        tests_part = _phase_json(tests, root)
        tests_part.update(
            runner=plan.runner,
            profile=plan.profile,
            profile_source=plan.profile_source,
            tool_config=(
                {"path": relative(plan.tool_config, root), "text": plan.tool_config_text}
                if plan.tool_config is not None
                else None
            ),
        )
        tests_part.update(_counts_json(tests))
        tests_part["durations"] = tests.durations
        tests_part["durations_range"] = tests.durations_range
        tests_part["timed_out"] = list(tests.timed_out)
        doc = phases.get(PhaseName.TESTS_DOC)
        tests_part["doc"] = None
        if doc is not None:
            tests_part["doc"] = {**_phase_json(doc, root), **_counts_json(doc)}
    return envelope(
        started_at=result.started_at,
        elapsed_s=result.elapsed_s,
        ok=result.tests_failed == 0,
        workspace={
            "name": root.name,
            "members": list(plan.members),
            "target_dir": relative(plan.workspace.target_dir, root),
            "build_dir": relative(plan.workspace.build_dir, root),
        },
        settings=plan.options.as_json(),
        environment=result.environment,
        build=build_part,
        tests=tests_part,
        disk={name: usage.as_json() for name, usage in result.disk.items()},
        disk_added=result.disk_added,
        warnings=result.warnings,
        sources_changed=[
            {"phase": phase, "files": list(files)} for phase, files in result.sources_changed
        ],
    )


def envelope(
    *,
    started_at: float,
    elapsed_s: float,
    ok: bool,
    workspace: Mapping[str, Any],
    settings: Mapping[str, Any] | None,
    environment: Mapping[str, Any],
    build: Mapping[str, Any] | None,
    tests: Mapping[str, Any] | None,
    disk: Mapping[str, Any] | None = None,
    disk_added: Mapping[str, int] | None = None,
    warnings: Sequence[str] = (),
    sources_changed: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The record around its parts: what a baseline writes, and what `tests.merge` writes from
    the reports of a sharded run (no build, no disk)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "tool": {"name": "perf-tasks", "version": __version__},
        "started_at": _iso(started_at),
        "elapsed_s": round(elapsed_s, 3),
        "ok": ok,
        "workspace": dict(workspace),
        "settings": None if settings is None else dict(settings),
        "environment": dict(environment),
        "build": None if build is None else dict(build),
        "tests": None if tests is None else dict(tests),
        "disk": dict(disk or {}),
        "disk_added": dict(disk_added or {}),
        "warnings": list(warnings),
        "sources_changed": list(sources_changed),
    }


def _phase_json(phase: Phase, root: Path) -> dict[str, Any]:
    m = phase.measurement
    step = phase.step
    data: dict[str, Any] = {
        "command": shell_line(step.argv, root),
        "env": {k: shell_path(v, root) for k, v in step.env.items()},
        "before_each_run": step.before or None,
        "runs": len(m.runs),
        "warmup": m.warmup,
        "exit_codes": list(m.exit_codes),
    }
    for key, metric, integer in (
        ("wall_s", "wall_s", False),
        ("cpu_s", "cpu_s", False),
        ("user_s", "user_s", False),
        ("sys_s", "sys_s", False),
        ("peak_tree_rss_bytes", "peak_tree_rss", True),
        ("peak_process_rss_bytes", "peak_process_rss", True),
        ("sampler_cpu_s", "sampler_cpu_s", False),
    ):
        data[key] = stats_json(m.stats(metric), integer=integer)
    names = [r.peak_process_name for r in m.runs if r.peak_process_name]
    data["peak_process_name"] = max(set(names), key=names.count) if names else None
    data["ram_samples"] = [r.samples for r in m.runs]
    data["others_cpu_s"] = [r.others_cpu_s for r in m.runs]
    data["load_1m"] = [r.load_1m for r in m.runs]
    if phase.units:
        # The run that compiled the most: a warm build that rebuilds even once must show.
        most = max(reversed(phase.units), key=lambda u: u.compiled)
        data["units"] = {
            **most.as_json(),
            "compiled_per_run": [u.compiled for u in phase.units],
        }
    return data


def _counts_json(phase: Phase) -> dict[str, Any]:
    counts = phase.counts
    outcomes = {"failing": list(phase.failing), "varied": list(phase.varied)}
    if counts is None:
        none = {"passed": None, "failed": None, "skipped": None, "ignored": None, "flaky": None}
        return {**none, **outcomes}
    return {**counts.as_json(), "counts_varied": phase.counts_varied, **outcomes}


def stats_json(stats: Stats | None, *, integer: bool = False) -> dict[str, Any] | None:
    if stats is None:
        return None
    return stats.as_json(digits=None if integer else 6)


def _iso(epoch: float) -> str:
    stamp = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).replace(microsecond=0)
    return stamp.isoformat().replace("+00:00", "Z")


def dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, indent=2, sort_keys=False) + "\n"


def load(path: Path, *, program: str) -> Record:
    """A record from disk, checked to be one we can read, every field it is read with checked.

    `program` is what the user runs (`invoke`, `perf-tasks`), for the message when there is none.
    """
    from perf_tasks.fs.regular import read_input

    missing = ConfigError(
        f"no baseline record at {path}: run `{program} baseline` first, or pass --old PATH"
    )
    text = read_input(  # a FIFO or /dev/zero: never a hang
        path, kind="a perf-tasks baseline record", missing=missing, limit=MAX_RECORD_BYTES
    )
    return parse(text, source=str(path))


def parse(text: str, *, source: str) -> Record:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{source} is not JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"{source} is not a perf-tasks baseline record (JSON nested too deeply)"
        ) from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ConfigError(f"{source} is not a perf-tasks baseline record")
    version = data.get("schema_version")
    if version is None:
        raise ConfigError(f"{source} has no schema_version: it is not a perf-tasks baseline record")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(
            f"{source}: schema_version must be a whole number from 1, "
            f"got {json.dumps(version)[:40]}"
        )
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{source} has schema_version {version}; this perf-tasks reads up to "
            f"{SCHEMA_VERSION}: upgrade perf-tasks"
        )
    return read_record(data, source=source)


def stored(path: Path) -> Record | None:
    """The record at `path`, for an estimate; None when there is none, or none we can read (an
    estimate never stops anything)."""
    if not path.is_file():
        return None
    try:
        return load(path, program="perf-tasks")
    except ConfigError:
        return None
