"""What people read from `doctor`: a table on a terminal, plain lines in a log, the silenced
findings in a footer with their reasons, and JSON with the human lines kept off stdout."""

from __future__ import annotations

import io
import json

from perf_tasks.doctor.job import Diagnosis
from perf_tasks.doctor.model import Evidence, Finding, Impact, Silenced
from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render

ERROR = Finding(
    "tests.ignored-run",
    "P1",
    "error",
    "ignored tests run anyway: `--include-ignored`",
    (Evidence("run: cargo test -- --include-ignored", ".github/workflows/[ci].yml", 5),),
    "remove `--include-ignored` from .github/workflows/[ci].yml line 5",
    Impact("the slow tests run in every build"),
)
NOTE = Finding(
    "disk.stale-units",
    "P1",
    "note",
    "1.0 GB of stale units",
    (Evidence("the dry run", "clean.target --dry-run"),),
    "perf-tasks clean",
)
QUIET = Silenced(
    Finding("disk.dev-debug", "P2", "warning", "debug", (), "set `debug = 0`"), "the profiler"
)


def diagnosis(*findings: Finding) -> Diagnosis:
    return Diagnosis("/ws", findings, (QUIET,), (("record", "no record"),), ("x.y",), 1.25)


def output(**kw: object) -> tuple[Output, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    return Output(stdout=stdout, stderr=stderr, width=200, **kw), stdout, stderr  # type: ignore[arg-type]


def test_a_log_gets_plain_lines_and_the_footer() -> None:
    out, stdout, _ = output()
    render(out, diagnosis(ERROR, NOTE))
    assert stdout.getvalue().splitlines() == [
        "P1 error   tests.ignored-run: ignored tests run anyway: `--include-ignored`",
        "    evidence: .github/workflows/[ci].yml:5: run: cargo test -- --include-ignored",
        "    impact:   the slow tests run in every build",
        "    fix:      remove `--include-ignored` from .github/workflows/[ci].yml line 5",
        "P1 note    disk.stale-units: 1.0 GB of stale units",
        "    evidence: clean.target --dry-run: the dry run",
        "    fix:      perf-tasks clean",
        "silenced: disk.dev-debug (warning): the profiler",
        "[doctor] silence names x.y, which nothing found this time",
        "1 error, 0 warnings, 1 note (1 silenced) in 1.25 s",
    ]


def test_a_terminal_gets_a_table_with_brackets_shown_as_written() -> None:
    out, stdout, _ = output(force_terminal=True)
    render(out, diagnosis(ERROR))
    text = stdout.getvalue()
    assert "┃" in text or "│" in text
    assert "tests.ignored-run" in text
    assert ".github/workflows/[ci].yml line 5" in text  # markup off: `[ci]` is a path
    assert "silenced: disk.dev-debug (warning): the profiler" in text


def test_json_owns_stdout_and_the_footer_goes_to_stderr() -> None:
    out, stdout, stderr = output(json=True)
    done = diagnosis(ERROR)
    render(out, done)
    data = json.loads(stdout.getvalue())
    assert data["ok"] is False and data["counts"] == {"error": 1, "warning": 0, "note": 0}
    assert data["findings"][0]["evidence"][0]["line"] == 5
    assert data["silenced"][0]["silenced"] == "the profiler"
    assert "silenced: disk.dev-debug" in stderr.getvalue()
    assert int(done.exit_code) == 1
    assert int(diagnosis(NOTE).exit_code) == 0


def test_verbose_shows_what_could_not_be_read() -> None:
    out, stdout, _ = output(verbose=True)
    render(out, diagnosis())
    assert "not read: record: no record" in stdout.getvalue()
    assert "no findings" in stdout.getvalue()
