"""The record on disk: command lines to paste, atomic writes, refusing what we cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perf_tasks.errors import ConfigError
from perf_tasks.measure import record
from perf_tasks.measure.shell import shell_line


def test_command_line_names_cargo_and_the_root_portably() -> None:
    root = Path("/work/ws")
    argv = [
        "/opt/rust/bin/cargo",
        "nextest",
        "run",
        "--tool-config-file",
        "perf-tasks:/work/ws/target/x.toml",
    ]
    assert shell_line(argv, root) == (
        "cargo nextest run --tool-config-file perf-tasks:$PWD/target/x.toml"
    )
    assert shell_line(["cargo", "test", "--", "a b"], root) == "cargo test -- 'a b'"


def test_a_root_that_needs_quoting_stays_literal() -> None:
    root = Path("/work/my ws")
    line = shell_line(["cargo", "x", "/work/my ws/target"], root)
    assert line == "cargo x '/work/my ws/target'" and "$PWD" not in line


def test_load_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="run `invoke baseline` first"):
        record.load(tmp_path / "missing.json", program="invoke")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="is not JSON"):
        record.load(bad, program="invoke")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema_version": 1, "kind": "something else"}))
    with pytest.raises(ConfigError, match="not a perf-tasks baseline record"):
        record.load(other, program="invoke")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"schema_version": 99, "kind": record.KIND}))
    with pytest.raises(ConfigError, match="upgrade perf-tasks"):
        record.load(newer, program="invoke")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"schema_version": 1, "kind": record.KIND}))
    assert record.load(good, program="invoke").schema_version == 1


def test_durations_range_is_read_and_checked_and_optional() -> None:
    from perf_tasks.measure.read import read_record

    base = {"schema_version": 1, "tests": {"command": "x", "durations": {"b": {"t": 0.2}}}}
    old = read_record(base, source="old.json")
    assert old.tests is not None and old.tests.durations_range == {}
    new = read_record(
        {**base, "tests": {**base["tests"], "durations_range": {"b": {"t": [0.1, 0.3]}}}},
        source="new.json",
    )
    assert new.tests is not None and new.tests.durations_range == {"b": {"t": (0.1, 0.3)}}
    for bad in ([0.3, 0.1], [0.1], "fast"):
        with pytest.raises(ConfigError, match=r"^bad\.json: tests\.durations_range\.b\.t must be"):
            read_record(
                {**base, "tests": {**base["tests"], "durations_range": {"b": {"t": bad}}}},
                source="bad.json",
            )
