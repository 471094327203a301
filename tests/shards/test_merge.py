"""The shards' reports merged: each test once, the ignored from the listing, the doctests from
their own job; a missing shard, a damaged report or a doctest output that is not one: one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import one_line_error, perf

from perf_tasks.measure import record as record_mod
from perf_tasks.shards import merge as merge_mod
from perf_tasks.shards.listing import Listed


def junit(*cases: tuple[str, str, float, str], wall: float = 1.0) -> str:
    body = []
    for binary, name, secs, status in cases:
        inner = {"failed": '<failure type="test failure"/>', "passed": ""}[status]
        body.append(
            f'<testcase name="{name}" classname="{binary}" time="{secs}">{inner}</testcase>'
        )
    return (
        f'<?xml version="1.0"?><testsuites name="nextest-run" time="{wall}">'
        f'<testsuite name="x">{"".join(body)}</testsuite></testsuites>'
    )


LISTED = (
    Listed("a", "t1", False, True),
    Listed("a", "t2", False, True),
    Listed("b::it", "t3", False, True),
    Listed("b::it", "slow_ignored", True, True),
)


def reports() -> list[merge_mod.ShardReport]:
    one = junit(("a", "t1", 0.5, "passed"), ("b::it", "t3", 0.25, "failed"), wall=0.9)
    two = junit(("a", "t2", 1.5, "passed"), wall=1.6)
    return [
        merge_mod.read_report(one, shard=1, source="junit-1-of-2.xml"),
        merge_mod.read_report(two, shard=2, source="junit-2-of-2.xml"),
    ]


def test_the_merged_record_is_the_union_with_the_ignored_from_the_listing() -> None:
    merged = merge_mod.merge(reports(), LISTED)
    assert merged.complete and merged.ignored == 1
    part = merge_mod.tests_part(merged, reports(), command="c", doc=None)
    assert (part["passed"], part["failed"], part["ignored"], part["skipped"]) == (2, 1, 1, 0)
    assert part["failing"] == ["b::it t3"]
    assert part["durations"] == {"a": {"t1": 0.5, "t2": 1.5}, "b::it": {"t3": 0.25}}
    assert part["wall_s"]["median"] == 1.6  # the slowest shard keeps CI waiting that long
    data = record_mod.envelope(
        started_at=0.0, elapsed_s=0.0, ok=False, workspace={}, settings=None,
        environment={}, build=None, tests=part,
    )  # fmt: skip
    record = record_mod.parse(record_mod.dumps(data), source="merged")
    assert record.tests is not None and record.tests.run.counts is not None
    assert record.tests.run.counts.ignored == 1 and record.tests.run.failing == ("b::it t3",)


def test_a_merged_record_against_an_unsharded_one_is_advisory_never_a_verdict() -> None:
    from perf_tasks.measure.comparison import compare

    part = merge_mod.tests_part(
        merge_mod.merge(reports(), LISTED), reports(), command="c", doc=None
    )

    def record(tests: dict[str, object]) -> dict[str, object]:
        return record_mod.envelope(
            started_at=0.0, elapsed_s=0.0, ok=True, workspace={}, settings=None,
            environment={}, build=None, tests=tests,
        )  # fmt: skip

    unsharded = record({**part, "runner": "nextest"})
    assert "test runner: 'nextest' -> 'nextest-shards'" in compare(unsharded, record(part)).advisory
    assert compare(record(part), record(part)).advisory == ()


def test_a_test_no_shard_ran_or_two_shards_ran_is_named() -> None:
    twice = [
        *reports(),
        merge_mod.read_report(junit(("a", "t1", 0.4, "passed")), shard=3, source="3"),
    ]
    listed = (*LISTED, Listed("c", "never_run", False, True))
    merged = merge_mod.merge(twice, listed)
    assert merged.missing == ("c never_run",)
    assert merged.duplicated == ("a t1",)
    assert not merged.complete


def test_doctests_come_from_their_own_job() -> None:
    out = (
        "running 3 tests\n"
        "test src/lib.rs - add (line 3) ... ok\n"
        "test src/lib.rs - sub (line 9) ... FAILED\n"
        "test src/lib.rs - mul (line 20) ... ignored\n"
        "test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out\n"
    )
    doc = merge_mod.doc_part(out, source="doc.txt")
    assert (doc["passed"], doc["failed"], doc["ignored"]) == (1, 1, 1)
    assert doc["failing"] == ["src/lib.rs - sub (line 9)"]
    with pytest.raises(ValueError, match=r"doc\.txt has no `test result:` line"):
        merge_mod.doc_part("Compiling x\n", source="doc.txt")


def shard_files(tmp_path: Path, shards: int, present: tuple[int, ...]) -> Path:
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "0.1.0"\n')
    folder = tmp_path / "reports"
    folder.mkdir()
    for k in present:
        (folder / f"junit-{k}-of-{shards}.xml").write_text(junit(("a", f"t{k}", 0.1, "passed")))
    return folder


@pytest.mark.parametrize(
    ("present", "said"),
    [((1, 3), "no report of shard 2/3 in"), ((), "no report of shard 1/3, 2/3, 3/3 in")],
)
def test_a_missing_shard_is_named_and_nothing_is_written(
    tmp_path: Path, present: tuple[int, ...], said: str
) -> None:
    folder = shard_files(tmp_path, 3, present)
    proc = perf("tests.merge", "--shards", "3", "--reports", str(folder), cwd=tmp_path)
    assert said in one_line_error(proc)
    assert not (folder / "record.json").exists()


def test_an_out_path_through_a_file_is_one_line(tmp_path: Path) -> None:
    folder = shard_files(tmp_path, 1, (1,))
    args = ("--shards", "1", "--reports", str(folder), "--out", "Cargo.toml/record.json")
    proc = perf("tests.merge", *args, cwd=tmp_path)
    assert "--out Cargo.toml/record.json: cannot make its folder Cargo.toml" in one_line_error(proc)


def test_a_damaged_report_is_named(tmp_path: Path) -> None:
    folder = shard_files(tmp_path, 2, (1, 2))
    (folder / "junit-2-of-2.xml").write_text("<testsuites><testcase")
    proc = perf("tests.merge", "--shards", "2", "--reports", str(folder), cwd=tmp_path)
    assert "junit-2-of-2.xml: not a JUnit report" in one_line_error(proc)


@pytest.mark.parametrize(
    ("doctests", "said"),
    [("doc.txt", "has no `test result:` line"), ("/dev/zero", "/dev/zero is not the doctest job's output (not a regular file)"),
     ("missing.txt", "no file at missing.txt: give the doctest job's output")],
)  # fmt: skip
def test_a_doctest_output_that_is_not_one_is_refused(
    tmp_path: Path, doctests: str, said: str
) -> None:
    folder = shard_files(tmp_path, 1, (1,))
    (tmp_path / "doc.txt").write_text("error: could not compile\n")
    args = ("--shards", "1", "--reports", str(folder), "--doctests", doctests)
    proc = perf("tests.merge", *args, cwd=tmp_path)
    assert said in one_line_error(proc)


def test_merge_needs_the_number_of_shards(tmp_path: Path) -> None:
    shard_files(tmp_path, 1, (1,))
    assert "give --shards N" in one_line_error(perf("tests.merge", cwd=tmp_path))
    proc = perf("tests.merge", "--shards", "0", cwd=tmp_path)
    assert "--shards 0: give a whole number" in one_line_error(proc)
