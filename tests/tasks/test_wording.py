"""One wording across every task: each task's --help and each dry run, through the real CLI, show
durations in the one format, counts with agreeing nouns, and help that belongs to its own task."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import age, git, perf, write

from perf_tasks.quantities import DURATION_PATTERN

# A number, a space and a time unit: a duration as we show one, whatever its shape (the check
# holds it to the one). Without the space it is the user's own data (nextest's `"60s"`).
_ANY_DURATION = re.compile(
    r"(?<![\w.])-?\d+(?:\.\d+)? (?:µs|us|ms|sec|s|min|h|days?)\b"
    r"(?: \d+(?:\.\d+)? (?:s|min|h)\b)?"
)
# A count of one with a plural noun: "1 entries", "1 tests" (units and verbs are not nouns).
_ONE_PLURAL = re.compile(r"(?<![\w.])1 (?!ms\b|µs\b|us\b|is\b|was\b|has\b|does\b)([a-z]+s)\b")


def format_problems(text: str) -> list[str]:
    """What in `text` breaks the wording rules: each problem quoted."""
    found = [f"a count with (s): {m.group(0)!r}" for m in re.finditer(r"\w\(s\)", text)]
    found += [f"one with a plural: {m.group(0)!r}" for m in _ONE_PLURAL.finditer(text)]
    for match in _ANY_DURATION.finditer(text):
        shown = match.group(0)
        if not re.fullmatch(DURATION_PATTERN, shown):
            found.append(f"a duration not in the one format: {shown!r}")
    return found


def test_the_check_itself_finds_each_kind_of_problem() -> None:
    """The rules catch the issue's own examples, and two variants of each."""
    bad = {
        "times appear as 2 min 11.6 s": "2 min 11.6 s",
        "took 73.680 s": "73.680 s",
        "took 61 ms": "61 ms",
        "(0.2 s)": "0.2 s",
        "[  0 s]": None,  # a stamp of another style: its number is not a duration shape
        "1 entries": "1 entries",
        "1 tests failed": "1 tests",
        "3 test(s) differ": "(s)",
        "12 unit(s)": "(s)",
    }
    for text, quoted in bad.items():
        problems = format_problems(text)
        if quoted is None:
            continue
        assert any(quoted in p for p in problems), (text, problems)
    for good in ("61.1 ms", "73.7 s", "2 min 12 s", "1 entry", "2 entries", "1 test", "1 of 3"):
        assert format_problems(good) == [], good


def _tasks() -> list[str]:
    listing = perf("--list", timeout=60)
    assert listing.returncode == 0, listing.stderr
    names = [
        line.split()[0]
        for line in listing.stdout.splitlines()
        if line.startswith("  ") and line.strip() and not line.startswith("   ")
    ]
    assert "contract.init" in names and "tests.runners" in names, listing.stdout
    return names


def test_every_task_help_has_one_wording_and_its_own_words() -> None:
    helps = {}
    for name in _tasks():
        proc = perf(name, "--help", timeout=60)
        assert proc.returncode == 0, (name, proc.stderr)
        helps[name] = proc.stdout
        assert format_problems(proc.stdout) == [], name
    # a help text copied from another task says the other task's verb
    record_flag = re.compile(r"--record=STRING\s+(.*?)(?:\n  -|\Z)", re.S)
    said = {
        name: " ".join(m.group(1).split())
        for name, text in helps.items()
        if (m := record_flag.search(text))
    }
    assert said["contract.init"].startswith("Write "), said["contract.init"]
    assert said["gate.check"].startswith("Check "), said["gate.check"]
    assert "Check" not in helps["contract.init"] and "Check" not in helps["monitor.run"]
    contract = re.search(r"--contract=STRING\s+(.*?)\n  -", helps["contract.init"], re.S)
    assert contract and contract.group(1).startswith("Where to write"), helps["contract.init"]


@pytest.mark.slow
def test_every_dry_run_has_one_wording(demo_copy: Path) -> None:
    """Every task with --dry-run, on the demo workspace: the same rules hold for what it shows."""
    dry = [name for name in _tasks() if "--dry-run" in perf(name, "--help").stdout]
    assert {"baseline.record", "tests.runners", "clean.routine", "ci.init"} <= set(dry), dry
    # runs to judge by their age: one still being written, one a day and more old
    (demo_copy / "perf-tasks.toml").write_text("[runs]\nkeep_newest = 0\nkeep_days = 1\n")
    age(write(demo_copy / "output" / "scg" / "run-live" / "log.txt").parent, 2 / (24 * 60))
    age(write(demo_copy / "output" / "scg" / "run-old" / "log.txt").parent, 20.2)
    git("init", "-q", cwd=demo_copy)
    git("add", "-A", cwd=demo_copy)
    git("commit", "-qm", "demo", cwd=demo_copy)
    # baseline.compare measures against a record, or a revision: the demo has no record
    extra = {
        "baseline.compare": ["--against", "HEAD"],
        "profiles.apply": ["--profile", "dev-fast,ci"],
        "clean.runs": ["--verbose"],
    }
    shown = {}
    for name in dry:
        args = [name, "--dry-run", "--root", str(demo_copy), *extra.get(name, [])]
        proc = perf(*args, timeout=240)
        assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
        text = proc.stdout + proc.stderr
        shown[name] = text
        assert format_problems(text) == [], (name, text)
    assert "changed 2 min" in shown["clean.runs"] and "run-old" in shown["clean.runs"]
