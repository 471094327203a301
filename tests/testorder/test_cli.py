"""`tests.order` through the real CLI: the bands written, rewritten, shown, refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git, one_line_error, perf, write

from perf_tasks.testorder import config

CONFIG = ".config/nextest.toml"
USER = """\
[profile.ci]
retries = 1

[[profile.ci.overrides]]
filter = "test(=slow_one)"
retries = 3
"""


def junit(path: Path, cases: dict[str, float], failed: tuple[str, ...] = ()) -> Path:
    """A JUnit report as nextest writes one: `binary name` -> seconds."""
    rows = []
    for case, seconds in cases.items():
        binary, name = case.split(" ", 1)
        body = '<failure type="test failure"/>' if case in failed else ""
        rows.append(
            f'<testcase name="{name}" classname="{binary}" time="{seconds}">{body}</testcase>'
        )
    return write(
        path,
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nextest-run">'
        f'<testsuite name="all">{"".join(rows)}</testsuite></testsuites>\n',
    )


TIMES = {"w::it slow_one": 2.0, "w::it slow_two": 1.5, "w mid": 0.4, "w fast": 0.01}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "Cargo.toml", '[package]\nname = "w"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "")
    write(root / "tests" / "it.rs", "")
    write(root / CONFIG, USER)
    git("init", "-q", cwd=root)
    junit(tmp_path / "junit.xml", TIMES)
    return root


def order(root: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    durations = root.parent / "junit.xml"
    return perf("tests.order", "--root", str(root), "--durations", str(durations), *flags)


def test_writes_the_bands_after_the_users_overrides_and_a_second_run_changes_nothing(
    ws: Path,
) -> None:
    proc = order(ws, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["written"] and data["changes"] and data["profile"] == "ci"
    assert [(b["priority"], b["tests"]) for b in data["bands"]] == [
        (60, ["w::it slow_one", "w::it slow_two"]),
        (40, ["w mid"]),
    ]
    assert data["default_priority"] == 1
    text = (ws / CONFIG).read_text()
    assert text.startswith(USER)  # the user's entries, byte for byte, and first
    assert 'filter = "binary_id(=w::it) & (test(=slow_one) | test(=slow_two))"' in text
    first = (ws / CONFIG).read_bytes()
    mtime = os.stat(ws / CONFIG).st_mtime_ns
    again = order(ws)
    assert again.returncode == 0, again.stderr
    assert "already holds these bands" in again.stdout
    assert (ws / CONFIG).read_bytes() == first and os.stat(ws / CONFIG).st_mtime_ns == mtime


def test_dry_run_shows_the_diff_and_writes_nothing(ws: Path) -> None:
    proc = order(ws, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "+++ b/.config/nextest.toml" in proc.stdout
    assert "+priority = 60" in proc.stdout and "nothing was written" in proc.stdout
    assert (ws / CONFIG).read_text() == USER
    gone = ws.parent / "fresh"
    write(gone / "Cargo.toml", (ws / "Cargo.toml").read_text())
    write(gone / "src" / "lib.rs", "")
    write(gone / "tests" / "it.rs", "")
    proc = order(gone, "--dry-run", "--json")
    assert json.loads(proc.stdout)["diff"].startswith("--- /dev/null\n")
    assert not (gone / CONFIG).exists()


def test_other_durations_replace_the_bands(ws: Path, tmp_path: Path) -> None:
    assert order(ws).returncode == 0
    junit(tmp_path / "junit.xml", {"w mid": 3.0, "w fast": 0.01}, failed=("w fast",))
    proc = order(ws, "--json")
    assert proc.returncode == 0, proc.stderr
    text = (ws / CONFIG).read_text()
    assert text.count("perf-tasks tests.order") == 2 and "slow_two" not in text
    bands = json.loads(proc.stdout)["bands"]
    assert [(b["priority"], b["failed_last_run"], b["tests"]) for b in bands] == [
        (70, True, ["w fast"]),
        (60, False, ["w mid"]),
    ]


def test_a_profile_given_writes_there(ws: Path) -> None:
    proc = order(ws, "--profile", "default")
    assert proc.returncode == 0, proc.stderr
    text = (ws / CONFIG).read_text()
    assert text.startswith(USER) and "[[profile.default.overrides]] # perf-tasks" in text


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--profile", "c i"), "a nextest profile name"),
        (("--profile", ""), "is empty"),
        (("--profile", "default-x"), "reserves"),
        (("--max-pairs", "8"), "go with --measure"),
        (("--measure", "--max-pairs", "3"), "too few"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(ws: Path, flags: tuple[str, ...], says: str) -> None:
    line = one_line_error(order(ws, *flags))
    assert says in line
    assert (ws / CONFIG).read_text() == USER


def test_bad_durations_are_one_line_and_exit_2(ws: Path, tmp_path: Path) -> None:
    proc = perf("tests.order", "--root", str(ws), "--durations", str(tmp_path / "none.xml"))
    assert "no durations file" in one_line_error(proc)
    proc = perf("tests.order", "--root", str(ws), "--durations", "/dev/zero")
    assert "not a regular file" in one_line_error(proc)
    proc = perf("tests.order", "--root", str(ws))  # no baseline record either
    assert "baseline" in one_line_error(proc)
    proc = perf("tests.order", "--root", str(ws), "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["ok"] is False
    assert (ws / CONFIG).read_text() == USER


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[profile.ci\n", "nextest.toml: not valid TOML"),
        ("[profile.ci]\nretries = 1\n[store]\n[profile.ci]\nretries = 2\n", "already exists"),
        ("[profile.ci]\noverrides = [{ filter = 'all()', retries = 2 }]\n", "cannot go into"),
        (
            "[[profile.default.overrides]]\nplatform = 'cfg(unix)'\npriority = 9\n",
            "sets the priority of every test",
        ),
    ],
)
def test_a_file_the_bands_cannot_join_is_refused_untouched(ws: Path, text: str, says: str) -> None:
    (ws / CONFIG).write_text(text)
    assert says in one_line_error(order(ws))
    assert (ws / CONFIG).read_text() == text


def test_a_read_only_or_linked_file_is_refused(ws: Path, tmp_path: Path) -> None:
    os.link(ws / CONFIG, tmp_path / "other-link")
    assert "hard links" in one_line_error(order(ws))
    os.unlink(tmp_path / "other-link")
    os.chmod(ws / CONFIG, 0o444)
    try:
        assert "read-only" in one_line_error(order(ws))
    finally:
        os.chmod(ws / CONFIG, 0o644)
    assert (ws / CONFIG).read_text() == USER


def test_through_a_symlink_the_target_is_edited(ws: Path, tmp_path: Path) -> None:
    shared = write(tmp_path / "shared" / "nextest.toml", USER)
    os.chmod(shared, 0o640)
    (ws / CONFIG).unlink()
    (ws / CONFIG).symlink_to(shared)
    assert order(ws).returncode == 0
    assert (ws / CONFIG).is_symlink() and "priority = 60" in shared.read_text()
    assert os.stat(shared).st_mode & 0o777 == 0o640


def test_tests_of_a_binary_the_workspace_no_longer_has_are_left_out(
    ws: Path, tmp_path: Path
) -> None:
    # nextest refuses the whole config when a binary_id(=...) matches no binary (exit 96).
    junit(tmp_path / "junit.xml", {**TIMES, "w::renamed gone": 9.0, "old-crate x": 1.0})
    proc = order(ws, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["binaries_gone"] == ["old-crate", "w::renamed"]
    assert "w::renamed" in proc.stderr and "no longer has" in proc.stderr
    text = (ws / CONFIG).read_text()
    assert "renamed" not in text and "old-crate" not in text
    assert data["bands"][0]["tests"] == ["w::it slow_one", "w::it slow_two"]


def test_a_byte_order_mark_is_kept(ws: Path) -> None:
    (ws / CONFIG).write_bytes(b"\xef\xbb\xbf" + USER.encode())
    proc = order(ws)
    assert proc.returncode == 0, proc.stderr
    data = (ws / CONFIG).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + USER.encode()) and b"priority = 60" in data


@pytest.mark.parametrize(
    "cases", [{}, {"old-crate x": 3.0}], ids=["no tests", "only gone binaries"]
)
def test_durations_without_a_test_of_the_workspace_change_nothing(
    ws: Path, tmp_path: Path, cases: dict[str, float]
) -> None:
    assert order(ws).returncode == 0
    written = (ws / CONFIG).read_bytes()
    junit(tmp_path / "junit.xml", cases)
    line = one_line_error(order(ws))
    assert "no test durations of this workspace" in line and "nothing was changed" in line
    assert (ws / CONFIG).read_bytes() == written  # the bands of real durations stay


def test_fast_tests_only_write_nothing_and_take_our_old_bands_away(
    ws: Path, tmp_path: Path
) -> None:
    assert order(ws).returncode == 0
    junit(tmp_path / "junit.xml", {"w::it slow_one": 0.02, "w mid": 0.01})
    proc = order(ws)
    assert proc.returncode == 0, proc.stderr
    assert "no test is slow enough to order" in proc.stdout
    assert (ws / CONFIG).read_text() == USER  # measured fast now: our bands went
    again = order(ws)
    assert "no band to write, none of ours to remove" in again.stdout


def test_two_runs_at_once_keep_both_edits(ws: Path, tmp_path: Path) -> None:
    durations = str(tmp_path / "junit.xml")
    base = [sys.executable, "-m", "perf_tasks", "tests.order", "--root", str(ws)]
    procs = [
        subprocess.Popen(
            [*base, "--durations", durations, "--profile", profile],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for profile in ("ci", "default")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    text = (ws / CONFIG).read_text()
    assert "[[profile.ci.overrides]] # perf-tasks" in text
    assert "[[profile.default.overrides]] # perf-tasks" in text
    assert config.strip_ours(text, None) == USER
