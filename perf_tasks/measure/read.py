"""Reading a record's JSON into a typed `Record` (measure/schema.py), every field checked.

Readers use these parts and ignore keys they do not know. A value of the wrong type, a number that
is not finite, negative or absurd, or a part that is not a table is a `ConfigError` of one line
naming the file and the field. `null` (or a missing key) where the schema allows "not measured"
reads as None.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perf_tasks.errors import ConfigError
from perf_tasks.measure.schema import (
    Build,
    Counts,
    DiskUsage,
    Environment,
    Git,
    Part,
    ProfileUsage,
    Record,
    Settings,
    Stats,
    Tests,
    Timed,
    ToolConfig,
    Units,
)
from perf_tasks.quantities import MAX_SIZE

# Larger values are typos or corruption, not measurements.
MAX_SECONDS = 10.0**7  # about 116 days
MAX_COUNT = 10**9  # tests, units, runs, cores


def read_record(data: object, *, source: str) -> Record:
    """Read and check the parts of a parsed record that readers use."""
    top = _Node(source, "")
    table = top.table(data, "the record")
    env = top.child("environment")
    tool = top.child("tool")
    workspace = top.child("workspace")
    tool_table = tool.optional_table(table.get("tool")) or {}
    workspace_table = workspace.optional_table(table.get("workspace")) or {}
    return Record(
        schema_version=top.integer(table, "schema_version", maximum=MAX_COUNT),
        tool_version=tool.text(tool_table, "version"),
        workspace_name=workspace.text(workspace_table, "name"),
        started_at=top.text(table, "started_at"),
        elapsed_s=top.number(table, "elapsed_s", maximum=MAX_SECONDS),
        ok=top.flag(table, "ok"),
        settings=_settings(top.child("settings"), table.get("settings")),
        environment=_environment(env, table.get("environment")),
        build=_build(top.child("build"), table.get("build")),
        tests=_tests(top.child("tests"), table.get("tests")),
        disk=_disk(top.child("disk"), table.get("disk")),
        disk_added=_sizes(top.child("disk_added"), table.get("disk_added")),
        warnings=top.texts(table, "warnings"),
    )


def as_record(data: Record | Mapping[str, Any], *, source: str) -> Record:
    """A record as it is, or its JSON read with `read_record`."""
    return data if isinstance(data, Record) else read_record(data, source=source)


@dataclass(frozen=True)
class _Node:
    """Where in which file a value is: for messages that name both."""

    source: str
    path: str

    def child(self, key: str) -> _Node:
        return _Node(self.source, f"{self.path}.{key}" if self.path else key)

    def fail(self, key: str | None, expected: str, value: object) -> ConfigError:
        where = self.child(key).path if key is not None else self.path or "the record"
        return ConfigError(f"{self.source}: {where} must be {expected}, got {_brief(value)}")

    def table(self, value: object, what: str | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            if what is not None and not self.path:
                raise ConfigError(
                    f"{self.source}: {what} must be a JSON object, got {_brief(value)}"
                )
            raise self.fail(None, "a table (JSON object)", value)
        return value

    def optional_table(self, value: object) -> Mapping[str, Any] | None:
        return None if value is None else self.table(value)

    def number(
        self, table: Mapping[str, Any], key: str, *, maximum: float, unit: str = "seconds"
    ) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, "a number" if unit == "load" else f"a number of {unit}", value)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, "a finite number", value)
        if value < 0:
            raise self.fail(key, "zero or more", value)
        if value > maximum:
            raise self.fail(
                key, f"at most {maximum:g}" + ("" if unit == "load" else f" {unit}"), value
            )
        return float(value)

    def integer(self, table: Mapping[str, Any], key: str, *, maximum: int) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "a whole number", value)
        if value < 0:
            raise self.fail(key, "zero or more", value)
        if value > maximum:
            raise self.fail(key, f"at most {maximum}", value)
        return value

    def text(self, table: Mapping[str, Any], key: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, "text", value)
        return value

    def flag(self, table: Mapping[str, Any], key: str) -> bool | None:
        value = table.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def texts(self, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of texts", value)
        return tuple(value)


def _stats(node: _Node, value: object, *, unit: str, maximum: float) -> Stats | None:
    table = node.optional_table(value)
    if table is None:
        return None
    median = node.number(table, "median", maximum=maximum, unit=unit)
    if median is None:
        raise node.fail("median", f"a number of {unit}", None)
    low = node.number(table, "min", maximum=maximum, unit=unit)
    high = node.number(table, "max", maximum=maximum, unit=unit)
    _numbers(node, table, "samples", maximum=maximum, unit=unit)
    if low is not None and median < low:
        raise node.fail("median", f"at least min ({_brief(table.get('min'))})", table.get("median"))
    if high is not None and median > high:
        raise node.fail("median", f"at most max ({_brief(table.get('max'))})", table.get("median"))
    return Stats(
        median=median,
        mad=node.number(table, "mad", maximum=maximum, unit=unit) or 0.0,
        min=low,
        max=high,
    )


def _timed(node: _Node, value: object) -> Timed | None:
    table = node.optional_table(value)
    if table is None:
        return None

    def stats(key: str, unit: str, maximum: float) -> Stats | None:
        return _stats(node.child(key), table.get(key), unit=unit, maximum=maximum)

    for key, unit, maximum in _UNREAD_STATS:  # written, not read here: checked all the same
        stats(key, unit, maximum)
    _whole_numbers(node, table, "exit_codes", minimum=-(2**31))
    _numbers(node, table, "load_1m", maximum=MAX_COUNT, unit="load", nulls=True)
    env_node = node.child("env")
    env = env_node.optional_table(table.get("env")) or {}
    for key in env:
        env_node.text(env, key)
    units_node = node.child("units")
    units = units_node.optional_table(table.get("units"))
    if units is not None:
        _whole_numbers(units_node, units, "compiled_per_run", minimum=0)
    counts = None
    if any(key in table for key in ("passed", "failed", "skipped", "ignored")):
        counts = Counts(
            **{
                key: node.integer(table, key, maximum=MAX_COUNT)
                for key in ("passed", "failed", "skipped", "ignored", "flaky")
            }
        )
    return Timed(
        command=node.text(table, "command"),
        peak_process_name=node.text(table, "peak_process_name"),
        runs=node.integer(table, "runs", maximum=MAX_COUNT),
        warmup=node.integer(table, "warmup", maximum=MAX_COUNT),
        wall_s=stats("wall_s", "seconds", MAX_SECONDS),
        cpu_s=stats("cpu_s", "seconds", MAX_SECONDS),
        peak_tree_rss_bytes=stats("peak_tree_rss_bytes", "bytes", MAX_SIZE),
        peak_process_rss_bytes=stats("peak_process_rss_bytes", "bytes", MAX_SIZE),
        units=None
        if units is None
        else Units(
            compiled=units_node.integer(units, "compiled", maximum=MAX_COUNT),
            fresh=units_node.integer(units, "fresh", maximum=MAX_COUNT),
        ),
        counts=counts,
        others_cpu_s=_per_run(node, table, "others_cpu_s"),
        failing=node.texts(table, "failing"),
        varied=node.texts(table, "varied"),
    )


_UNREAD_STATS = tuple((key, "seconds", MAX_SECONDS) for key in ("user_s", "sys_s", "sampler_cpu_s"))


def _numbers(
    node: _Node,
    table: Mapping[str, Any],
    key: str,
    *,
    maximum: float,
    unit: str = "seconds",
    nulls: bool = False,
) -> None:
    """A list of numbers (or nulls, where a run may have none) that readers do not use: a record
    is checked whole all the same, so that a corrupt one is refused by every command."""
    value = table.get(key)
    if value is None:
        return
    if not isinstance(value, list) or (not nulls and None in value):
        raise node.fail(key, f"a list of numbers of {unit}" if unit != "load" else "a list", value)
    for i, item in enumerate(value):
        node.child(key).number({str(i): item}, str(i), maximum=maximum, unit=unit)


def _whole_numbers(node: _Node, table: Mapping[str, Any], key: str, *, minimum: int) -> None:
    value = table.get(key)
    if value is None:
        return
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and minimum <= v <= MAX_COUNT for v in value
    ):
        raise node.fail(key, "a list of whole numbers", value)


def _per_run(node: _Node, table: Mapping[str, Any], key: str) -> tuple[float | None, ...]:
    """A list with one number (or null) per run."""
    value = table.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise node.fail(key, "a list of numbers", value)
    return tuple(node.number({key: v}, key, maximum=MAX_SECONDS) for v in value)


def _build(node: _Node, value: object) -> Build | None:
    table = node.optional_table(value)
    warm = _timed(node, table)
    if table is None or warm is None:
        return None
    incremental = node.child("incremental").optional_table(table.get("incremental"))
    return Build(
        warm=warm,
        incremental=_timed(node.child("incremental"), incremental),
        cold=_timed(node.child("cold"), table.get("cold")),
        touched=None
        if incremental is None
        else node.child("incremental").text(incremental, "touched"),
    )


def _tests(node: _Node, value: object) -> Tests | None:
    table = node.optional_table(value)
    run = _timed(node, table)
    if table is None or run is None:
        return None
    config_node = node.child("tool_config")
    config = config_node.optional_table(table.get("tool_config"))
    for key in ("timed_out", "varied"):
        node.texts(table, key)
    return Tests(
        run=run,
        runner=node.text(table, "runner"),
        profile=node.text(table, "profile"),
        profile_source=node.text(table, "profile_source"),
        doc=_timed(node.child("doc"), table.get("doc")),
        durations=_durations(node.child("durations"), table.get("durations")),
        durations_range=_ranges(node.child("durations_range"), table.get("durations_range")),
        tool_config=None
        if config is None
        else ToolConfig(
            path=config_node.text(config, "path") or "",
            text=config_node.text(config, "text") or "",
        ),
    )


def _durations(node: _Node, value: object) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for binary, tests in (node.optional_table(value) or {}).items():
        binary_node = node.child(binary)
        found[binary] = {
            name: binary_node.number({name: t}, name, maximum=MAX_SECONDS) or 0.0
            for name, t in binary_node.table(tests).items()
        }
    return found


def _ranges(node: _Node, value: object) -> dict[str, dict[str, tuple[float, float]]]:
    """`durations_range`: binary -> test -> [fastest, slowest] seconds (absent in older records)."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    for binary, tests in (node.optional_table(value) or {}).items():
        binary_node = node.child(binary)
        found[binary] = {}
        for name, pair in binary_node.table(tests).items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise binary_node.fail(name, "a list of 2 numbers of seconds [min, max]", pair)
            test_node = binary_node.child(name)
            low, high = (
                test_node.number({str(i): t}, str(i), maximum=MAX_SECONDS) or 0.0
                for i, t in enumerate(pair)
            )
            if low > high:
                raise binary_node.fail(name, "[min, max] with min <= max", pair)
            found[binary][name] = (low, high)
    return found


