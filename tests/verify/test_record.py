"""The verify record's pure parts: doctest names, parsing the runners' output, the comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perf_tasks.errors import ConfigError
from perf_tasks.measure.nextest_runs import Case
from perf_tasks.verify import collect
from perf_tasks.verify.record import Entry, compare, make, read, write

DOC_OUT = """
running 3 tests
test crates/a/src/lib.rs - tokenize (line 10) ... ok
test crates/a/src/lib.rs - tokenize (line 14) ... ok
test crates/a/src/lib.rs - Parser::new (line 40) - compile fail ... FAILED
test src/lib.rs - root_fn (line 3) ... ignored

test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.3s
"""


def test_doctest_names_drop_the_line_and_keep_the_package() -> None:
    tests = collect.doctests(DOC_OUT, {"crates/a": "a", "": "root"})
    assert make(tests, runner="").tests == (
        Entry(
            "a (doctests)", "crates/a/src/lib.rs - Parser::new - compile fail", "doctest", "failed"
        ),
        Entry("a (doctests)", "crates/a/src/lib.rs - tokenize", "doctest", "passed", count=2),
        Entry("root (doctests)", "src/lib.rs - root_fn", "doctest", "ignored"),
    )


def test_nextest_outcomes_come_from_the_list_and_the_report() -> None:
    listing = {("a", "t1"): False, ("a", "t2"): False, ("a", "slow"): True, ("a", "t3"): False}
    cases = [Case("a", "t1", 0.1, "passed"), Case("a", "t2", 0.1, "failed")]
    assert {t.name: t.outcome for t in collect.nextest_tests(listing, cases)} == {
        "t1": "passed",
        "t2": "failed",
        "slow": "ignored",
        "t3": "skipped",  # listed, not ignored, not run
    }


def doc(outcome: str, count: int = 1) -> Entry:
    return Entry("a (doctests)", "src/lib.rs - f", "doctest", outcome, count)


def test_doctests_that_share_a_name_are_counted() -> None:
    before = make([doc("passed", 2)], runner="")
    assert compare(before, make([doc("passed"), doc("passed")], runner=""), record=Path()).same
    one_gone = compare(before, make([doc("passed")], runner=""), record=Path())
    assert [(d.change, d.before, d.after, d.count) for d in one_gone.differences] == [
        ("disappeared", "passed", None, 1)
    ]
    one_fails = compare(before, make([doc("passed"), doc("failed")], runner=""), record=Path())
    assert [(d.change, d.before, d.after) for d in one_fails.differences] == [
        ("changed outcome", "passed", "failed")
    ]


def test_new_and_skipped_tests_are_differences() -> None:
    t = Entry("a", "t", "test", "passed")
    before = make([t], runner="")
    after = make([Entry("a", "t", "test", "skipped"), Entry("a", "u", "test", "passed")], runner="")
    got = [(d.name, d.change) for d in compare(before, after, record=Path()).differences]
    assert got == [("t", "became skipped"), ("u", "new")]


def test_a_record_round_trips(tmp_path: Path) -> None:
    record = make([doc("passed", 2), Entry("a", "t", "test", "ignored")], runner="nextest")
    write(tmp_path / "v.json", record)
    assert read(tmp_path / "v.json") == record
    assert json.loads((tmp_path / "v.json").read_text())["totals"]["passed"] == 2


def test_a_malformed_test_entry_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    path.write_text('{"schema": "perf-tasks/verify", "schema_version": 1, "tests": [{"name": 1}]}')
    with pytest.raises(ConfigError, match=r"tests\[0\] is malformed"):
        read(path)
