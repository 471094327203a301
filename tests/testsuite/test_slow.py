"""`tests.slow`: the slowest tests from the one source of durations, each with its share of the
suite's wall time; every test over nextest's slow-timeout (the workspace's, for the baseline's
profile); a trend only where the monitor's history holds the test's times."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import one_line_error, perf, tiny_workspace, write

from perf_tasks.errors import ConfigError
from perf_tasks.measure.record import KIND
from perf_tasks.testsuite.slow import NEXTEST_DEFAULT_SLOW_S, parse_duration, slow_timeout

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="4" failures="1" errors="0" time="{wall}">
  <testsuite name="core" tests="2" disabled="0" errors="0" failures="0">
    <testcase name="tests::fast" classname="core" time="0.010"/>
    <testcase name="tests::big" classname="core" time="{big}"/>
  </testsuite>
  <testsuite name="core::api" tests="2" disabled="0" errors="0" failures="1">
    <testcase name="medium" classname="core::api" time="1.5"/>
    <testcase name="broken" classname="core::api" time="0.5"><failure type="test failure"/></testcase>
  </testsuite>
</testsuites>
"""


def junit(path: Path, *, big: float = 4.0, wall: float = 8.0) -> Path:
    return write(path, JUNIT.format(big=big, wall=wall))


def slow_json(root: Path, *args: str) -> dict[str, Any]:
    proc = perf("tests.slow", "--json", "--root", str(root), *args)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return tiny_workspace(tmp_path / "ws", tag=True)


# ---------------------------------------------------------------------------- durations


def test_the_slowest_first_with_their_share_of_the_wall_time(ws: Path) -> None:
    data = slow_json(ws, "--durations", str(junit(ws / "junit.xml")))
    rows = [(r["binary"], r["name"], r["seconds"], r["share"]) for r in data["top"]]
    assert rows == [
        ("core", "tests::big", 4.0, 0.5),
        ("core::api", "medium", 1.5, 0.1875),
        ("core::api", "broken", 0.5, 0.0625),
        ("core", "tests::fast", 0.01, 0.0013),
    ]
    assert data["wall_s"] == 8.0
    assert data["share_of"] == "the suite's wall time"
    assert [r["failed"] for r in data["top"]] == [False, False, True, False]


def test_several_reports_merge_to_each_tests_median(ws: Path) -> None:
    files = [
        junit(ws / f"r{i}.xml", big=big, wall=wall)
        for i, (big, wall) in enumerate(((1.0, 4.0), (3.0, 6.0), (9.0, 20.0)))
    ]
    args = [a for f in files for a in ("--durations", str(f))]
    data = slow_json(ws, *args, "--top", "1")
    assert [(r["name"], r["seconds"]) for r in data["top"]] == [("tests::big", 3.0)]
    assert data["wall_s"] == 6.0
    assert data["sources"] == [str(f) for f in files]


def test_without_a_wall_time_the_share_is_of_the_summed_time(ws: Path) -> None:
    text = JUNIT.format(big=4.0, wall=8.0).replace(' time="8.0"', "")
    data = slow_json(ws, "--durations", str(write(ws / "j.xml", text)))
    assert data["wall_s"] is None
    assert data["share_of"] == "the summed test time"
    assert data["top"][0]["share"] == round(4.0 / 6.01, 4)


def test_the_last_baseline_record_by_default(ws: Path) -> None:
    record = {
        "schema_version": 1,
        "kind": KIND,
        "tests": {
            "command": "cargo nextest run",
            "wall_s": {"median": 2.0, "min": 2.0, "max": 2.0, "mad": 0.0, "samples": [2.0]},
            "durations": {"a": {"t1": 1.5}, "b": {"t2": 0.25}},
        },
    }
    write(ws / "docs" / "performance" / "baseline.json", json.dumps(record))
    data = slow_json(ws)
    assert [(r["binary"], r["name"], r["share"]) for r in data["top"]] == [
        ("a", "t1", 0.75),
        ("b", "t2", 0.125),
    ]


