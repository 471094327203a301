"""Run the workspace's tests once and turn what the runners print into a verify `Record`.

nextest lists every test (`--run-ignored all`, with each one's ignored flag) and runs the rest,
writing JUnit; `cargo test --doc` runs the doctests, which nextest does not. Ignored tests are
recorded as "ignored" from the list and not run: the promise is about the suite as it runs.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ToolMissing
from perf_tasks.fs.regular import read_text
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.result import Event
from perf_tasks.measure.shell import shell_line
from perf_tasks.measure.timing import run_once
from perf_tasks.verify.record import (
    DOCTEST,
    FAILED,
    IGNORED,
    PASSED,
    SKIPPED,
    TEST,
    Entry,
    Record,
    make,
)

PROFILE = "perf-tasks-verify"
JSON_FORMAT = ("--message-format", "json")
RUN_TIMEOUT_S = 6 * 3600.0
PHASE = "verify"  # how its progress lines begin
NEXTEST_TESTS_FAILED = 100  # nextest's exit code when the run worked and a test failed
CARGO_TEST_FAILED = 101  # cargo test's, also a build error: told apart by its result lines

if TYPE_CHECKING:
    from perf_tasks.inspection import Inspection
    from perf_tasks.progress import Progress


def listed(json_text: str) -> dict[tuple[str, str], bool]:
    """`cargo nextest list --message-format json`: (binary id, test name) -> ignored."""
    data = json.loads(json_text)
    out: dict[tuple[str, str], bool] = {}
    for binary, suite in (data.get("rust-suites") or {}).items():
        for name, case in (suite.get("testcases") or {}).items():
            out[(binary, name)] = bool(case.get("ignored"))
    return out


def nextest_tests(
    listing: Mapping[tuple[str, str], bool], cases: Iterable[nextest_runs.Case]
) -> list[Entry]:
    """Each listed test with its outcome: ignored ones from the list, the rest from the JUnit
    report; a test the report does not name was skipped. A test that failed an attempt and passed
    a retry ("flaky", which our pinned `--retries 0` should make impossible) is failed, never
    passed: a newly flaky test is no pass."""
    ran = {(c.binary, c.name): c.status for c in cases}
    out = []
    for (binary, name), ignored in listing.items():
        status = ran.get((binary, name))
        if ignored:
            outcome = IGNORED
        elif status == "passed":
            outcome = PASSED
        elif status in ("failed", "flaky"):
            outcome = FAILED
        else:
            outcome = SKIPPED
        out.append(Entry(binary, name, TEST, outcome))
    return out


_DOCTEST_LINE = re.compile(r"^test (?P<name>.+) \.\.\. (?P<result>ok|FAILED|ignored)\b")
_LINE_NUMBER = re.compile(r" \(line \d+\)")
_DOC_RESULTS = {"ok": PASSED, "FAILED": FAILED, "ignored": IGNORED}


def doctest_name(name: str) -> str:
    """`crates/a/src/lib.rs - tokenize (line 10)` -> `crates/a/src/lib.rs - tokenize`: an edit above
    a doctest moves its line, not the test."""
    return _LINE_NUMBER.sub("", name)


def package_dirs(metadata: Mapping[str, Any], root: Path) -> dict[str, str]:
    """Each member's folder, relative to the root (POSIX), -> its package name."""
    out = {}
    for package in cargo_mod.member_packages(metadata):
        folder = Path(package["manifest_path"]).resolve().parent
        try:
            rel = folder.relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        out["" if rel == "." else rel] = package["name"]
    return out


def doctests(stdout: str, packages: Mapping[str, str]) -> list[Entry]:
    """The `test <file> - <item> (line N) ... ok` lines of `cargo test --doc --workspace`, each in
    the package whose folder holds its file."""
    out = []
    for line in stdout.splitlines():
        match = _DOCTEST_LINE.match(line.strip())
        if not match:
            continue
        name = doctest_name(match["name"])
        file = PurePosixPath(name.split(" - ", 1)[0])
        owner = max(
            (d for d in packages if d == "" or file.is_relative_to(d)), key=len, default=None
        )
        binary = f"{packages[owner]} (doctests)" if owner is not None else "(doctests)"
        out.append(Entry(binary, name, DOCTEST, _DOC_RESULTS[match["result"]]))
    return out


