"""Retention by age (`clean.runs`, `clean.artifacts`) with mtimes a wrong clock set years off:
what cannot be judged by its age stays, and no time ever raises."""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import age, perf, tiny_workspace, write

from perf_tasks.clean.modes.runs import RunInfo, decide_runs
from perf_tasks.settings import Settings

RESET_CLOCK = 157_766_400.0  # 1975-01-01: a real-time clock that lost its battery, then ran on


def stamp(path: Path, when: float) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            os.utime(os.path.join(dirpath, name), (when, when), follow_symlinks=False)
    os.utime(path, (when, when))


def clean(mode: str, root: Path) -> dict[str, object]:
    proc = perf(mode, "--json", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout)
    return report


def test_the_newest_run_dated_1975_by_a_reset_clock_stays(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    runs = root / "output" / "scg"
    for n in range(1, 13):  # names sort in the order the runs were made
        write(runs / f"run-{n:02d}" / "data.bin")
        age(runs / f"run-{n:02d}", 30 + 12 - n)
    stamp(runs / "run-12", RESET_CLOCK)  # the newest run, written while the clock read 1975
    report = clean("clean.runs", root)
    assert (runs / "run-12").is_dir()  # not judged 51 years old: the newest run stays
    gone = sorted(Path(str(i["path"])).name for i in report["items"])  # type: ignore[attr-defined]
    # the policy still holds for the rest: the newest 10 of those with a usable age stay
    assert gone == ["run-01"]
    reasons = [s["reason"] for s in report["skipped"]]  # type: ignore[attr-defined]
    assert any("1975" in r and "wrong clock" in r and "by name" in r for r in reasons), reasons


def test_an_artifact_dated_1975_by_a_reset_clock_stays(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    old = write(root / "artifacts" / "data" / "old.csv")
    age(old, 30)
    reset = write(root / "artifacts" / "data" / "measured-while-the-clock-was-wrong.csv")
    stamp(reset, RESET_CLOCK)
    report = clean("clean.artifacts", root)
    assert reset.exists() and not old.exists()
    reasons = [s["reason"] for s in report["skipped"]]  # type: ignore[attr-defined]
    assert any("wrong clock" in r and "cannot be judged" in r for r in reasons), reasons


def test_a_run_dated_past_the_year_9999_is_judged_by_name_without_raising() -> None:
    # tmpfs keeps 64-bit seconds: `touch -d @900000000000000000` is a valid mtime there
    now = 2_000_000_000.0
    runs = [RunInfo(Path(f"/r/run-{n}"), now - n * 86400 * 30, None) for n in range(3)]
    far = RunInfo(Path("/r/run-9"), 9e17, None)
    remove, skipped = decide_runs([*runs, far], Settings(), now=now)
    assert remove == []
    (why,) = [s.reason for s in skipped if s.path == far.path]
    assert "dated in the future" in why and "kept while among the newest 10 by name" in why
