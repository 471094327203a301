"""The bands in `.config/nextest.toml`: text in, text out, every byte but ours kept. Pure."""

from __future__ import annotations

from typing import Any

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from perf_tasks.errors import EditRefused
from perf_tasks.measure.durations import TestTime as Timed
from perf_tasks.testorder import config
from perf_tasks.testorder.bands import Band

SLOW = Band(60, (Timed("app::it", "slow_a", 3.0), Timed("app::it", "slow_b", 2.0)))
MID = Band(40, (Timed("app", "mid", 0.6), Timed("lib", "other", 0.5)))

USER = """\
# our CI
[profile.ci]
retries = 1
fail-fast = false

[[profile.ci.overrides]]
filter = "test(=slow_a)"
retries = 4
slow-timeout = "5m"

[[profile.ci.overrides]]
filter = "test(=mid)"
priority = -10
threads-required = 2

# the local default
[profile.default]
slow-timeout = "30s"
"""


def loads(text: str) -> Any:
    return tomlkit.parse(text).unwrap()


def overrides(text: str, profile: str = "ci") -> list[dict[str, object]]:
    found = loads(text).get("profile", {}).get(profile, {}).get("overrides", [])
    assert isinstance(found, list)
    return found


def test_bands_follow_every_user_override_and_only_set_priority() -> None:
    new = config.place(USER, "ci", [SLOW, MID])
    found = overrides(new)
    assert found[:2] == overrides(USER)  # the user's first: their `priority` matches first
    assert found[2:] == [
        {"filter": "binary_id(=app::it) & (test(=slow_a) | test(=slow_b))", "priority": 60},
        {
            "filter": "(binary_id(=app) & test(=mid)) | (binary_id(=lib) & test(=other))",
            "priority": 40,
        },
    ]
    assert config.strip_ours(new, "ci") == USER  # every other byte kept
    data, old = loads(new), loads(USER)
    del data["profile"]["ci"]["overrides"], old["profile"]["ci"]["overrides"]
    assert data == old
    # The bands sit at the end of [profile.ci], before the comment that opens the next table.
    assert new.index("priority = 40") < new.index("# the local default")


@pytest.mark.parametrize(
    "text",
    [
        USER,
        USER.replace("\n", "\r\n"),  # CRLF kept, and the bands written with it
        USER.rstrip("\n"),  # no newline at the end
        "",  # no file yet
        '[store]\ndir = "target/nextest"\n',  # no [profile.ci] at all
        USER + "\n[profile.ci.junit]\npath = 'junit.xml'\n",  # the profile resumes later
    ],
)
def test_a_second_run_with_the_same_bands_writes_the_same_bytes(text: str) -> None:
    once = config.place(text, "ci", [SLOW, MID])
    assert config.place(once, "ci", [SLOW, MID]) == once
    assert config.strip_ours(once, "ci") == text
    assert overrides(once)[-2:] == [
        {"filter": config.filterset(SLOW), "priority": 60},
        {"filter": config.filterset(MID), "priority": 40},
    ]
    if "\r\n" in text:
        assert "\n" not in once.replace("\r\n", "")


def test_new_durations_replace_the_bands_and_none_remove_them() -> None:
    once = config.place(USER, "ci", [SLOW, MID])
    again = config.place(once, "ci", [MID])
    assert [o.get("priority") for o in overrides(again)] == [None, -10, 40]
    assert config.place(once, "ci", []) == USER


def test_bands_of_another_profile_and_the_users_own_comments_stay() -> None:
    theirs = config.place(USER, "default", [MID])
    both = config.place(theirs, "ci", [SLOW])
    assert overrides(both, "default") == overrides(theirs, "default")
    assert config.strip_ours(both, "ci") == theirs


def test_an_override_subtable_stays_with_the_users_entry() -> None:
    text = USER.replace(
        "threads-required = 2\n",
        "threads-required = 2\n\n[profile.ci.overrides.junit]\nstore-success-output = true\n",
    )
    new = config.place(text, "ci", [SLOW])
    found = overrides(new)
    assert found[1]["junit"] == {"store-success-output": True}
    assert found[2] == {"filter": config.filterset(SLOW), "priority": 60}


