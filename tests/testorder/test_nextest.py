"""The bands on a real workspace, read by nextest itself: accepted, the slowest started first, and
every setting of the user's own overrides still applied."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from helpers import perf
from testorder.slow_workspace import CONFIG, USER, junit, make, run_order

pytestmark = [pytest.mark.cargo, pytest.mark.slow]


def test_nextest_starts_the_slowest_first_and_keeps_the_users_settings(tmp_path: Path) -> None:
    root = make(tmp_path / "slowfirst")
    durations = junit(tmp_path / "junit.xml")
    before, _ = run_order(root)
    # By name, the slowest runs last but for the one the user's priority -30 puts after it.
    assert before[0] == "a_fast_0" and before[-2:] == ["z_slowest", "x_user_last"], before

    proc = perf("tests.order", "--root", str(root), "--durations", str(durations))
    assert proc.returncode == 0, proc.stderr
    text = (root / CONFIG).read_text()
    assert text.startswith(USER)

    listed = subprocess.run(
        ["cargo", "nextest", "list", "--profile", "ci"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr  # nextest accepts the bands
    after, output = run_order(root)
    # The slowest first; the flaky one (band 2) next; the user's priority -30 keeps its test last.
    assert after[:2] == ["z_slowest", "y_flaky"], after
    assert after[-1] == "x_user_last", after
    assert sorted(after) == sorted(before)
    # The user's retries still apply to y_flaky (it fails once, then passes), and their
    # slow-timeout to z_slowest (flagged slow after 250 ms).
    assert "TRY 2 PASS" in output and "(1 slow, 1 flaky)" in output, output
    assert re.search(r"SLOW \[>\s+0\.250s\].* z_slowest\n", output), output

    again = perf("tests.order", "--root", str(root), "--durations", str(durations))
    assert again.returncode == 0 and (root / CONFIG).read_text() == text
