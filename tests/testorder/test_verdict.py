"""The verdict of `tests.order --measure`, from samples taken in pairs, and its commands. Pure."""

from __future__ import annotations

from pathlib import Path

from perf_tasks.ab.engine import Design, Sample, judge
from perf_tasks.testorder.measure import (
    CLEAR_GAIN,
    NO_CLEAR_GAIN,
    OUTCOMES_DIFFER,
    TESTS_FAIL,
    THRESHOLD,
    WALL,
    WITH,
    WITHOUT,
    commands,
    verdict,
)

DESIGN = Design({WALL: THRESHOLD})
PASSED = {"w a": "passed", "w b": "passed"}


def runs(walls: list[float], outcomes: list[dict[str, str]] | None = None) -> list[Sample]:
    outcomes = outcomes or [PASSED] * len(walls)
    return [Sample({WALL: w}, test_outcomes=o) for w, o in zip(walls, outcomes, strict=True)]


def test_a_clear_gain_applies() -> None:
    outcome = judge(
        runs([3.0, 3.1, 2.9, 3.0, 3.2, 3.0]), runs([2.0, 2.1, 2.0, 1.9, 2.2, 2.0]), DESIGN
    )
    assert verdict(outcome) == CLEAR_GAIN


def test_a_gain_inside_the_noise_or_under_the_floor_does_not() -> None:
    noisy = judge(
        runs([3.0, 2.0, 3.1, 2.0, 3.0, 2.1]), runs([2.9, 2.2, 2.8, 2.1, 2.9, 2.0]), DESIGN
    )
    assert verdict(noisy) == NO_CLEAR_GAIN
    tiny = judge(runs([0.10] * 6), runs([0.08] * 6), DESIGN)  # 20% but 20 ms: under the floor
    assert verdict(tiny) == NO_CLEAR_GAIN
    slower = judge(runs([2.0] * 6), runs([3.0] * 6), DESIGN)
    assert verdict(slower) == NO_CLEAR_GAIN


def test_an_outcome_the_order_changes_wins_over_any_gain() -> None:
    with_order = [{"w a": "passed", "w b": "failed"}] * 6
    outcome = judge(runs([3.0] * 6), runs([2.0] * 6, with_order), DESIGN)
    assert verdict(outcome) == OUTCOMES_DIFFER
    assert [(t.id, t.before, t.after) for t in outcome.tests] == [("w b", "passed", "failed")]


def test_a_test_failing_both_ways_is_never_a_pass() -> None:
    failing = [{"w a": "passed", "w b": "failed"}] * 6
    outcome = judge(runs([3.0] * 6, failing), runs([2.0] * 6, failing), DESIGN)
    assert not outcome.tests and verdict(outcome) == TESTS_FAIL
    # A flaky one too: it failed in one run with the order.
    flaky = [PASSED] * 5 + [{"w a": "passed", "w b": "failed"}]
    outcome = judge(runs([3.0] * 6, flaky), runs([2.0] * 6, flaky), DESIGN)
    assert verdict(outcome) in (OUTCOMES_DIFFER, TESTS_FAIL) and verdict(outcome) != CLEAR_GAIN


def test_each_arm_runs_the_users_profile_with_its_own_config_and_the_pinned_flags(
    tmp_path: Path,
) -> None:
    configs = {
        WITHOUT: "",
        WITH: '[store]\ndir = "elsewhere"\n[profile.ci.junit]\npath = "j.xml"\n',
    }
    cmds = commands("cargo-nextest", "ci", tmp_path / "ws", tmp_path / "t", configs)
    for label, letter in ((WITHOUT, "a"), (WITH, "b")):
        argv = cmds.runs[label]
        assert argv[:3] == ("cargo-nextest", "nextest", "run")
        assert argv[argv.index("--profile") + 1] == "ci"
        assert argv[argv.index("--config-file") + 1] == str(
            tmp_path / "t" / f"nextest-{letter}.toml"
        )
        for pinned in ("--retries", "--no-fail-fast", "--ignore-default-filter"):
            assert pinned in argv
    assert cmds.listing[2] == "list" and "--run-ignored" in cmds.listing
    # Where each arm's report lands: nextest's rules, the arm's own config first.
    assert cmds.junit[WITHOUT] == tmp_path / "t" / "nextest" / "ci" / "junit.xml"
    assert cmds.junit[WITH] == tmp_path / "ws" / "elsewhere" / "ci" / "j.xml"
