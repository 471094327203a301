"""A clock years off either way (`--now`, the record's start, an entry of the history, the
machine's) never shortens the monitor's history, never blocks the next run, never raises."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import perf
from hypothesis import given, settings
from hypothesis import strategies as st

from perf_tasks.monitor import history

HISTORY = Path("docs") / "performance" / "monitor" / "history.jsonl"
REAL = datetime.now(timezone.utc).replace(microsecond=0)  # the machine's clock, right


def record(root: Path, started_at: str, wall: float = 0.1) -> Path:
    """A baseline record cut to what the monitor reads."""
    path = root / f"record-{wall}.json"
    stats = {"median": wall, "min": wall, "max": wall, "mad": 0.0}
    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": started_at,
        "tests": {"runs": 3, "wall_s": stats},
    }
    path.write_text(json.dumps(data))
    return path


def monitor(root: Path, *args: str, started_at: str | None = None) -> None:
    at = started_at or history.iso(REAL)
    done = perf("monitor", "--root", str(root), "--record", str(record(root, at)), *args)
    assert done.returncode == 0, done.stderr


def stamps(root: Path) -> list[str]:
    return [json.loads(line)["at"] for line in (root / HISTORY).read_text().splitlines()]


def five_days(root: Path) -> list[str]:
    """A history of five daily entries up to yesterday, as the monitor writes it."""
    days = [REAL - timedelta(days=5 - d) for d in range(5)]
    path = root / HISTORY
    path.parent.mkdir(parents=True)
    path.write_text(
        history.dumps([history.Entry(at=d, values={"tests.wall_s": 0.1}) for d in days])
    )
    return [history.iso(d) for d in days]


def test_a_run_a_year_ahead_keeps_the_history(tmp_path: Path) -> None:
    # the cutoff counts from the machine's clock, not from the new entry: every entry stays
    days = [history.iso(REAL - timedelta(days=5 - d)) for d in range(5)]
    for day in days:
        monitor(tmp_path, "--now", day)
    assert stamps(tmp_path) == days
    monitor(tmp_path, "--now", "2027-12-06T03:00:00Z")
    assert stamps(tmp_path) == [*days, "2027-12-06T03:00:00Z"]


def test_a_record_from_a_runner_ten_years_ahead_keeps_the_history(tmp_path: Path) -> None:
    # no --now: the entry takes the record's start, stamped by the runner's wrong clock
    days = five_days(tmp_path)
    ahead = history.iso(REAL + timedelta(days=3653))
    monitor(tmp_path, started_at=ahead)
    assert stamps(tmp_path) == [*days, ahead]


def test_an_entry_from_the_future_in_the_file_and_a_wrong_now_keep_the_history(
    tmp_path: Path,
) -> None:
    # two wrong clocks, both ahead: the history's newest entry and --now; the machine's is right
    days = five_days(tmp_path)
    monitor(tmp_path, "--now", "2036-01-01T00:00:00Z")
    monitor(tmp_path, "--now", "2031-01-01T00:00:00Z")
    assert stamps(tmp_path) == [*days, "2031-01-01T00:00:00Z", "2036-01-01T00:00:00Z"]


def test_the_report_is_about_this_run_though_an_entry_is_stamped_later(tmp_path: Path) -> None:
    five_days(tmp_path)
    monitor(tmp_path, "--now", "2036-01-01T00:00:00Z", started_at=history.iso(REAL))
    rec = record(tmp_path, history.iso(REAL), wall=0.2)  # today's run: twice as slow
    done = perf("monitor", "--root", str(tmp_path), "--record", str(rec))
    assert done.returncode == 0, done.stderr
    report = (tmp_path / HISTORY).with_name("report.md").read_text()
    assert f"Last run: {history.iso(REAL)}." in report  # not the entry stamped 2036
    assert "| `tests.wall_s` | 100 ms | 100 ms | 200 ms | +100.0% |" in report, report


def test_year_one_round_trips_and_never_blocks_the_next_run(tmp_path: Path) -> None:
    days = five_days(tmp_path)
    monitor(tmp_path, "--now", "0001-01-01T00:00:00Z")  # four digits: "0001", never "1"
    assert stamps(tmp_path)[0] == "0001-01-01T00:00:00Z"
    monitor(tmp_path)  # the next run is not blocked by it
    # the year-1 entry cannot be judged by its age: it stays, as every real one does
    assert stamps(tmp_path) == ["0001-01-01T00:00:00Z", *days, history.iso(REAL)]


def test_an_entry_from_a_reset_clock_is_kept(tmp_path: Path) -> None:
    # a real-time clock that lost its battery reads 1970: its entry is no old entry
    days = five_days(tmp_path)
    monitor(tmp_path, "--now", "1970-01-01T00:05:00Z")
    monitor(tmp_path)
    assert stamps(tmp_path) == ["1970-01-01T00:05:00Z", *days, history.iso(REAL)]


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01"]
)
def test_a_now_outside_the_range_is_one_line(tmp_path: Path, now: str) -> None:
    days = five_days(tmp_path)
    rec = record(tmp_path, history.iso(REAL))
    done = perf("monitor", "--root", str(tmp_path), "--record", str(rec), "--now", now)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"error: --now: {now!r} is outside the years 1 to 9999")
    as_json = perf("monitor", "--root", str(tmp_path), "--record", str(rec), "--now", now, "--json")
    assert json.loads(as_json.stdout)["error"]["kind"] == "config"
    assert stamps(tmp_path) == days  # nothing written


def test_an_entry_outside_the_range_in_the_file_never_blocks_the_next_run(tmp_path: Path) -> None:
    days = five_days(tmp_path)
    path = tmp_path / HISTORY
    edited = {"at": "9999-12-31T23:00:00-12:00", "values": {"tests.wall_s": 0.3}}
    path.write_text(path.read_text() + json.dumps(edited) + "\n")
    monitor(tmp_path)  # a stamp at the end of datetime's range: no OverflowError
    assert stamps(tmp_path) == [*days, history.iso(REAL), "9999-12-31T23:59:59Z"]


# ------------------------------------------------------------------------- the rule, purely

DAY0 = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)


def entries(*days: float) -> list[history.Entry]:
    return [history.Entry(at=DAY0 + timedelta(days=d), values={"x": d}) for d in days]


def kept(old: list[history.Entry], new_day: float, *, now_day: float, **limits: float) -> list:
    new = history.Entry(at=DAY0 + timedelta(days=new_day), values={"x": new_day})
    limits = {"keep_entries": 99, "keep_days": 90, **limits}
    now = DAY0 + timedelta(days=now_day)
    return [
        e.values["x"]
        for e in history.append(
            old,
            new,
            keep_entries=int(limits["keep_entries"]),
            keep_days=limits["keep_days"],
            now=now,
        )
    ]


def test_only_what_a_clock_can_compare_is_aged_out() -> None:
    daily = entries(*range(10))
    assert kept(daily, 10, now_day=10, keep_days=2) == [8, 9, 10]  # the policy, clocks right
    # --now a year ahead: the machine's clock is the reference, and judges the real days
    assert kept(daily, 400, now_day=10, keep_days=2) == [8, 9, 400]
    # the machine's clock a year ahead too: the gap separates what cannot be compared
    assert kept(daily, 400, now_day=400, keep_days=2) == [*range(10), 400]
    # ... and stays wrong for the next run: the real days still cannot be compared
    assert kept([*daily, *entries(400)], 401, now_day=401, keep_days=2) == [*range(10), 400, 401]
    # an entry stamped years ahead in the file, and --now ahead: the machine's clock judges
    assert kept([*daily, *entries(4000)], 400, now_day=10, keep_days=2) == [8, 9, 400, 4000]
    assert kept(daily, -739_000, now_day=10, keep_days=2) == [-739_000, *range(10)]  # year 3
    assert kept(daily, 10, now_day=-20_000, keep_days=2) == [*range(11)]  # the machine's in 1972
    # the count still bounds it all, newest first, this run's always in
    assert kept([*daily, *entries(4000)], 400, now_day=10, keep_entries=3) == [9, 400, 4000]


def test_times_at_the_ends_of_the_range_round_trip() -> None:
    for when in (datetime.min, datetime.max.replace(microsecond=0), datetime(999, 2, 3, 4, 5, 6)):
        text = history.iso(when.replace(tzinfo=timezone.utc))
        assert history.parse_time(text, what="t") == when.replace(tzinfo=timezone.utc)


# ------------------------------------------------------------------------------ the property

REAL_NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
real_ages = st.lists(st.integers(0, 89 * 24), min_size=1, max_size=30, unique=True)  # hours
offsets = st.one_of(  # a wrong clock: years off either way, or to the ends of the range
    st.integers(-2000 * 365, -91).map(lambda d: timedelta(days=d)),
    st.integers(91, 7000 * 365).map(lambda d: timedelta(days=d)),
)


@given(ages=real_ages, off=offsets, which=st.sampled_from(["now", "machine", "both"]))
@settings(max_examples=300, deadline=None)
def test_no_wrong_clock_drops_a_real_entry(ages: list[int], off: timedelta, which: str) -> None:
    real = [history.Entry(at=REAL_NOW - timedelta(hours=h), values={"h": h}) for h in ages]
    wrong = REAL_NOW + off
    new_at = wrong if which in ("now", "both") else REAL_NOW
    machine = wrong if which in ("machine", "both") else REAL_NOW
    new = history.Entry(at=new_at, values={"h": -1})
    kept = history.append(real, new, keep_entries=99, keep_days=90, now=machine)
    assert {e.at for e in real} <= {e.at for e in kept}
    assert new in kept
    assert all(history.parse_time(history.iso(e.at), what="t") == e.at for e in kept)
