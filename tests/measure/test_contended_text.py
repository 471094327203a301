"""The busy-machine warning: one line per phase, however many of its runs shared the machine."""

from __future__ import annotations

from perf_tasks.measure.timing import Run
from perf_tasks.measure.warnings import contended_text


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
