"""The policies the baseline tasks share, as plain functions: the PATH nextest needs, comparing
with the reference's settings, one way to write a duration, the phases named once."""

from __future__ import annotations

import os
import re

import pytest

from perf_tasks import settings
from perf_tasks.errors import ConfigError
from perf_tasks.inspection import tool_env
from perf_tasks.measure.baseline import options_like
from perf_tasks.measure.phases import TIMED, PhaseName
from perf_tasks.measure.read import read_record
from perf_tasks.quantities import DURATION_PATTERN, format_seconds, parse_seconds, plural


def test_the_nextest_extra_scripts_dir_joins_the_end_of_path() -> None:
    env = {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "HOME": "/home/u"}
    got = tool_env(env, scripts="/venv/bin")
    assert got["PATH"] == os.pathsep.join(["/usr/bin", "/bin", "/venv/bin"])
    assert got["HOME"] == "/home/u" and env["PATH"] == os.pathsep.join(["/usr/bin", "/bin"])
    assert tool_env(got, scripts="/venv/bin")["PATH"] == got["PATH"]  # not added twice
    assert tool_env({}, scripts="/venv/bin")["PATH"] == "/venv/bin"
    assert tool_env({"PATH": "/bin"}, scripts=None)["PATH"] == "/bin"


def test_a_fresh_measurement_takes_the_reference_settings_unless_asked() -> None:
    reference = read_record(
        {"settings": {"runs": 7, "warmup": 2, "cold": True, "cold_runs": 2}}, source="ref.json"
    )
    opts = options_like(reference, settings.Settings())
    assert (opts.runs, opts.warmup, opts.cold, opts.cold_runs) == (7, 2, True, 2)
    opts = options_like(reference, settings.Settings(), runs=1, warmup=0)
    assert (opts.runs, opts.warmup, opts.cold) == (1, 0, True)
    unknown = read_record({}, source="old.json")  # no settings: the configured defaults
    opts = options_like(unknown, settings.Settings())
    assert (opts.runs, opts.warmup, opts.cold, opts.cold_runs) == (3, 0, False, 1)
    with pytest.raises(ConfigError, match="at least 1"):
        options_like(read_record({"settings": {"runs": 0}}, source="a.json"), settings.Settings())


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0304, "30.4 ms"),
        (0.0611, "61.1 ms"),
        (0.99994, "1.00 s"),
        (1.0, "1.00 s"),
        (12.3456, "12.3 s"),
        (73.68, "73.7 s"),
        (99.9994, "1 min 40 s"),
        (131.6, "2 min 12 s"),
        (754.25, "12 min 34 s"),
        (3900.0, "1 h 5 min"),
        (7 * 86400.0, "7 days"),
        (0.000512, "512 µs"),
    ],
)
def test_one_duration_format_three_significant_digits_then_two_whole_units(
    seconds: float, text: str
) -> None:
    assert format_seconds(seconds) == text
    assert re.fullmatch(DURATION_PATTERN, text)
    # what is shown reads back (a contract's bound is written with it): within its digits
    assert parse_seconds(text) == pytest.approx(seconds, rel=0.005, abs=0.5)


@pytest.mark.parametrize(
    ("n", "word", "text"),
    [
        (0, "test", "0 tests"),
        (1, "test", "1 test"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (None, "run", "? runs"),
    ],
)
def test_one_plural(n: int | None, word: str, text: str) -> None:
    assert plural(n, word) == text


def test_phases_are_named_once() -> None:
    assert [p.value for p in TIMED] == [
        "build",
        "build.incremental",
        "build.cold",
        "tests",
        "tests.doc",
    ]
    assert PhaseName.BUILD_INCREMENTAL.record_path == ("build", "incremental")
    assert PhaseName.TESTS_DOC.heading == "doctests" and f"{PhaseName.TESTS_DOC}" == "tests.doc"
    assert PhaseName.BUILD_COLD == "build.cold" and PhaseName.BUILD_COLD.is_build
    assert {PhaseName.TESTS: 1}.get("tests") == 1  # a str enum: records and events mix freely
