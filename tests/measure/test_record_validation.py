"""A record read from disk is checked field by field: a bad one is one line naming the file and the
field, exit 2, never a traceback. Run as users run it: `baseline.compare --old a.json --new b.json`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import one_line_error, perf

MIB = 2**20


def stat(median: float) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "mad": 0.0, "samples": [median]}


RECORD: dict[str, Any] = {
    "schema_version": 1,
    "kind": "perf-tasks.baseline",
    "started_at": "2026-01-02T03:04:05Z",
    "elapsed_s": 12.5,
    "ok": True,
    "settings": {"runs": 3, "warmup": 0, "cold": False, "cold_runs": 1},
    "environment": {
        "cpu_model": "Test CPU",
        "cpu_cores": 8,
        "os": "Linux",
        "rustc": "rustc 1.95.0",
        "cargo": "cargo 1.95.0",
        "nextest": None,
        "git": {"commit": "a" * 40, "dirty": False},
        "load_average": [0.5, 0.4, 0.3],
    },
    "build": {
        "command": "cargo build --workspace",
        "wall_s": stat(0.03),
        "cpu_s": stat(0.02),
        "peak_tree_rss_bytes": None,  # not measured: allowed
        "peak_process_rss_bytes": None,
        "units": {"compiled": 0, "fresh": 4},
        "incremental": {
            "command": "cargo build --workspace",
            "touched": "src/lib.rs",
            "wall_s": stat(0.5),
            "units": {"compiled": 3, "fresh": 1},
        },
        "cold": None,
    },
    "tests": {
        "command": "cargo test --workspace --tests --no-fail-fast",
        "runner": "cargo-test",
        "wall_s": stat(0.25),
        "passed": 13,
        "failed": 0,
        "skipped": 0,
        "ignored": 1,
        "doc": None,
    },
    "disk": {
        "target": {"path": "target", "exists": True, "bytes": 80 * MIB, "files": 900},
        "cache": {"path": "cache", "exists": False, "bytes": 0, "files": 0},
    },
    "warnings": [],
}


def compare(tmp_path: Path, old: Any, new: Any) -> subprocess.CompletedProcess[str]:
    for name, content in (("a.json", old), ("b.json", new)):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content))
    return perf("baseline.compare", "--old", "a.json", "--new", "b.json", cwd=tmp_path)


def changed(path: str, value: Any) -> dict[str, Any]:
    """RECORD with the value at a dotted path replaced; `...` removes the key."""
    data = copy.deepcopy(RECORD)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """One error line, exit 2, and nothing on stdout."""
    assert proc.stdout == ""
    return one_line_error(proc)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("build.wall_s.median", "fast", 'got "fast"'),
        ("build.wall_s.median", math.nan, "got NaN"),
        ("build.wall_s.median", math.inf, "got Infinity"),
        ("build.wall_s.median", 10**400, "401 digits"),
        ("build.wall_s.median", -0.5, "zero or more"),
        ("build.wall_s.median", 1e308, "at most"),
        ("build.incremental.wall_s.mad", "0.1", 'got "0.1"'),
        ("build.units.compiled", 2.5, "whole number"),
        ("disk.target.bytes", "81MB", 'got "81MB"'),
        ("disk.target.bytes", 10**400, "401 digits"),
        ("tests.passed", "13", 'got "13"'),
        ("tests.failed", True, "whole number"),
        ("settings.runs", "3", 'got "3"'),
        ("environment.cpu_cores", -8, "zero or more"),
        ("environment.load_average", "high", 'got "high"'),
    ],
)
def test_a_bad_number_is_one_line_naming_file_and_field(
    tmp_path: Path, field: str, value: Any, says: str
) -> None:
    line = one_line(compare(tmp_path, RECORD, changed(field, value)))
    assert line.startswith("error: b.json: ") and f" {field} " in line and says in line


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("build", "x"),
        ("tests", [1, 2]),
        ("environment", 7),
        ("build.wall_s", "0.03 s"),
        ("disk.target", 80),
        ("build.units", "x"),  # the part itself is named, not the one it is in
        ("build.incremental", [1]),
        ("build.incremental.units", 3),
    ],
)
def test_a_part_that_is_not_a_table_is_named(tmp_path: Path, field: str, value: Any) -> None:
    line = one_line(compare(tmp_path, changed(field, value), RECORD))
    assert line.startswith(f"error: a.json: {field} must be a table")


def test_a_binary_file_is_not_a_record(tmp_path: Path) -> None:
    line = one_line(compare(tmp_path, b"\x89PNG\r\n\x1a\n\x00\xff\xfe", RECORD))
    assert line == "error: a.json is not a perf-tasks baseline record (not UTF-8 text at byte 0)"


def test_a_missing_schema_version_is_not_a_record_not_an_old_tool(tmp_path: Path) -> None:
    line = one_line(compare(tmp_path, RECORD, changed("schema_version", ...)))
    assert "b.json has no schema_version" in line and "not a perf-tasks" in line
    assert "upgrade" not in line


def test_an_unknown_major_version_is_refused(tmp_path: Path) -> None:
    line = one_line(compare(tmp_path, RECORD, changed("schema_version", 2)))
    assert line == (
        "error: b.json has schema_version 2; this perf-tasks reads up to 1: upgrade perf-tasks"
    )
    line = one_line(compare(tmp_path, changed("schema_version", "1"), RECORD))
    assert line.startswith("error: a.json: schema_version must be a whole number")


def test_json_that_is_not_a_record_is_refused(tmp_path: Path) -> None:
    line = one_line(compare(tmp_path, "[1, 2, 3]", RECORD))
    assert line == "error: a.json is not a perf-tasks baseline record"
    line = one_line(compare(tmp_path, "{not json", RECORD))
    assert line.startswith("error: a.json is not JSON: ")


def test_unknown_keys_are_ignored_and_null_is_not_measured(tmp_path: Path) -> None:
    newer = changed("future_part", {"anything": [1, "x", None]})
    newer["build"]["a_new_metric"] = "fast"
    newer["tests"]["wall_s"]["p90"] = "n/a"
    newer["build"]["cpu_s"] = None
    proc = compare(tmp_path, RECORD, newer)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "no change outside the noise"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("min", 0.5, "build.wall_s.median must be at least min (0.5), got 0.03"),
        ("max", 0.01, "build.wall_s.median must be at most max (0.01), got 0.03"),
    ],
)
def test_a_median_outside_its_runs_is_refused(
    tmp_path: Path, field: str, value: float, says: str
) -> None:
    line = one_line(compare(tmp_path, RECORD, changed(f"build.wall_s.{field}", value)))
    assert line == f"error: b.json: {says}"


def test_a_file_that_cannot_be_a_record_is_refused_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    """A FIFO would block the read, /dev/zero never end it, a huge file fill the memory, deep
    nesting overflow the parser's stack: each is one line, at once."""
    compare(tmp_path, RECORD, RECORD)
    os.mkfifo(tmp_path / "fifo.json")
    with (tmp_path / "huge.json").open("wb") as f:
        f.truncate(65 * MIB)  # sparse: costs no disk
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for name, says in [
        ("fifo.json", "fifo.json is not a perf-tasks baseline record (not a regular file)"),
        ("/dev/zero", "/dev/zero is not a perf-tasks baseline record (not a regular file)"),
        ("huge.json", "huge.json is not a perf-tasks baseline record (larger than 64 MiB)"),
        ("deep.json", "deep.json is not a perf-tasks baseline record (JSON nested too deeply)"),
    ]:
        proc = perf("baseline.compare", "--old", "a.json", "--new", name, cwd=tmp_path, timeout=60)
        assert one_line(proc) == f"error: {says}"


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("tests.wall_s.samples", "x", "tests.wall_s.samples must be a list of numbers of seconds"),
        # variants: a field no comparison reads, in another part and of another kind
        ("build.incremental.wall_s.samples", [0.5, "fast"], "samples.1 must be a number"),
        ("build.exit_codes", [0, "ok"], "build.exit_codes must be a list of whole numbers"),
        ("tests.varied", "all", "tests.varied must be a list of texts"),
        ("build.user_s", {"median": "x"}, "build.user_s.median must be a number of seconds"),
    ],
)
def test_a_record_is_checked_whole_not_only_the_fields_a_comparison_reads(
    tmp_path: Path, field: str, value: Any, said: str
) -> None:
    # Both sides: `--old` and `--new` read the same way.
    assert said in one_line(compare(tmp_path, changed(field, value), RECORD))
    assert said in one_line(compare(tmp_path, RECORD, changed(field, value)))
