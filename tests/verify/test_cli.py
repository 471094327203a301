"""verify.record and verify.check through the real CLI, on copies of one recorded demo workspace:
one record, then edits on copies (each copy compiles only what its edit touched)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import copy_tree
from helpers import perf

from perf_tasks.quantities import DURATION_PATTERN

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

RECORD = Path("docs") / "performance" / "verify.json"
STAMPED = re.compile(rf"^\[{DURATION_PATTERN}\] verify: ")  # a progress line


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def recorded(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built demo with its record written by `verify.record`: read, never change."""
    ws = copy_tree(demo_built, tmp_path_factory.mktemp("verify") / "ws")
    proc = perf("verify.record", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    *progress, last = proc.stdout.splitlines()
    assert last == f"recorded 19 tests (18 passed, 1 ignored) in {RECORD.as_posix()}"
    # no minutes of silence: each step, then the tests as they end (off a terminal, plain lines)
    said = [line.split("] ", 1)[1] for line in progress]
    assert said[:2] == ["verify: list the tests", "verify: run the tests"], said
    assert any(re.fullmatch(r"verify: run the tests, \d+ of \d+ tests ended", s) for s in said)
    assert said[-1] == "verify: run the doctests", said
    return ws


@pytest.fixture
def ws(recorded: Path, tmp_path: Path) -> Path:
    return copy_tree(recorded, tmp_path / "ws")


def test_the_record_lists_every_test_doctests_without_their_line(recorded: Path) -> None:
    data = json.loads((recorded / RECORD).read_text())
    assert data["schema"] == "perf-tasks/verify"
    assert data["totals"] == {"passed": 18, "failed": 0, "ignored": 1, "skipped": 0}
    tests = {(t["binary"], t["name"]): (t["kind"], t["outcome"]) for t in data["tests"]}
    assert tests[("demo-core", "tests::tokenize_empty_and_punctuation_only")] == ("test", "passed")
    assert tests[("demo-core::core_api", "checksum_of_large_input_matches_reference")] == (
        "test",
        "ignored",
    )
    assert tests[("demo-core (doctests)", "crates/demo-core/src/lib.rs - tokenize")] == (
        "doctest",
        "passed",
    )
    assert not any("(line" in name for _, name in tests)


def test_check_catches_a_deleted_an_ignored_and_a_failing_test(ws: Path) -> None:
    # A unit test deleted, an integration test made #[ignore], a CLI test that now fails.
    edit(
        ws / "crates/demo-report/src/lib.rs",
        "    #[test]\n    fn top_words_of_empty_text_is_empty() {\n"
        '        assert!(top_words("", 5).is_empty());\n    }\n',
        "",
    )
    edit(
        ws / "crates/demo-core/tests/core_api.rs",
        "#[test]\nfn checksum_detects_a_single_byte_change()",
        "#[test]\n#[ignore]\nfn checksum_detects_a_single_byte_change()",
    )
    edit(ws / "crates/demo-cli/tests/cli.rs", '"11e60398"', '"00000000"')

    proc = perf("verify.check", "--root", str(ws))
    assert proc.returncode == 1, proc.stderr
    assert [line for line in proc.stdout.splitlines() if not STAMPED.match(line)] == [
        "change           test                                                       before  now",
        "changed outcome  demo-cli::cli checksum_flag_matches_library                passed  failed",
        "became ignored   demo-core::core_api checksum_detects_a_single_byte_change  passed  ignored",
        "disappeared      demo-report tests::top_words_of_empty_text_is_empty        passed  -",
        f"3 tests differ from {RECORD.as_posix()}",
    ]

    proc = perf("verify.check", "--root", str(ws), "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert data["tests"] == {"recorded": 19, "now": 18}
    assert {
        (d["binary"], d["name"], d["change"], d["before"], d["after"]) for d in data["differences"]
    } == {
        (
            "demo-core::core_api",
            "checksum_detects_a_single_byte_change",
            "became ignored",
            "passed",
            "ignored",
        ),
        ("demo-cli::cli", "checksum_flag_matches_library", "changed outcome", "passed", "failed"),
        ("demo-report", "tests::top_words_of_empty_text_is_empty", "disappeared", "passed", None),
    }


def test_check_stays_quiet_when_a_comment_moves_a_doctest(ws: Path) -> None:
    lib = ws / "crates/demo-core/src/lib.rs"
    edit(
        lib,
        "/// Splits `text`",
        "// A comment: every doctest below moves down a line.\n/// Splits `text`",
    )
    proc = perf("verify.check", "--root", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        f"same tests, same outcomes as {RECORD.as_posix()}: 19 tests (18 passed, 1 ignored)"
    )
    assert all(STAMPED.match(line) for line in proc.stdout.splitlines()[:-1]), proc.stdout


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no verify record there: run `perf-tasks verify.record`"),
        ("not json", "not a verify record (not JSON"),
        ('{"schema_version": 1, "ok": true}', 'not a verify record (no "schema"'),
        ('{"schema": "perf-tasks/verify", "schema_version": 99, "tests": []}', "schema version 99"),
        pytest.param("[" * 100_000, "nested too deeply", id="nested-deep"),
        pytest.param("fifo", "not a regular file", id="fifo"),
    ],
)
def test_bad_record_is_one_line_and_exit_2(tmp_path: Path, content: str | None, says: str) -> None:
    # Bad input fails before anything runs: no workspace is needed, nothing is built.
    path = tmp_path / "verify.json"
    if content == "fifo":
        os.mkfifo(path)  # nothing ever writes it: reading it must not hang
    elif content is not None:
        path.write_text(content)
    proc = perf("verify.check", "--root", str(tmp_path), "--record", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
