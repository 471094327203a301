"""The one code-point escape: the shortest of `\\x`, `\\u`, `\\U` that holds the character."""

from __future__ import annotations

import ast

import pytest

from perf_tasks import escape


@pytest.mark.parametrize(
    ("ch", "written"),
    [("\x00", "\\x00"), ("\x85", "\\x85"), ("\u2028", "\\u2028"), ("\U0001f600", "\\U0001f600")],
)
def test_a_character_is_written_as_the_escape_python_reads_back(ch: str, written: str) -> None:
    assert escape.code_point(ch) == written
    assert ast.literal_eval(f'"{written}"') == ch