def require_nextest(inspection: Inspection) -> str:
    """nextest's version, or ToolMissing."""
    if inspection.nextest is None:
        raise ToolMissing(
            "cargo-nextest is not installed: verify needs its test list "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    return inspection.nextest


def collect(inspection: Inspection, progress: Progress | None = None) -> Record:
    """List and run every test of the workspace once (nextest, then the doctests). `progress`
    hears of each step, and of the tests as they end."""
    runner = require_nextest(inspection)
    say = (progress.on_event if progress is not None else None) or (lambda event: None)
    root, env = inspection.root, inspection.env
    # Told to nextest, not guessed: the JUnit report is found where nextest was asked to write it.
    store_dir = inspection.workspace.target_dir / "nextest"
    with tempfile.TemporaryDirectory(prefix="perf-tasks-verify-") as tmp:
        config = Path(tmp) / "nextest.toml"
        config.write_text(
            nextest_runs.tool_config(PROFILE, store_dir=str(store_dir)), encoding="utf-8"
        )

        def ours(action: Literal["list", "run"], *args: str) -> tuple[str, ...]:
            return nextest_runs.argv(
                inspection.nextest_program, action, profile=PROFILE, tool_config=config, args=args
            )

        say(Event(PHASE, ("list the tests",)))
        listing = listed(
            command.run(
                ours("list", "--workspace", "--run-ignored", "all", *JSON_FORMAT),
                cwd=root,
                env=env,
                timeout_s=RUN_TIMEOUT_S,
            ).stdout
        )
        junit = nextest_runs.junit_path(
            inspection.nextest_config,
            profile=PROFILE,
            root=root,
            store_dir=store_dir,
        )
        junit.unlink(missing_ok=True)
        argv = ours("run", "--workspace", "--no-tests=pass")
        started = Event(PHASE, ("run the tests",))
        say(started)
        ran = run_once(
            argv,
            cwd=root,
            env=env,
            timeout_s=RUN_TIMEOUT_S,
            sample=False,
            on_output=nextest_runs.tally_of_tests(
                lambda done, listed: say(replace(started, tests_done=done, tests_listed=listed))
            ),
        )
        if ran.timed_out or ran.exit_code not in (0, NEXTEST_TESTS_FAILED):
            tail = "\n".join(ran.tail[-command.TAIL_LINES :])
            how = "ran past its timeout" if ran.timed_out else f"failed (exit {ran.exit_code})"
            raise CommandFailed(
                f"`{shell_line(argv, root)}` {how}" + (f":\n{tail}" if tail else "")
            )
        try:
            cases = nextest_runs.parse_junit(read_text(junit)) if listing else ()
        except (OSError, ValueError) as exc:
            raise CommandFailed(
                f"nextest left no readable JUnit report at {junit}: {exc}"
            ) from None
    tests = nextest_tests(listing, cases)
    if cargo_mod.has_doctests(inspection.metadata):
        say(Event(PHASE, ("run the doctests",)))
        tests += _run_doctests(inspection)
    return make(tests, runner=runner)


def _run_doctests(inspection: Inspection) -> list[Entry]:
    argv = [inspection.cargo, "test", "--doc", "--workspace", "--no-fail-fast"]
    out = command.run(
        argv,
        cwd=inspection.root,
        env=inspection.env,
        timeout_s=RUN_TIMEOUT_S,
        ok_codes=(0, CARGO_TEST_FAILED),
    )
    if out.code != 0 and nextest_runs.parse_cargo_test(out.stdout) is None:
        tail = "\n".join(out.stderr.strip().splitlines()[-command.TAIL_LINES :])
        raise CommandFailed(f"`cargo test --doc --workspace` failed (exit {out.code}):\n{tail}")
    return doctests(out.stdout, package_dirs(inspection.metadata, inspection.root))
