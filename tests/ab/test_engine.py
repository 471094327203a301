"""The engine's order, its sequential pairs and its verdicts, with arms that replay numbers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from perf_tasks.ab import engine, stats
from perf_tasks.ab.against import shared_env_note
from perf_tasks.ab.engine import Design, Sample
from perf_tasks.ab.revision_arms import controlled_note
from perf_tasks.ab.stats import Threshold
from perf_tasks.ui.ab_figures import interval_text


class Replay:
    """An arm whose runs return the next values of a sequence; it notes when it ran, and what
    each run was asked to measure."""

    def __init__(self, label: str, values: Iterator[float], log: list[str], **extra: object):
        self.label = label
        self.values = values
        self.log = log
        self.prepared = False
        self.extra = extra
        self.scopes: list[engine.Scope] = []

    def prepare(self) -> None:
        self.prepared = True

    def run(self, scope: engine.Scope = engine.EVERYTHING) -> Sample:
        self.log.append(self.label)
        self.scopes.append(scope)
        times = self.extra.get("times", {})
        if callable(times):
            times = times()
        return Sample(
            values={"build.cpu_s": next(self.values), "shown": 1.0},
            test_times=dict(times),  # type: ignore[call-overload]
            per_test=True,
        )


BUILD = {"build.cpu_s": Threshold(0.05)}


def test_the_order_is_balanced_never_strict() -> None:
    assert engine.order(4) == "ABBAABBA"
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.repeat(10.0), log)
    outcome = engine.compare(a, b, Design(BUILD, screen=False))
    assert a.prepared and b.prepared
    # Without the screen: one untimed run of each arm, then every pair measures everything.
    assert "".join(log) == "AB" + "ABBAABBAABBA" and outcome.order == "ABBAABBAABBA"
    assert outcome.pairs == 6
    assert outcome.regressions == ()
    assert outcome.metric("shown") is not None and outcome.metric("shown").verdict == engine.SHOWN


def test_unchanged_figures_are_cleared_by_the_screen_alone() -> None:
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.cycle([10.2, 9.9]), log)  # within half the 5% threshold
    outcome = engine.compare(a, b, Design(BUILD))
    assert "".join(log) == "AB" and outcome.pairs == 1
    figure = outcome.metric("build.cpu_s")
    assert figure is not None and figure.screened and figure.verdict == stats.SAME
    assert figure.pairs == 1 and outcome.exit_code == 0
    assert outcome.as_json()["metrics"][0]["screened"] is True


def test_pairs_are_added_while_a_regression_is_within_reach() -> None:
    log: list[str] = []
    # B is 2..10% slower: the interval straddles 1.05 with 6 pairs, and with 10 pairs (the cap)
    # a regression needs 9 ratios over 1.05: in reach until the tenth pair brings a second under.
    b_values = iter([11.0, 10.2, 10.6, 10.9, 10.7, 10.8, 10.6, 11.0, 10.9, 10.3])
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", b_values, log)
    outcome = engine.compare(a, b, Design(BUILD, max_pairs=10))
    assert outcome.pairs == 10
    figure = outcome.metric("build.cpu_s")
    assert figure is not None and figure.verdict == stats.SAME
    assert not figure.screened and not figure.settled


def test_a_figure_leaves_the_pairs_once_no_verdict_is_in_reach() -> None:
    log: list[str] = []
    # 4% slower at the screen (in doubt: over half the 5% threshold), then 3% and 1%: with up to
    # 12 pairs, a regression needs all but 2 ratios over 1.05 and an improvement all but 2 under
    # 1/1.05. Three ratios between them rule out both, whatever more pairs would show.
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", iter([10.4, 10.3, 10.1]), log)
    outcome = engine.compare(a, b, Design(BUILD))
    assert outcome.pairs == 3 and "".join(log) == "ABBAAB"
    figure = outcome.metric("build.cpu_s")
    assert figure is not None and figure.verdict == stats.SAME and outcome.exit_code == 0
    assert figure.settled and not figure.screened and figure.pairs == 3
    assert interval_text(figure) == "settled: out of reach"
    assert outcome.as_json()["metrics"][0]["settled"] is True
    assert any(n.startswith("settled:") for n in outcome.notes)


def test_without_the_screen_every_figure_takes_its_pairs() -> None:
    # `--no-screen` is the comparison as it was: the same ratios take 6 pairs, none settled early.
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.cycle([10.4, 10.3, 10.1]), log)
    outcome = engine.compare(a, b, Design(BUILD, screen=False))
    figure = outcome.metric("build.cpu_s")
    assert outcome.pairs == 6 and figure is not None and not figure.settled


def test_a_clear_result_stops_at_the_minimum() -> None:
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.repeat(12.0), log)
    outcome = engine.compare(a, b, Design(BUILD))
    assert outcome.pairs == 6
    assert outcome.regressions == ("build.cpu_s",)
    assert int(outcome.exit_code) == 1
    assert outcome.as_json()["metrics"][0]["ratio"]["low"] == 1.2
    # Every pair after the screen measured the build, the one phase in doubt, and no test.
    assert a.scopes[0] == engine.EVERYTHING
    assert set(a.scopes[1:]) == {engine.Scope(frozenset({"build"}), None)}


def test_a_slower_test_is_a_named_regression_and_runs_alone() -> None:
    log: list[str] = []
    times_a = {"demo-core adds": 0.004, "demo-core other": 0.5}
    times_b = {"demo-core adds": 1.004, "demo-core other": 0.5}
    a = Replay("A", itertools.repeat(10.0), log, times=times_a)
    b = Replay("B", itertools.repeat(10.0), log, times=times_b)
    outcome = engine.compare(a, b, Design(BUILD))
    assert outcome.regressions == ("test:demo-core adds",)
    # The replay gave build figures in every run, but only the screen's count: the build was
    # cleared there, and a verdict rests only on what a pair was asked to measure.
    assert outcome.metric("build.cpu_s").pairs == 1 and outcome.metric("build.cpu_s").screened
    (change,) = outcome.tests
    assert (change.before_max_s, change.after_min_s) == (0.004, 1.004)
    assert outcome.pairs == 6
    only = engine.Scope(frozenset({"tests"}), frozenset({"demo-core adds"}))
    assert b.scopes == [engine.EVERYTHING] + [only] * 5
    assert outcome.as_json()["each_pair"][1] == {
        "phases": ["tests"],
        "tests": ["demo-core adds"],
        "tests_run": 2,  # the replay runs all it knows; a real arm runs the one
    }


def test_a_suspect_test_that_clears_leaves_the_pairs() -> None:
    log: list[str] = []
    slow_once = iter([0.30] + [0.10] * 20)
    a = Replay("A", itertools.repeat(10.0), log, times=lambda: {"t x": 0.10})
    b = Replay("B", itertools.repeat(10.0), log, times=lambda: {"t x": next(slow_once)})
    outcome = engine.compare(a, b, Design(BUILD))
    assert outcome.pairs == 2 and outcome.regressions == ()


def test_out_of_time_figures_are_undecided_not_regressions() -> None:
    log: list[str] = []
    noisy = itertools.cycle([11.0, 10.2, 10.3, 10.9])
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", noisy, log)
    outcome = engine.compare(a, b, Design(BUILD, max_seconds=0.0))
    assert outcome.pairs == 1 and outcome.out_of_time
    assert outcome.undecided == ("build.cpu_s",)
    assert outcome.regressions == () and outcome.exit_code == 0
    assert any("stayed undecided" in n for n in outcome.notes)
    # A regression decided in time still fails, whatever stays undecided.
    decided = engine.compare(
        Replay("A", itertools.repeat(10.0), log),
        Replay("B", itertools.repeat(20.0), log),
        Design(BUILD, max_seconds=3600.0),
    )
    assert decided.regressions == ("build.cpu_s",) and decided.exit_code == 1


def test_a_screen_made_elsewhere_warms_up_then_pairs_only_what_is_in_doubt() -> None:
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.repeat(10.0), log)
    start = engine.Doubt(frozenset({"build.cpu_s"}))
    outcome = engine.compare(a, b, Design(BUILD), start=start)
    # One untimed run each, then pairs until 3 unchanged ratios put any verdict out of reach.
    assert "".join(log) == "AB" + "ABBAAB"
    figure = outcome.metric("build.cpu_s")
    assert outcome.pairs == 3 and figure is not None and figure.verdict == stats.SAME
    assert figure.settled


def test_a_test_failing_in_b_is_a_regression_even_when_it_failed_in_a_too() -> None:
    """A failing or flaky test is never a pass, however fast it fails: in B, whatever A did."""
    design = Design({"build.cpu_s": Threshold(0.05)})

    def run(outcome: str) -> Sample:
        return Sample({"build.cpu_s": 10.0}, test_outcomes={"core panics": outcome})

    both = engine.judge([run("failed")] * 6, [run("failed")] * 6, design)
    assert both.regressions == ("failed:core panics",) and int(both.exit_code) == 1
    flaky = engine.judge([run("passed")] * 6, [run("passed"), run("failed")] * 3, design)
    assert flaky.failing == ("core panics",) and int(flaky.exit_code) == 1
    fixed = engine.judge([run("failed")] * 6, [run("passed")] * 6, design)
    assert fixed.regressions == () and int(fixed.exit_code) == 0


def test_without_per_test_times_it_says_so() -> None:
    a = [Sample({"tests.wall_s": 1.0})] * 6
    outcome = engine.judge(a, a, Design({}))
    assert not outcome.per_test
    assert any("per-test" in n for n in outcome.notes)


def test_the_shared_environment_note_leaves_out_what_the_arms_control(tmp_path: Path) -> None:
    # Both arms ran without the wrapper and with their own target dirs: the note said they ran
    # "the same" with RUSTC_WRAPPER='sccache' and the user's CARGO_TARGET_DIR.
    env = {
        "RUSTC_WRAPPER": "sccache",
        "CARGO_TARGET_DIR": "/elsewhere",
        "CARGO_INCREMENTAL": "1",
        "RUSTFLAGS": "-C target-cpu=native",
    }
    note = shared_env_note(env, tmp_path)
    assert note == "build environment, the same on both arms: RUSTFLAGS='-C target-cpu=native'"
    assert shared_env_note({"RUSTC_WRAPPER": "sccache"}, tmp_path) is None
    assert "RUSTC_WRAPPER='sccache'" in controlled_note(env)


def test_the_cold_forecast_says_what_it_costs_before_it_starts() -> None:
    from perf_tasks.ab.against import Request, cold_forecast

    said = cold_forecast(Request(ref="HEAD", max_pairs=8, cold=True, cold_hint_s=30.0))
    assert said.startswith("the A/B times cold builds: every run of either arm builds")
    assert "6 to 8 pairs (--max-pairs bounds it)" in said
    assert "the cold builds alone take about 6 min 0 s to 8 min 0 s (30.0 s each" in said


def test_the_cost_of_the_pairs_is_said_before_they_start() -> None:
    said: list[str] = []
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log)
    b = Replay("B", itertools.repeat(13.0), log)
    engine.compare(a, b, Design(BUILD, max_pairs=8), on_run=lambda w, i, n: said.append(w))
    cost = next(line for line in said if line.startswith("confirming in pairs"))
    assert said.index(cost) < said.index("A", 3)  # before the second pair
    assert cost.startswith("confirming in pairs, each run measuring build: about ")
    assert " a pair, " in cost and "for 6" in cost


def test_the_screen_s_cost_is_said_from_the_record_before_it_starts() -> None:
    from measure.test_measure_compare import record

    from perf_tasks.ab.against import screen_forecast
    from perf_tasks.measure.read import read_record

    stored = read_record(record(), source="the record")
    # incremental 2.0 s + tests 4.0 s, in each arm
    assert screen_forecast(stored, cold=False) == (
        "the screen takes about 12.0 s (one run of each arm, 6.00 s each by the baseline record)"
    )
    assert screen_forecast(None, cold=False) is None


def test_a_suspect_test_still_in_doubt_when_time_runs_out_is_undecided_not_a_regression() -> None:
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log, times={"t x": 0.1})
    b = Replay("B", itertools.repeat(10.0), log, times={"t x": 1.1})
    outcome = engine.compare(a, b, Design(BUILD, max_seconds=0.0))
    assert outcome.pairs == 1 and outcome.out_of_time
    assert outcome.regressions == () and outcome.exit_code == 0
    assert outcome.undecided == ("test:t x",)
    assert any("test:t x stayed undecided" in n for n in outcome.notes)


def test_a_named_test_still_in_doubt_when_time_runs_out_is_undecided_though_not_slower() -> None:
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log, times={"t named": 0.5})
    b = Replay("B", itertools.repeat(10.0), log, times={"t named": 0.5})
    design = Design(BUILD, max_seconds=0.0, always_tests=frozenset({"t named"}))
    outcome = engine.compare(a, b, design)
    assert outcome.pairs == 1 and outcome.undecided == ("test:t named",)
    assert outcome.exit_code == 0


def test_too_many_suspects_run_as_the_whole_suite() -> None:
    many = frozenset(f"t {i}" for i in range(engine.MOST_TESTS_ALONE + 1))
    assert engine.Doubt(frozenset(), many).scope() == engine.Scope(frozenset({"tests"}), None)
    few = frozenset(list(many)[:3])
    assert engine.Doubt(frozenset(), few).scope() == engine.Scope(frozenset({"tests"}), few)


def test_an_unreadable_record_gives_no_estimate_and_stops_nothing(tmp_path: Path) -> None:
    import os

    from perf_tasks.measure.record import stored

    (tmp_path / "garbage.json").write_text("nonsense")
    (tmp_path / "empty.json").write_text("")
    os.mkfifo(tmp_path / "fifo.json")  # never opened: a reader would block on it
    for name in ("garbage.json", "empty.json", "fifo.json", "missing.json", "."):
        assert stored(tmp_path / name) is None, name


def test_a_tighter_per_test_rule_screens_and_decides_on_it() -> None:
    # 1.15x and 30 ms slower: no suspect by the default rule, a regression by a gate's
    # `tests.each | ≤ +10% and +20 ms`, screened by half of it.
    times = {"t slower": 0.200}
    log: list[str] = []
    a = Replay("A", itertools.repeat(10.0), log, times=times)
    b = Replay("B", itertools.repeat(10.0), log, times={"t slower": 0.230})
    plain = engine.compare(a, b, Design(BUILD))
    assert plain.pairs == 1 and plain.tests == ()
    a = Replay("A", itertools.repeat(10.0), log, times=times)
    b = Replay("B", itertools.repeat(10.0), log, times={"t slower": 0.230})
    tight = engine.compare(a, b, Design(BUILD, test_rule=stats.PerTestRule(1.1, 0.02)))
    assert tight.pairs == 6
    assert [(t.id, t.change) for t in tight.tests] == [("t slower", stats.REGRESSION)]
    assert b.scopes[1].tests == frozenset({"t slower"})


def test_a_test_a_gate_row_names_is_always_paired() -> None:
    # Unchanged, yet never cleared by one pair: the row judges it on every pair's runs.
    log: list[str] = []
    times = {"t named": 0.5, "t other": 0.5}
    a = Replay("A", itertools.repeat(10.0), log, times=times)
    b = Replay("B", itertools.repeat(10.0), log, times=times)
    outcome = engine.compare(a, b, Design(BUILD, always_tests=frozenset({"t named"})))
    assert outcome.pairs == 6 and outcome.tests == ()
    assert {s.tests for s in b.scopes[1:]} == {frozenset({"t named"})}
    extremes = outcome.test_extremes
    assert extremes["t named"] == (0.5, 0.5) and extremes["t other"] == (0.5, 0.5)
