"""Median, MAD and outliers of a few samples."""

from __future__ import annotations

import pytest

from perf_tasks.measure.stats import first_run_slow, outliers, summarize


def test_summary_of_odd_and_even_counts() -> None:
    s = summarize([3.0, 1.0, 2.0, 10.0, 2.5])
    assert (s.median, s.min, s.max) == (2.5, 1.0, 10.0)
    # deviations from 2.5: 0.5, 1.5, 0.5, 7.5, 0 -> median 0.5
    assert s.mad == 0.5
    assert s.samples == (3.0, 1.0, 2.0, 10.0, 2.5)  # in run order, not sorted
    even = summarize([1.0, 2.0, 3.0, 4.0])
    assert even.median == 2.5 and even.mad == 1.0


def test_one_sample_has_no_spread() -> None:
    s = summarize([0.25])
    assert (s.median, s.mad, s.min, s.max) == (0.25, 0.0, 0.25, 0.25)
    assert outliers(s) == ()


def test_no_samples_is_an_error() -> None:
    with pytest.raises(ValueError):
        summarize([])


def test_far_sample_is_an_outlier_and_close_ones_are_not() -> None:
    s = summarize([1.00, 1.02, 0.99, 1.01, 1.60])
    assert outliers(s) == (4,)
    assert not first_run_slow(s)


def test_tiny_differences_never_warn_even_with_zero_mad() -> None:
    # MAD 0 (three equal samples): only a sample more than 10% off counts.
    assert outliers(summarize([1.0, 1.0, 1.0, 1.05])) == ()
    assert outliers(summarize([1.0, 1.0, 1.0, 1.2])) == (3,)


def test_milliseconds_of_scheduler_jitter_never_warn() -> None:
    # A no-op build of 26 ms among 34 ms ones is 24% off, but 8 ms is jitter, not a finding.
    assert outliers(summarize([0.034, 0.035, 0.034, 0.026, 0.034])) == ()
    assert outliers(summarize([0.034, 0.035, 0.034, 0.134, 0.034])) == (3,)


def test_slow_first_run_is_reported_as_such() -> None:
    s = summarize([1.9, 1.0, 1.02, 0.98])
    assert outliers(s) == (0,)
    assert first_run_slow(s)
    assert not first_run_slow(
        summarize([0.5, 1.0, 1.02, 0.98])
    )  # fast first run: not a warmup issue