def _part(node: _Node, value: object) -> Part:
    table = node.table(value)
    size = node.integer(table, "bytes", maximum=MAX_SIZE)
    if size is None:
        raise node.fail("bytes", "a whole number of bytes", None)
    return Part(bytes=size, files=node.integer(table, "files", maximum=MAX_SIZE))


def _profiles(node: _Node, value: object) -> dict[str, ProfileUsage]:
    found: dict[str, ProfileUsage] = {}
    for name, entry in (node.optional_table(value) or {}).items():
        total = _part(node.child(name), entry)
        parts = {
            key: _part(node.child(name).child(key), part)
            for key, part in node.child(name).table(entry).items()
            if key not in ("bytes", "files")
        }
        found[name] = ProfileUsage(bytes=total.bytes, files=total.files, parts=parts)
    return found


def _sizes(node: _Node, value: object) -> dict[str, int]:
    table = node.optional_table(value) or {}
    return {
        name: size
        for name in table
        if (size := node.integer(table, name, maximum=MAX_SIZE)) is not None
    }


def _disk(node: _Node, value: object) -> dict[str, DiskUsage]:
    table = node.optional_table(value)
    found: dict[str, DiskUsage] = {}
    for name, usage in (table or {}).items():
        part = node.child(name)
        entry = part.table(usage)
        size = part.integer(entry, "bytes", maximum=MAX_SIZE)
        if size is None:
            raise part.fail("bytes", "a whole number of bytes", None)
        path = entry.get("path")
        if path is not None and not isinstance(path, (str, list)):
            raise part.fail("path", "a path or a list of paths", path)
        paths = (path,) if isinstance(path, str) else tuple(str(p) for p in path or ())
        exists = part.flag(entry, "exists")
        other = entry.get("other")
        found[name] = DiskUsage(
            bytes=size,
            files=part.integer(entry, "files", maximum=MAX_SIZE),
            paths=paths,
            exists=True if exists is None else exists,
            profiles=_profiles(part.child("profiles"), entry.get("profiles")),
            other=None if other is None else _part(part.child("other"), other),
        )
    return found


