"""The busy-machine warning: one line per phase, however many of its runs shared the machine."""

from __future__ import annotations

from perf_tasks.measure.commands import Step
from perf_tasks.measure.phases import PhaseName
from perf_tasks.measure.result import Phase
from perf_tasks.measure.timing import Measurement, Run
from perf_tasks.measure.warnings import contended_text, phase_warnings


def run(wall_s: float, others_cpu_s: float | None) -> Run:
    return Run(
        wall_s=wall_s,
        user_s=wall_s,
        sys_s=0.0,
        exit_code=0,
        peak_tree_rss=None,
        peak_process_rss=None,
        peak_process_name="",
        samples=0,
        sampler_cpu_s=0.0,
        others_cpu_s=others_cpu_s,
    )


def test_no_shared_run_says_nothing() -> None:
    assert contended_text("tests", [run(1.0, 0.1), run(1.0, None)]) is None


def test_one_shared_run_is_named() -> None:
    text = contended_text("tests", [run(1.0, 0.1), run(2.0, 1.5), run(1.0, 0.0)])
    assert text == (
        "tests: other processes used 1.50 s of CPU during run 2 of 3 (2.00 s long): "
        "the machine was busy, its figures may be noisy"
    )


def test_several_shared_runs_are_one_line_with_their_range() -> None:
    runs = [run(0.3, 0.3), run(0.3, 0.4), run(0.2, 0.1), run(0.3, 0.4)]
    text = contended_text("tests.doc", runs)
    assert text == (
        "tests.doc: other processes used 300 ms to 400 ms of CPU during each of runs 1, 2 and 4 "
        "of 4 (300 ms long): the machine was busy, its figures may be noisy"
    )


def doc_phase(*runs: Run) -> Phase:
    step = Step(PhaseName.TESTS_DOC, ("cargo", "test", "--doc"), timed=True, runs=len(runs))
    return Phase(step, Measurement(argv=step.argv, runs=runs))


def judged(phase: Phase) -> list[str]:
    # the doctests' warnings read nothing of the plan (a build's touch, nextest's JUnit path)
    return phase_warnings(phase, None)  # type: ignore[arg-type]


def test_a_fast_run_on_a_quiet_machine_beside_busy_ones_is_one_judgement() -> None:
    """The issue's case: run 1 far below the median, runs 2 to 4 busy. It was said both that the
    fast run was 'not a sign of a busy machine' and that 'the machine was busy'."""
    said = judged(doc_phase(run(60.0, 0.0), run(100.0, 80.0), run(101.0, 80.0), run(99.0, 80.0)))
    fast = [w for w in said if "run 1 took" in w]
    assert fast == [
        "tests.doc: run 1 took 60.0 s, far below the median 99.5 s: the machine was quiet "
        "during it and busy during other runs, which are the slow ones"
    ], said
    assert not any("not a sign of a busy machine" in w for w in said), said
    busy = [w for w in said if "the machine was busy" in w]
    assert busy == [
        "tests.doc: other processes used 80.0 s of CPU during each of runs 2, 3 and 4 of 4 "
        "(99.0 s to 1 min 41 s long): the machine was busy, its figures may be noisy"
    ], said


def test_a_fast_run_that_was_busy_itself_is_judged_once() -> None:
    said = judged(doc_phase(run(60.0, 50.0), run(100.0, 0.0), run(101.0, 0.0), run(99.0, 0.0)))
    assert said == [
        "tests.doc: run 1 took 60.0 s, far below the median 99.5 s: faster than the others "
        "although other processes used 50.0 s of CPU meanwhile (did it do less work?)"
    ]


def test_a_slow_busy_run_is_judged_once_not_twice() -> None:
    said = judged(doc_phase(run(1.0, 0.0), run(1.01, 0.0), run(2.0, 1.5), run(0.99, 0.0)))
    assert said == [
        "tests.doc: run 3 took 2.00 s, far above the median 1.00 s: other processes used 1.50 s "
        "of CPU meanwhile: the machine was busy"
    ]