def test_no_record_and_no_file_is_one_line(ws: Path) -> None:
    proc = perf("tests.slow", "--root", str(ws))
    assert "no durations: no baseline record" in one_line_error(proc)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--top", "0"), "--top 0: name at least 1 test"),
        (("--top", "-3"), "--top -3"),
        (("--durations", ""), "--durations is empty"),
        (("--durations", "missing.xml"), "no durations file at missing.xml"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(ws: Path, args: tuple[str, ...], says: str) -> None:
    proc = perf("tests.slow", "--root", str(ws), *args, cwd=ws)
    assert says in one_line_error(proc)
    proc = perf("tests.slow", "--json", "--root", str(ws), *args, cwd=ws)
    assert proc.returncode == 2
    assert says in json.loads(proc.stdout)["error"]["message"]


# ---------------------------------------------------------------------------- the slow-timeout


def test_every_test_over_the_workspaces_slow_timeout(ws: Path) -> None:
    write(ws / ".config" / "nextest.toml", '[profile.ci]\nslow-timeout = "1s"\n')
    data = slow_json(ws, "--durations", str(junit(ws / "j.xml")), "--top", "1")
    assert [r["name"] for r in data["top"]] == ["tests::big"]
    assert [r["name"] for r in data["over_slow_timeout"]] == ["tests::big", "medium"]
    assert data["slow_timeout"] == {
        "seconds": 1.0,
        "profile": "ci",
        "source": ".config/nextest.toml [profile.ci] slow-timeout",
    }


def test_nextests_default_slow_timeout_lists_none_under_a_minute(ws: Path) -> None:
    data = slow_json(ws, "--durations", str(junit(ws / "j.xml", big=61.0, wall=70.0)))
    assert data["slow_timeout"]["seconds"] == NEXTEST_DEFAULT_SLOW_S
    assert data["slow_timeout"]["source"] == "nextest's default"
    assert [r["name"] for r in data["over_slow_timeout"]] == ["tests::big"]


def test_the_baselines_profile_is_the_one_resolved(ws: Path) -> None:
    write(ws / "perf-tasks.toml", '[baseline]\ntest_profile = "nightly"\n')
    write(
        ws / ".config" / "nextest.toml",
        '[profile.default]\nslow-timeout = "2s"\n[profile.ci]\nslow-timeout = "1s"\n',
    )
    data = slow_json(ws, "--durations", str(junit(ws / "j.xml")))
    assert data["slow_timeout"]["profile"] == "nightly"
    assert data["slow_timeout"]["seconds"] == 2.0  # nightly has none: default's


@pytest.mark.parametrize(
    ("config", "seconds", "source"),
    [
        ({}, 60.0, "nextest's default"),
        ({"profile": {"ci": {"slow-timeout": "90s"}}}, 90.0, "[profile.ci]"),
        (
            {"profile": {"ci": {"slow-timeout": {"period": "1m 30s", "terminate-after": 2}}}},
            90.0,
            "[profile.ci]",
        ),
        ({"profile": {"default": {"slow-timeout": "5s"}, "ci": {}}}, 5.0, "[profile.default]"),
        (
            {"profile": {"base": {"slow-timeout": "7s"}, "ci": {"inherits": "base"}}},
            7.0,
            "[profile.base]",
        ),
        (
            {"profile": {"a": {"inherits": "ci"}, "ci": {"inherits": "a"}}},
            60.0,
            "nextest's default",
        ),
    ],
)
def test_slow_timeout_resolution(config: dict[str, Any], seconds: float, source: str) -> None:
    found = slow_timeout(config, "ci")
    assert found.seconds == seconds
    assert source in found.source


@pytest.mark.parametrize("value", ["sixty", "", "60", {"terminate-after": 2}, 60])
def test_a_wrong_slow_timeout_is_a_config_error(value: Any) -> None:
    with pytest.raises(ConfigError, match=r"\[profile.ci\] slow-timeout = .* is not a duration"):
        slow_timeout({"profile": {"ci": {"slow-timeout": value}}}, "ci")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("1m 30s", 90.0), ("500ms", 0.5), ("2min", 120.0), ("1h", 3600.0), ("x", None)],
)
def test_humantime_durations(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_a_wrong_slow_timeout_in_the_workspace_is_one_line(ws: Path) -> None:
    write(ws / ".config" / "nextest.toml", '[profile.ci]\nslow-timeout = "soon"\n')
    proc = perf("tests.slow", "--root", str(ws), "--durations", str(junit(ws / "j.xml")))
    assert "is not a duration nextest reads" in one_line_error(proc)


# ---------------------------------------------------------------------------- the trend


def history_line(at: str, values: dict[str, float]) -> str:
    return json.dumps({"at": at, "values": values, "bounds": {}, "breaches": []})


def test_a_trend_where_the_history_holds_the_tests_times(ws: Path) -> None:
    write(
        ws / "docs" / "performance" / "monitor" / "history.jsonl",
        "\n".join(
            [
                history_line(
                    "2026-01-01T00:00:00Z", {"tests.wall_s": 7, "test:core tests::big": 2.0}
                ),
                history_line("2026-01-02T00:00:00Z", {"tests.wall_s": 8}),
                history_line("2026-01-03T00:00:00Z", {"test:core tests::big": 3.0}),
            ]
        )
        + "\n",
    )
    data = slow_json(ws, "--durations", str(junit(ws / "j.xml")))
    big, medium = data["top"][:2]
    assert big["trend"] == {"first_s": 2.0, "last_s": 3.0, "entries": 2, "change": 0.5}
    assert medium["trend"] is None
    assert data["trend"]["entries"] == 3
    assert data["trend"]["tests_with_times"] == 1


def test_no_trend_is_said_not_invented(ws: Path) -> None:
    path = write(
        ws / "docs" / "performance" / "monitor" / "history.jsonl",
        history_line("2026-01-01T00:00:00Z", {"tests.wall_s": 7}) + "\n",
    )
    proc = perf("tests.slow", "--root", str(ws), "--durations", str(junit(ws / "j.xml")))
    assert proc.returncode == 0, proc.stderr
    assert "holds no per-test times" in proc.stdout
    assert all(line.rstrip().endswith("-") for line in proc.stdout.splitlines()[3:7])
    path.unlink()
    proc = perf("tests.slow", "--root", str(ws), "--durations", str(junit(ws / "j.xml")))
    assert "trend: no monitor history at" in proc.stdout


def test_the_text(ws: Path) -> None:
    proc = perf(
        "tests.slow", "--root", str(ws), "--durations", str(junit(ws / "j.xml")), "--top", "2"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "4 tests from j.xml; share of the suite's wall time 8.00 s"
    assert lines[1:5] == [
        "slowest 2:",
        "  test              time    share  trend",
        "  core tests::big   4.00 s  50.0%  -",
        "  core::api medium  1.50 s  18.8%  -",
    ]
    assert lines[5] == "over nextest's slow-timeout, 60 s (profile ci: nextest's default): none"


# ---------------------------------------------------------------------------- a real record


def corpus(name: str) -> Path:
    base = os.environ.get("PERF_TASKS_CORPUS")
    if not base or not (Path(base) / name / "Cargo.toml").is_file():
        pytest.skip(f"set PERF_TASKS_CORPUS to a folder holding the {name} crate")
    return Path(base) / name


@pytest.mark.slow
def test_a_real_baseline_names_the_slow_test(demo_copy: Path) -> None:
    """The demo's `slow_path_when_asked` sleeps DEMO_SLOW_MS: the slowest, by far."""
    proc = perf(
        "baseline.record",
        "--runs",
        "1",
        "--root",
        str(demo_copy),
        env={"DEMO_SLOW_MS": "400"},
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    data = slow_json(demo_copy, "--top", "3")
    first = data["top"][0]
    assert (first["binary"], first["name"]) == ("demo-core::core_api", "slow_path_when_asked")
    assert first["seconds"] >= 0.4
    assert 0.3 < first["share"] <= 1.0