def test_a_users_priority_in_a_later_profile_keeps_winning() -> None:
    text = USER + (
        '\n[[profile.default.overrides]]\nfilter = "test(=slow_b)"\npriority = -50\n'
        '\n[profile.base]\n\n[[profile.base.overrides]]\nfilter = "package(app)"\npriority = 5\n'
    )
    text = text.replace("fail-fast = false\n", 'fail-fast = false\ninherits = "base"\n')
    new = config.place(text, "ci", [SLOW])
    assert overrides(new)[-1]["filter"] == (
        f"({config.filterset(SLOW)}) & not (package(app)) & not (test(=slow_b))"
    )


@pytest.mark.parametrize("profile", ["default", "base"])
def test_a_later_priority_for_every_test_is_refused(profile: str) -> None:
    text = USER.replace("fail-fast = false\n", 'fail-fast = false\ninherits = "base"\n') + (
        f"\n[[profile.{profile}.overrides]]\nplatform = 'cfg(unix)'\npriority = 3\n"
    )
    with pytest.raises(EditRefused, match=r"sets the priority of every test.*nothing"):
        config.place(text, "ci", [SLOW])


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[profile.ci]\noverrides = [{ filter = 'all()', retries = 2 }]\n", "cannot go into"),
        ("[profile.ci\n", "not valid TOML"),
        ("[profile]\nci = { retries = 2 }\n", "cannot go into"),
        # Parsed by tomlkit, which then raises KeyAlreadyPresent (not a ValueError) on unwrap.
        ("[profile.ci]\nretries = 1\n[store]\n[profile.ci]\nretries = 2\n", "not valid TOML"),
    ],
)
def test_a_file_the_bands_cannot_join_is_refused(text: str, why: str) -> None:
    with pytest.raises(EditRefused, match=why):
        config.place(text, "ci", [SLOW])


def test_names_are_escaped_for_the_filterset() -> None:
    band = Band(60, (Timed("odd::bin", "case(a,b)\\x", 1.0),))
    assert config.filterset(band) == "binary_id(=odd::bin) & test(=case(a\\,b\\)\\\\x)"
    new = config.place("", "ci", [band])
    assert overrides(new)[0]["filter"] == config.filterset(band)


def test_only_our_marked_entries_are_ours() -> None:
    lookalike = (
        '[[profile.ci.overrides]]\nfilter = "test(=x)"\npriority = 60\n'
        "# perf-tasks tests.order: slowest first; replaced by its next run\n"
    )
    new = config.place(lookalike, "ci", [SLOW])
    assert overrides(new)[0] == {"filter": "test(=x)", "priority": 60}
    assert config.place(new, "ci", []) == lookalike


FRAGMENTS = [
    "[profile.ci]\nretries = 1\n",
    "[profile.default]\nslow-timeout = '30s'\n",
    '[[profile.ci.overrides]]\nfilter = "test(=a)"\nretries = 2\n',
    '[[profile.ci.overrides]]  # theirs\nfilter = "test(=b)"\npriority = 5\n',
    "[profile.ci.junit]\npath = 'junit.xml'\n",
    '[[profile.default.overrides]]\nfilter = "test(=c)"\nthreads-required = 2\n',
    "# a comment\n",
    "\n",
    "[store]\ndir = 'target/nextest'\n",
]


@settings(deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.booleans(), st.booleans())
def test_any_file_keeps_its_bytes_and_a_second_run_changes_nothing(
    parts: list[str], crlf: bool, cut_last_newline: bool
) -> None:
    text = "".join(parts)
    try:
        loads(text)
    except Exception:  # a table defined twice: not a file nextest reads either
        with pytest.raises(EditRefused, match="not valid TOML"):
            config.place(text, "ci", [SLOW])
        return
    if crlf:
        text = text.replace("\n", "\r\n")
    if cut_last_newline:
        text = text.rstrip("\r\n")
    for profile in ("ci", "default"):
        once = config.place(text, profile, [SLOW, MID])
        # Every byte kept; a last line without its line end gets one.
        nl = "\r\n" if "\r\n" in text else "\n"  # a file of one line without its end: "\n"
        ended = text if not text or text.endswith("\n") else text + nl
        assert config.strip_ours(once, profile) in (text, ended)
        assert config.place(once, profile, [SLOW, MID]) == once
        assert config.place(once, profile, []) in (text, ended)
        found = overrides(once, profile)
        assert found[:-2] == overrides(text, profile)
        assert [o["priority"] for o in found[-2:]] == [60, 40]
