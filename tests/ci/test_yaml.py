"""The YAML writer: whatever it writes, YAML reads back as the same data; comments and blank lines
land where they were asked for."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from perf_tasks.ci.yaml import Commented, dump

# Any text a workflow could hold (no lone surrogates: they are not text).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(TEXT)
def test_every_string_reads_back_the_same(text: str) -> None:
    assert yaml.safe_load(dump({"k": text})) == {"k": text}


# What YAML reads specially, more often than any text would hold it.
TRICKY = st.text(st.sampled_from("ab :#-'\"\n |>!*&{}[],.0123 yesno\t~%@`=<?$"), max_size=30)


@given(st.lists(st.one_of(TEXT, TRICKY), max_size=4))
def test_every_list_of_strings_reads_back_the_same(items: list[str]) -> None:
    doc = {"k": items, "m": items[0] if items else "", "n": {"x": items}}
    assert yaml.safe_load(dump(doc)) == doc


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("ubuntu-latest", "ubuntu-latest"),
        ("${{ runner.os }}-cargo-", "${{ runner.os }}-cargo-"),
        ("3.10", "'3.10'"),
        ("17 4 * * *", "'17 4 * * *'"),
        ("on", "'on'"),
        ("!cancelled()", "'!cancelled()'"),
        ("a: b", "'a: b'"),
        ("it's", "it's"),
        ("'quoted'", "\"'quoted'\""),
        ("a\tb", '"a\\x09b"'),
        (7, "7"),
        (False, "false"),
    ],
)
def test_scalars_are_plain_when_they_can_be(value: object, text: str) -> None:
    assert dump({"k": value}) == f"k: {text}\n"


def test_layout_comments_blocks_and_flow_lists() -> None:
    doc = {
        "on": {"push": {"branches": ["main"]}, "workflow_dispatch": None},
        "permissions": Commented({}, above="none"),
        "jobs": {
            "a": {
                "steps": [
                    Commented({"uses": Commented("x@1", after="v1")}, above="first"),
                    {"run": "one\ntwo\n"},
                ]
            },
            "b": Commented({"if": "x"}, blank=True),
        },
    }
    assert dump(doc, header="top") == (
        "# top\n"
        "on:\n"
        "  push:\n"
        "    branches: [main]\n"
        "  workflow_dispatch:\n"
        "\n"
        "# none\n"
        "permissions: {}\n"
        "\n"
        "jobs:\n"
        "  a:\n"
        "    steps:\n"
        "      # first\n"
        "      - uses: x@1 # v1\n"
        "      - run: |\n"
        "          one\n"
        "          two\n"
        "\n"
        "  b:\n"
        "    if: x\n"
    )
