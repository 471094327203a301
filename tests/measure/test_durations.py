"""Per-test durations from a record or JUnit reports: the one source every planner reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import one_line_error, perf, write

from perf_tasks.errors import ConfigError, UsageError
from perf_tasks.measure import durations
from perf_tasks.measure.record import KIND

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="3" failures="1" errors="0">
  <testsuite name="core::api" tests="3" disabled="0" errors="0" failures="1">
    <testcase name="fast" classname="core::api" time="0.010"/>
    <testcase name="slow" classname="core::api" time="{slow}"/>
    <testcase name="broken" classname="core::api" time="0.5"><failure type="test failure"/></testcase>
    <testcase name="skipped" classname="core::api" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>
"""


def _junit(path: Path, slow: float) -> Path:
    path.write_text(JUNIT.format(slow=slow), encoding="utf-8")
    return path


def test_junit_reports_merge_to_each_tests_median_slowest_first(tmp_path: Path) -> None:
    files = [_junit(tmp_path / f"r{i}.xml", slow) for i, slow in enumerate((2.0, 4.0, 9.0))]
    found = durations.load(tmp_path, files)
    assert [t.id for t in found.tests] == ["core::api slow", "core::api broken", "core::api fast"]
    assert found.by_id()["core::api slow"].seconds == 4.0
    assert found.failed == {"core::api broken"}
    assert "core::api skipped" not in found.by_id()  # a skipped test carries no time
    assert found.sources == tuple(str(f) for f in files)


def test_a_record_gives_its_medians(tmp_path: Path) -> None:
    from perf_tasks.measure.read import read_record

    data = {
        "schema_version": 1,
        "tests": {
            "command": "cargo nextest run",
            "failing": ["b t2"],
            "durations": {"a": {"t1": 1.5}, "b": {"t2": 0.25, "t3": 3.0}},
        },
    }
    record = read_record(data, source="x")
    found = durations.from_record(record, source="x")
    assert [(t.id, t.seconds) for t in found.tests] == [
        ("b t3", 3.0),
        ("a t1", 1.5),
        ("b t2", 0.25),
    ]
    assert found.failed == {"b t2"}
    assert found.total_s == pytest.approx(4.75)


def test_no_record_and_no_file_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run `perf-tasks baseline`, or pass --durations"):
        durations.load(tmp_path)


@pytest.mark.parametrize("kind", ["missing", "fifo", "folder", "not-xml", "not-utf8"])
def test_a_bad_durations_file_is_one_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "report.xml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "not-xml":
        path.write_text("not < xml", encoding="utf-8")
    elif kind == "not-utf8":
        path.write_bytes(b"<testsuites>\xff</testsuites>")
    with pytest.raises((UsageError, ConfigError), match=str(path)):
        durations.load(tmp_path, [path])


def test_a_record_file_and_a_junit_report_merge(tmp_path: Path) -> None:
    record = tmp_path / "baseline.json"
    data = {
        "kind": KIND,
        "schema_version": 1,
        "tests": {"command": "cargo nextest run", "durations": {"core::api": {"slow": 3.0}}},
    }
    record.write_text(json.dumps(data), encoding="utf-8")
    junit = _junit(tmp_path / "r.xml", 1.0)
    found = durations.load(tmp_path, [junit, record])
    assert found.by_id()["core::api slow"].seconds == 2.0  # the median of 1.0 and 3.0
    assert found.by_id()["core::api fast"].seconds == 0.01


def test_the_suites_wall_time_from_reports_their_median(tmp_path: Path) -> None:
    files = []
    for i, wall in enumerate(("4.0", "6.5", "30")):
        text = JUNIT.format(slow=1.0).replace('errors="0">', f'errors="0" time="{wall}">', 1)
        files.append(tmp_path / f"r{i}.xml")
        files[-1].write_text(text, encoding="utf-8")
    assert durations.load(tmp_path, files).wall_s == 6.5
    assert durations.load(tmp_path, [_junit(tmp_path / "none.xml", 1.0)]).wall_s is None


def test_a_records_wall_time_is_its_tests_phase_median() -> None:
    from perf_tasks.measure.read import read_record

    stats = {"median": 2.5, "min": 2.0, "max": 3.0, "mad": 0.5, "samples": [2.0, 2.5, 3.0]}
    data = {"schema_version": 1, "tests": {"wall_s": stats, "durations": {"a": {"t": 1.0}}}}
    found = durations.from_record(read_record(data, source="x"), source="x")
    assert found.wall_s == 2.5


@pytest.mark.parametrize("time", ["NaN", "-1", "1e309", "inf"])
def test_a_junit_time_that_is_no_duration_is_one_error_naming_the_test(
    tmp_path: Path, time: str
) -> None:
    report = _junit(tmp_path / "report.xml", slow=1.0)
    report.write_text(report.read_text().replace('time="1.0"', f'time="{time}"'))
    line = one_line_error(perf("tests.slow", "--durations", str(report), cwd=tmp_path))
    assert str(report) in line and "core::api slow" in line and time in line
    proc = perf("tests.slow", "--durations", str(report), "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["ok"] is False  # strict JSON: no NaN, no Infinity


@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling symlink"])
@pytest.mark.parametrize("task", ["tests.slow", "tests.shard"])
def test_a_baseline_record_that_is_no_file_is_one_line_never_no_durations(
    tmp_path: Path, kind: str, task: str
) -> None:
    # tests.shard plans without durations when there is no record yet: a record that is there
    # but cannot be read is not "no record", or the plan would be by hash, silently.
    write(tmp_path / "Cargo.toml", '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n')
    write(tmp_path / "src" / "lib.rs", "")
    record = tmp_path / "docs" / "performance" / "baseline.json"
    record.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(record)
    elif kind == "folder":
        record.mkdir()
    else:
        record.symlink_to(tmp_path / "gone.json")
    args = ("--shards", "2") if task == "tests.shard" else ()
    line = one_line_error(perf(task, *args, cwd=tmp_path, timeout=60))
    assert str(record) in line
    if kind != "dangling symlink":
        assert "no baseline record" not in line and "not a regular file" in line
    assert not (tmp_path / "docs" / "performance" / "shard-plan.json").exists()
