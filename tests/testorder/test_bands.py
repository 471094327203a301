"""Banding: durations in, a handful of priority bands out. Pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perf_tasks.measure.durations import Durations
from perf_tasks.measure.durations import TestTime as Timed
from perf_tasks.testorder import bands


def durations(times: dict[str, float], failed: tuple[str, ...] = ()) -> Durations:
    tests = [Timed(*key.split(" ", 1), seconds) for key, seconds in times.items()]
    tests.sort(key=lambda t: (-t.seconds, t.id))
    return Durations(tuple(tests), ("junit.xml",), frozenset(failed))


def ids(band: bands.Band) -> list[str]:
    return [t.id for t in band.tests]


def test_the_slowest_get_the_highest_priority_and_fast_ones_keep_the_default() -> None:
    found = bands.band(
        durations(
            {
                "crate a": 8.0,
                "crate b": 5.0,  # within a factor 2 of the slowest: the same band
                "crate c": 3.0,
                "crate d": 1.0,
                "crate e": 0.2,
                "crate f": 0.01,  # under MIN_S
            }
        )
    )
    assert [(b.priority, ids(b)) for b in found.bands] == [
        (60, ["crate a", "crate b"]),
        (50, ["crate c"]),
        (30, ["crate d"]),
        (10, ["crate e"]),
    ]
    assert found.left == 1 and found.ordered == 5


def test_a_test_under_the_slowest_over_2_to_the_max_bands_keeps_the_default() -> None:
    found = bands.band(durations({"x slow": 64.0, "x edge": 1.01, "x out": 1.0}))
    assert [ids(b) for b in found.bands] == [["x slow"], ["x edge"]]
    assert found.bands[-1].priority == 10 and found.left == 1


def test_a_failed_test_goes_first_in_its_own_band_whatever_its_time() -> None:
    found = bands.band(
        durations({"k fast_fail": 0.001, "k slow": 5.0, "k slowest": 9.0}, ("k fast_fail",))
    )
    first = found.bands[0]
    assert (
        first.failed and first.priority == bands.FAILED_PRIORITY and ids(first) == ["k fast_fail"]
    )
    # The others are banded from the slowest that passed; the failed one's time counts for nothing.
    assert [(b.priority, ids(b)) for b in found.bands[1:]] == [(60, ["k slow", "k slowest"])]


def test_failed_tests_alone_make_one_band() -> None:
    found = bands.band(durations({"k a": 0.5}, ("k a",)))
    assert [(b.priority, b.failed) for b in found.bands] == [(70, True)]


def test_within_a_band_tests_go_by_binary_then_name_so_the_file_does_not_churn() -> None:
    one = bands.band(durations({"b z": 2.0, "a y": 1.9, "a x": 1.5}))
    two = bands.band(durations({"b z": 1.6, "a y": 2.0, "a x": 1.9}))
    assert ids(one.bands[0]) == ids(two.bands[0]) == ["a x", "a y", "b z"]


def test_no_durations_no_bands() -> None:
    assert bands.band(durations({})).bands == ()
    assert bands.band(durations({"a b": 0.0})).bands == ()


@given(
    st.dictionaries(
        st.sampled_from([f"bin{i} t{j}" for i in range(3) for j in range(8)]),
        st.floats(min_value=0.0, max_value=1e5, allow_nan=False),
        max_size=20,
    )
)
def test_bands_order_tests_by_duration(times: dict[str, float]) -> None:
    found = bands.band(durations(times))
    assert len(found.bands) <= bands.MAX_BANDS
    assert found.ordered + found.left == len(times)
    priorities = [b.priority for b in found.bands]
    assert priorities == sorted(priorities, reverse=True) and len(set(priorities)) == len(
        priorities
    )
    assert all(-100 <= p <= 100 for p in priorities)
    for higher, lower in zip(found.bands, found.bands[1:], strict=False):
        assert higher.fastest_s > lower.slowest_s  # a slower test never waits behind a faster
    for band in found.bands:
        assert band.slowest_s <= 2 * band.fastest_s


def test_max_bands_is_checked() -> None:
    with pytest.raises(ValueError):
        bands.band(durations({}), max_bands=0)
