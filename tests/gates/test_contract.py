"""The contract's Markdown: the gates table is found among free text, every bound form parses,
and every mistake is one line naming the file, the line and what to write."""

from __future__ import annotations

import pytest

from perf_tasks.gates.contract import EACH, ContractError, parse

CONTRACT = """# Performance contract

Free text before the table | even with a pipe.

| metric | bound | note |
|---|---|---|
| `tests.wall_s` | ≤ 120 s | the suite |
| `disk.target.bytes` | <= 5 GB | the budget |
| build.incremental.cpu_s | ≤ +10% | relative |
| `test:demo-core::core_api slow_path_when_asked` | ≤ 200 ms | one test |
| `tests.each` | ≤ +50% and +100 ms | no test got slower |
| `tests.doc.peak_tree_rss_bytes` | ≤ 800 MiB | RAM |

Free text after it.
"""


def test_every_row_and_bound_form_parses() -> None:
    contract = parse(CONTRACT, source="C.md")
    gates = {g.metric: g for g in contract.gates}
    assert list(gates) == [
        "tests.wall_s",
        "disk.target.bytes",
        "build.incremental.cpu_s",
        "test:demo-core::core_api slow_path_when_asked",
        EACH,
        "tests.doc.peak_tree_rss_bytes",
    ]
    assert gates["tests.wall_s"].bound.limit == 120.0
    assert gates["tests.wall_s"].line == 7
    assert gates["disk.target.bytes"].bound.limit == 5e9
    assert gates["build.incremental.cpu_s"].bound.relative == pytest.approx(0.10)
    test = gates["test:demo-core::core_api slow_path_when_asked"]
    assert test.test_id == "demo-core::core_api slow_path_when_asked"
    assert test.bound.limit == pytest.approx(0.2)
    assert (gates[EACH].bound.relative, gates[EACH].bound.floor) == (0.5, pytest.approx(0.1))
    assert gates["tests.doc.peak_tree_rss_bytes"].bound.limit == 800 * 2**20
    assert gates["tests.wall_s"].note == "the suite"


def test_test_star_is_the_per_test_rule() -> None:
    text = "| metric | bound |\n|--|--|\n| test:* | ≤ +50% and +100 ms |\n"
    (gate,) = parse(text, source="C.md").gates
    assert gate.metric == EACH


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("| tests.wal_s | ≤ 1 s | |", r"^C\.md:3: unknown metric 'tests.wal_s': use"),
        ("| tests.wall_s | 1 s | |", r"^C\.md:3: tests.wall_s: the bound '1 s' must start with ≤"),
        ("| tests.wall_s | ≤ 1 | |", r"^C\.md:3: tests.wall_s: expected a duration"),
        ("| disk.target.bytes | ≤ 5 parsecs | |", r"^C\.md:3: disk.target.bytes: expected a size"),
        ("| tests.each | ≤ +50% | |", r"^C\.md:3: tests.each: the per-test rule needs both floors"),
        (
            "| test:lonely | ≤ 1 s | |",
            r"^C\.md:3: 'test:lonely': write a test as `test:<binary-id>",
        ),
        ("| tests.wall_s |", r"^C\.md:3: a gate row needs a metric and a bound"),
    ],
)
def test_a_bad_row_names_file_line_and_the_fix(row: str, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        parse(f"| metric | bound | note |\n|---|---|---|\n{row}\n", source="C.md")


def test_table_problems_are_named() -> None:
    with pytest.raises(ContractError, match=r"^C\.md: no gates table: add a Markdown table"):
        parse("# nothing here\n| a | b |\n|---|---|\n", source="C.md")
    with pytest.raises(ContractError, match=r"^C\.md:2: the gates table needs a separator row"):
        parse("| metric | bound |\n| tests.wall_s | ≤ 1 s |\n", source="C.md")
    with pytest.raises(ContractError, match=r"^C\.md:1: the gates table has no rows"):
        parse("| metric | bound |\n|---|---|\n\n| tests.wall_s | ≤ 1 s |\n", source="C.md")
    twice = "| metric | bound |\n|---|---|\n| tests.wall_s | ≤ 1 s |\n| tests.wall_s | ≤ 2 s |\n"
    with pytest.raises(ContractError, match=r"^C\.md:4: tests.wall_s already has a gate on line 3"):
        parse(twice, source="C.md")


def test_a_table_in_a_code_block_is_an_example_not_the_gates() -> None:
    text = (
        "An example row:\n\n```markdown\n| metric | bound | note |\n|---|---|---|\n"
        "| tests.cpu_s | ≤ 100 s | example |\n```\n\n"
        "| metric | bound | note |\n|---|---|---|\n| disk.target.bytes | ≤ 1 kB | real |\n"
    )
    (gate,) = parse(text, source="C.md").gates
    assert (gate.metric, gate.line, gate.bound.limit) == ("disk.target.bytes", 11, 1000.0)
    only_fenced = "~~~~\n| metric | bound |\n|---|---|\n| tests.cpu_s | ≤ 1 s |\n~~~~\n"
    with pytest.raises(ContractError, match=r"^C\.md: no gates table"):
        parse(only_fenced, source="C.md")


def test_a_second_gates_table_is_an_error_never_ignored() -> None:
    text = (
        "| metric | bound |\n|---|---|\n| tests.cpu_s | ≤ 2 s |\n\ntext\n\n"
        "| Metric | Bound | note |\n|---|---|---|\n| disk.target.bytes | ≤ 1 kB | x |\n"
    )
    with pytest.raises(
        ContractError, match=r"^C\.md:7: a second gates table \(the first is on line 1\)"
    ):
        parse(text, source="C.md")


def test_a_test_row_s_spaces_are_normalised() -> None:
    (gate,) = parse(
        "| metric | bound |\n|--|--|\n| `test: a::b   c` | ≤ 1 s |\n", source="C.md"
    ).gates
    assert gate.test_id == "a::b c"


def test_a_row_without_its_leading_pipe_is_still_a_gate() -> None:
    text = "| metric | bound |\n|---|---|\n| tests.cpu_s | ≤ 2 s |\ndisk.target.bytes | ≤ 1 kB\nWords.\n"
    gates = parse(text, source="C.md").gates
    assert [(g.metric, g.line) for g in gates] == [("tests.cpu_s", 3), ("disk.target.bytes", 4)]


@pytest.mark.parametrize("odd", ["\u2028", "\u0085", "\x1c"])
def test_a_unicode_line_separator_in_a_note_is_text_not_a_new_row(odd: str) -> None:
    # Markdown ends a line at \n: str.splitlines would cut the row in two.
    text = f"| metric | bound | note |\n|---|---|---|\n| tests.wall_s | ≤ 2 s | a{odd}b |\n"
    (gate,) = parse(text, source="C.md").gates
    assert (gate.metric, gate.note) == ("tests.wall_s", f"a{odd}b")
