"""One shard's selection: the plan's tests on it among those listed now, new tests by their hash,
gone ones never asked for; the filterset and tool config nextest reads it from; bad --run flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
from helpers import one_line_error, perf

from perf_tasks.measure import nextest_runs
from perf_tasks.shards import plan as plan_mod
from perf_tasks.shards.plan import balance, hash_shard
from perf_tasks.shards.run import default_filter, escaped, selection

SECONDS = {("demo-core", f"tests::t{i}"): float(i) for i in range(1, 13)}


def test_every_listed_test_runs_in_exactly_one_shard_new_ones_by_their_hash() -> None:
    made = balance(SECONDS, SECONDS, 3)
    added = [("demo-core", "tests::added_since"), ("new-crate::it", "fresh")]
    listed = [*SECONDS, *added]
    chosen = [selection(made, listed, k) for k in (1, 2, 3)]
    everything = [t for tests, _ in chosen for t in tests]
    assert sorted(everything) == sorted(listed)
    assert sum(unplanned for _, unplanned in chosen) == 2
    for test in added:
        k = hash_shard(*test, 3)
        assert test in chosen[k - 1][0]


def test_a_planned_test_that_is_gone_is_not_asked_for() -> None:
    made = balance(SECONDS, SECONDS, 2)
    listed = [t for t in SECONDS if t != ("demo-core", "tests::t12")]
    for k in (1, 2):
        assert ("demo-core", "tests::t12") not in selection(made, listed, k)[0]
        assert "t12)" not in default_filter(selection(made, listed, k)[0])


def test_the_filterset_groups_tests_per_binary() -> None:
    tests = [("b::it", "x"), ("a", "m::y"), ("a", "m::z")]
    assert default_filter(tests) == (
        "(binary_id(=a) & (test(=m::y) | test(=m::z))) | (binary_id(=b::it) & (test(=x)))"
    )
    assert default_filter([]) == "none()"


@pytest.mark.parametrize(
    ("name", "written"),
    [("a)b", "a\\)b"), ("a,b", "a\\,b"), ("a\\b", "a\\\\b"), ("a\x07b", "a\\u{7}b")],
)
def test_a_name_that_would_end_a_matcher_is_escaped(name: str, written: str) -> None:
    assert escaped(name) == written


def test_the_tool_config_carries_the_filter_whole_whatever_its_size() -> None:
    tests = [("demo-core", f'tests::t"{i}\x7f\u00e9') for i in range(20_000)]
    text = nextest_runs.tool_config("p", store_dir="s", default_filter=default_filter(tests))
    parsed = tomlkit.parse(text).unwrap()
    assert parsed["profile"]["p"]["default-filter"] == default_filter(tests)
    assert len(text) > 128 * 1024  # more than one argument of Linux may hold


def test_a_run_that_selects_by_its_profile_does_not_ignore_that_filter() -> None:
    argv = nextest_runs.argv("cargo-nextest", "run", profile="p", tool_config="c", own_filter=True)
    assert "--ignore-default-filter" not in argv
    for flag in ("--retries", "--flaky-result", "--no-fail-fast"):
        assert flag in argv
    assert "--ignore-default-filter" in nextest_runs.argv(
        "cargo-nextest", "run", profile="p", tool_config="c"
    )


def workspace(tmp_path: Path, shards: int = 3) -> Path:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "0.1.0"\n')
    plan = tmp_path / "plan.json"
    plan.write_text(plan_mod.dumps(balance(SECONDS, SECONDS, shards)))
    return tmp_path


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--run", "0/3"], "--run '0/3': give K/N"),
        (["--run", "4/3"], "--run '4/3': give K/N"),
        (["--run", "two"], "--run 'two': give K/N"),
        (["--run", "1/3", "--shards", "3"], "--shards and --durations plan"),
        (["--run", "1/3", "--durations", "j.xml"], "--shards and --durations plan"),
        (["--run", "1/4"], "but the plan has 3 shards"),
        (["--run", "1/3", "--plan", "missing.json"], "no shard plan at missing.json"),
        (["--run", "1/3", "--plan", "Cargo.toml"], "Cargo.toml is not JSON"),
        (["--run", "1/3", "--plan", "/dev/zero"], "is not a shard plan"),
        (["--run", "1/3", "--out", "Cargo.toml"], "cannot make its folder"),
    ],
)
def test_bad_run_flags_are_one_line_and_exit_2(tmp_path: Path, args: list[str], said: str) -> None:
    ws = workspace(tmp_path)
    if "--plan" not in args:
        args = [*args, "--plan", "plan.json"]
    proc = perf("tests.shard", *args, cwd=ws)
    assert said in one_line_error(proc)


def test_a_damaged_plan_names_the_field(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    data = json.loads((ws / "plan.json").read_text())
    data["tests"]["demo-core"]["tests::t1"] = [9, 1.0]
    (ws / "plan.json").write_text(json.dumps(data))
    proc = perf("tests.shard", "--run", "1/3", "--plan", "plan.json", cwd=ws)
    assert "tests.demo-core.tests::t1: the shard must be" in one_line_error(proc)