def _environment(node: _Node, value: object) -> Environment:
    table = node.optional_table(value)
    if table is None:
        return Environment()
    git_node = node.child("git")
    git = git_node.optional_table(table.get("git"))
    load = table.get("load_average")
    if load is not None and not isinstance(load, list):
        raise node.fail("load_average", "a list of 3 numbers", load)
    load_node = node.child("load_average")
    return Environment(
        cpu_model=node.text(table, "cpu_model"),
        cpu_cores=node.integer(table, "cpu_cores", maximum=MAX_COUNT),
        os=node.text(table, "os"),
        rustc=node.text(table, "rustc"),
        cargo=node.text(table, "cargo"),
        nextest=node.text(table, "nextest"),
        git=None
        if git is None
        else Git(commit=git_node.text(git, "commit"), dirty=bool(git_node.flag(git, "dirty"))),
        cpu_cores_physical=node.integer(table, "cpu_cores_physical", maximum=MAX_COUNT),
        ram_bytes=node.integer(table, "ram_bytes", maximum=MAX_SIZE),
        os_release=node.text(table, "os_release"),
        kernel=node.text(table, "kernel"),
        cargo_lock_sha256=node.text(table, "cargo_lock_sha256"),
        build_env=_build_env(node.child("build_env"), table.get("build_env")),
        load_average=None
        if load is None
        else tuple(
            load_node.number({str(i): x}, str(i), maximum=MAX_COUNT, unit="load") or 0.0
            for i, x in enumerate(load)
        ),
    )


def _build_env(node: _Node, value: object) -> dict[str, str]:
    table = node.optional_table(value) or {}
    return {key: node.text(table, key) or "" for key in table}


def _settings(node: _Node, value: object) -> Settings:
    table = node.optional_table(value)
    if table is None:
        return Settings()
    return Settings(
        runs=node.integer(table, "runs", maximum=MAX_COUNT),
        warmup=node.integer(table, "warmup", maximum=MAX_COUNT),
        cold=bool(node.flag(table, "cold")),
        cold_runs=node.integer(table, "cold_runs", maximum=MAX_COUNT),
    )


def _brief(value: object) -> str:
    """The value as JSON would write it, cut short: a message stays one readable line."""
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"a number of {len(str(abs(value)))} digits"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}\u2026 ({len(text)} characters)"
