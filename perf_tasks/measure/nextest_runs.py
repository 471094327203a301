"""The test runner: nextest when installed, with our `ci` profile as a tool config.

Also what its runs leave to read: the JUnit report, the test list, and the `test result:` lines of
`cargo test` (the fallback without nextest, and the doctests).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from perf_tasks import command
from perf_tasks.quantities import plural

TOOL_NAME = "perf-tasks"
JUNIT_FILE = "junit.xml"
# A test still running after SLOW_PERIOD is reported slow, and ended after TERMINATE_AFTER periods
# (10 minutes): a hung test fails the run instead of hanging it. A workspace's profile may say else.
SLOW_PERIOD = "60s"
TERMINATE_AFTER = 10


def tool_config(profile: str, *, store_dir: str, default_filter: str | None = None) -> str:
    """Our profile: no retries, no fail-fast, hung tests ended, JUnit on; and where nextest keeps
    its store (the JUnit report goes there): `store_dir`, relative to the workspace root or
    absolute. A workspace's own config wins key by key: nextest ranks a repository's config above
    any tool config. `default_filter`: the tests the profile runs (a filterset), for a run that
    selects by it (`argv(..., own_filter=True)`)."""
    selects = "" if default_filter is None else f"default-filter = {toml_string(default_filter)}\n"
    return (
        "# Written by perf-tasks for its baseline; passed with --tool-config-file.\n"
        "[store]\n"
        f"dir = {json.dumps(store_dir)}\n"
        "\n"
        f"[profile.{profile}]\n"
        "retries = 0\n"
        "fail-fast = false\n"
        f'slow-timeout = {{ period = "{SLOW_PERIOD}", terminate-after = {TERMINATE_AFTER} }}\n'
        f"{selects}"
        "\n"
        f"[profile.{profile}.junit]\n"
        f'path = "{JUNIT_FILE}"\n'
    )


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters (DEL too, which
    JSON leaves as it is) escaped; any other character as itself."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@dataclass(frozen=True)
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0  # not run for a reason other than #[ignore] (a filter, fail-fast)
    ignored: int = 0  # #[ignore]
    flaky: int = 0  # passed after a retry (counted in passed too)

    def as_json(self) -> dict[str, int]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "ignored": self.ignored,
            "flaky": self.flaky,
        }


@dataclass(frozen=True)
class Case:
    binary: str  # nextest's binary id: "demo-core", "demo-core::core_api"
    name: str
    time_s: float
    status: str  # "passed", "failed", "skipped", "flaky"
    timed_out: bool = False  # failed because nextest ended it (slow-timeout, terminate-after)
    # Why `time_s` is no time (0): the report's `time` was no duration. Its outcome still counts.
    bad_time: str | None = None

    @property
    def id(self) -> str:
        return f"{self.binary} {self.name}"


PROGRAM = "cargo-nextest"
# What the tool's own runs depend on, on the command line, where it outranks the workspace's
# `.config/nextest.toml` (its profiles and their per-test overrides) and every NEXTEST_* variable:
# no retry (a test that fails once is failed, never "flaky" and passed), every test run to the end
# (no fail-fast, no max-fail), and no `default-filter` skipping tests the tool counts.
PINNED_LIST = ("--ignore-default-filter",)
PINNED_OUTCOMES = ("--retries", "0", "--flaky-result", "fail", "--no-fail-fast")
PINNED_RUN = (
    *PINNED_LIST,
    *PINNED_OUTCOMES,
    *("--status-level", "pass"),  # a line as each test ends: the tool's progress counts them
)


# nextest's own lines, as it streams them: `Starting 340 tests across 12 binaries`, then a status
# line as each test ends (`PASS [   0.004s] crate::binary test`). PINNED_RUN's status level keeps
# the PASS lines whatever the workspace's profile hides.
_STARTING = re.compile(r"^\s*Starting\s+(\d+)\s+tests?\b")
_ENDED = re.compile(
    r"^\s*(?:PASS|FAIL|SIGSEGV|SIGABRT|SIGBUS|SIGILL|SIGKILL|SIGTERM|TIMEOUT|ABORT|LEAK|LEAK-FAIL)"
    r"\s+\["
)


def tests_ended(done: int, listed: int | None) -> str:
    """`12 of 340 tests ended`: the one wording of a test run's progress."""
    return (
        f"{plural(done, 'test')} ended"
        if listed is None
        else f"{done} of {plural(listed, 'test')} ended"
    )


def tally_of_tests(on_change: Callable[[int, int | None], None]) -> Callable[[str], None]:
    """A reader of nextest's output as it streams (whole lines, maybe none): after each piece,
    `on_change(tests ended, tests nextest started with or None)`."""
    done, listed = 0, None

    def read(text: str) -> None:
        nonlocal done, listed
        for line in text.split("\n"):
            if started := _STARTING.match(line):  # a run starts: the same reader serves many
                done, listed = 0, int(started.group(1))
            elif _ENDED.match(line):
                done += 1
        on_change(done, listed)

    return read


def find(env: Mapping[str, str]) -> str | None:
    """The `cargo-nextest` program, where cargo itself would find it: `$CARGO_HOME/bin`, then
    PATH. None when it is not installed."""
    home = env.get("CARGO_HOME") or str(Path(env.get("HOME") or "~").expanduser() / ".cargo")
    return shutil.which(PROGRAM, path=str(Path(home) / "bin")) or shutil.which(
        PROGRAM, path=env.get("PATH")
    )


def version(program: str | None, *, cwd: Path, env: Mapping[str, str]) -> str | None:
    """`cargo-nextest nextest --version`'s first line, or None when nextest is not installed."""
    if program is None:
        return None
    return command.first_line([program, "nextest", "--version"], cwd=cwd, env=env)


def argv(
    program: str,
    action: Literal["build", "list", "run"],
    *,
    profile: str,
    tool_config: Path | str,
    args: Iterable[str] = (),
    own_filter: bool = False,
) -> tuple[str, ...]:
    """The one nextest command line of the tool's own runs: `build` the tests, `list` or `run`
    them, with our profile and tool config and the pinned flags.

    `program` is the `cargo-nextest` binary, run as `cargo-nextest nextest ...`: a cargo alias
    `nextest` (which may shadow an external subcommand) cannot intercept it. nextest then builds
    with `$CARGO`, else `cargo` on PATH: the cargo the tool runs (`workspace.cargo_program`).

    `own_filter`: the run selects its tests by the `default-filter` of our profile (one shard of
    a plan), so `--ignore-default-filter` is left out; the profile is ours, so the workspace's own
    `default-filter` (of its profiles) does not apply to it. The outcome flags stay pinned.
    """
    ours = ("--profile", profile, "--tool-config-file", f"{TOOL_NAME}:{tool_config}")
    if action == "build":
        return (program, "nextest", "run", *args, *ours, "--no-run")
    pinned: tuple[str, ...] = PINNED_LIST if action == "list" else PINNED_RUN
    if own_filter:
        pinned = () if action == "list" else PINNED_OUTCOMES
    if action == "run" and not any(a == "--no-tests" or a.startswith("--no-tests=") for a in args):
        # A selection that holds no test ran whole: a pass, whatever nextest's default or
        # NEXTEST_NO_TESTS says, unless the caller asks for another policy.
        pinned = (*pinned, "--no-tests=pass")
    return (program, "nextest", action, *args, *ours, *pinned)


def workspace_config(root: Path) -> dict[str, Any]:
    """The workspace's `.config/nextest.toml`, parsed; empty when there is none. A folder or a
    FIFO in its place is one `ConfigError` (nextest refuses it too), never taken for none."""
    path = root / ".config" / "nextest.toml"
    if not path.exists():
        return {}
    from perf_tasks import toml_data
    from perf_tasks.fs.guarded import text_of

    text = text_of(path, shown=str(path), bom=True)  # nextest reads a file with a BOM
    return toml_data.parse(text, shown=str(path))


def has_profile(config: Mapping[str, Any], profile: str) -> bool:
    profiles = config.get("profile")
    return isinstance(profiles, dict) and isinstance(profiles.get(profile), dict)


def junit_path(config: Mapping[str, Any], *, profile: str, root: Path, store_dir: Path) -> Path:
    """Where nextest writes the JUnit report of `profile`: `<store dir>/<profile>/<junit.path>`.

    `store_dir` is the one our tool config tells nextest; the workspace's `store.dir` wins over it.
    """
    store = config.get("store")
    if isinstance(store, dict) and isinstance(store.get("dir"), str):
        store_dir = root / store["dir"]
    name = JUNIT_FILE
    profiles = config.get("profile")
    if isinstance(profiles, dict):
        table = profiles.get(profile)
        junit = table.get("junit") if isinstance(table, dict) else None
        if isinstance(junit, dict) and isinstance(junit.get("path"), str):
            name = junit["path"]
    return store_dir / profile / PurePosixPath(name)


def parse_junit(xml_text: str) -> tuple[Case, ...]:
    """Every test case of a JUnit report, with its status and time."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"not a JUnit report: {exc}") from None
    cases = []
    for case in root.iter("testcase"):
        children = {child.tag for child in case}
        timed_out = any(
            child.tag in ("failure", "error") and "timeout" in (child.get("type") or "")
            for child in case
        )
        if children & {"failure", "error"}:
            status = "failed"
        elif "skipped" in children:
            status = "skipped"
        elif children & {"flakyFailure", "flakyError", "rerunFailure", "rerunError"}:
            status = "flaky"
        else:
            status = "passed"
        binary, name = case.get("classname") or "", case.get("name") or ""
        bad_time = None
        try:
            time_s = seconds(case.get("time"))
        except ValueError as exc:
            time_s, bad_time = 0.0, str(exc)
        cases.append(
            Case(
                binary=binary,
                name=name,
                time_s=time_s,
                status=status,
                timed_out=timed_out,
                bad_time=bad_time,
            )
        )
    return tuple(cases)


def seconds(value: str | None) -> float:
    """A JUnit `time` attribute: a duration is a finite number of seconds, not negative. A report
    edited by hand or written by another tool can say `NaN`, `-1` or `1e309` (infinite): that is
    a ValueError, never a time that sorts, sums or shares wrongly. No attribute is no time: 0."""
    if value is None or not value.strip():
        return 0.0
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ValueError(f'time="{value[:40]}" is not a duration in seconds')
    return number


def run_wall(xml_text: str) -> float | None:
    """The run's wall time nextest writes on the report's root (`<testsuites time="…">`); None
    when the report does not say it, or says no duration."""
    try:
        value = ET.fromstring(xml_text).get("time")
    except ET.ParseError:
        return None
    try:
        wall = seconds(value)
    except ValueError:
        return None
    return wall if wall > 0 else None


def aborted(xml_text: str) -> tuple[str, ...]:
    """`binary name` of every test a JUnit report says was ended by a signal ("test abort"): the
    tests still running when nextest was stopped (SIGTERM, then SIGKILL; a test that crashed on
    its own has another signal). Empty when the report cannot be read."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return ()
    return tuple(
        sorted(
            f"{case.get('classname') or ''} {case.get('name') or ''}"
            for case in root.iter("testcase")
            if any(_stopped(child) for child in case)
        )
    )


def _stopped(child: ET.Element) -> bool:
    message = child.get("message") or ""
    return child.get("type") == "test abort" and ("SIGTERM" in message or "SIGKILL" in message)


@dataclass(frozen=True)
class Listing:
    total: int  # tests nextest knows about, ignored ones included
    ignored: int  # marked #[ignore]


def parse_list(json_text: str) -> Listing:
    """`cargo nextest list --message-format json`: how many tests there are, how many ignored."""
    data = json.loads(json_text)
    total = ignored = 0
    for suite in (data.get("rust-suites") or {}).values():
        for case in (suite.get("testcases") or {}).values():
            total += 1
            if case.get("ignored"):
                ignored += 1
    return Listing(total=total, ignored=ignored)


def counts_from_junit(cases: Iterable[Case], listing: Listing | None) -> Counts:
    """Counts of one run. Tests the list knows but the report does not were not run: those marked
    #[ignore] are `ignored`, the rest `skipped`."""
    cases = list(cases)
    passed = sum(c.status in ("passed", "flaky") for c in cases)
    failed = sum(c.status == "failed" for c in cases)
    skipped = sum(c.status == "skipped" for c in cases)
    flaky = sum(c.status == "flaky" for c in cases)
    ignored = 0
    if listing is not None:
        ignored = listing.ignored
        skipped += max(0, listing.total - len(cases) - listing.ignored)
    return Counts(passed=passed, failed=failed, skipped=skipped, ignored=ignored, flaky=flaky)


_RESULT = re.compile(
    r"^test result: \w+\. (?P<passed>\d+) passed; (?P<failed>\d+) failed; "
    r"(?P<ignored>\d+) ignored; (?P<measured>\d+) measured; (?P<filtered>\d+) filtered out"
)


def parse_cargo_test(stdout: str) -> Counts | None:
    """Add up the `test result:` lines of `cargo test`; None when there is none (no test ran)."""
    found = False
    passed = failed = ignored = filtered = 0
    for line in stdout.splitlines():
        match = _RESULT.match(line.strip())
        if not match:
            continue
        found = True
        passed += int(match["passed"])
        failed += int(match["failed"])
        ignored += int(match["ignored"])
        filtered += int(match["filtered"])
    if not found:
        return None
    return Counts(passed=passed, failed=failed, skipped=filtered, ignored=ignored)


_CARGO_TEST_LINE = re.compile(r"^test (?P<name>.+?) \.\.\. (?P<status>ok|FAILED|ignored)\b")


def cargo_test_outcomes(stdout: str) -> tuple[tuple[str, str], ...]:
    """(name, "ok" | "FAILED" | "ignored") for every `test NAME ... STATUS` line of `cargo test`.
    Names are not unique (two test binaries may have the same `tests::name`)."""
    found = []
    for line in stdout.splitlines():
        match = _CARGO_TEST_LINE.match(line.strip())
        if match:
            found.append((match["name"], match["status"]))
    return tuple(found)


def varied_outcomes(runs: Iterable[Iterable[tuple[str, str]]]) -> tuple[str, ...]:
    """Every test name whose outcomes were not the same in every run of `cargo test` (a flaky
    test). Outcomes are counted per name, so that two binaries' tests of one name that always
    pass and always fail are not taken for one flaky test."""
    per_run: list[dict[str, Counter[str]]] = []
    for outcomes in runs:
        by_name: dict[str, Counter[str]] = {}
        for name, status in outcomes:
            by_name.setdefault(name, Counter())[status] += 1
        per_run.append(by_name)
    names = {name for by_name in per_run for name in by_name}

    def differs(name: str) -> bool:
        return len({frozenset(r.get(name, Counter()).items()) for r in per_run}) > 1

    return tuple(sorted(n for n in names if differs(n)))


def timed_out(runs: Iterable[Iterable[Case]]) -> tuple[str, ...]:
    """`binary name` of every test nextest ended for running too long, in any run."""
    return tuple(sorted({c.id for cases in runs for c in cases if c.timed_out}))


def failing(runs: Iterable[Iterable[Case]]) -> tuple[str, ...]:
    """`binary name` of every test that failed in any run (a flaky one's failures included)."""
    return tuple(sorted({c.id for cases in runs for c in cases if c.status == "failed"}))


def failing_outcomes(runs: Iterable[Iterable[tuple[str, str]]]) -> tuple[str, ...]:
    """Every test name `cargo test` said FAILED in any run."""
    failed = {name for outcomes in runs for name, status in outcomes if status == "FAILED"}
    return tuple(sorted(failed))


def varied(runs: Iterable[Iterable[Case]]) -> tuple[str, ...]:
    """`binary name` of every test whose outcome was not the same in every run (a flaky test)."""
    seen: dict[str, set[str]] = {}
    runs = [list(cases) for cases in runs]
    for cases in runs:
        for c in cases:
            seen.setdefault(c.id, set()).add(c.status)
    everywhere = set.intersection(*({c.id for c in cases} for cases in runs)) if runs else set()
    return tuple(sorted(t for t, s in seen.items() if len(s) > 1 or t not in everywhere))


def median_durations(runs: Iterable[Iterable[Case]]) -> dict[str, dict[str, float]]:
    """binary -> test -> the median of its times over the runs that ran it (seconds, to the ms)."""
    import statistics

    out: dict[str, dict[str, float]] = {}
    for (binary, name), values in _times_of(runs):
        out.setdefault(binary, {})[name] = round(statistics.median(values), 3)
    return out


def duration_ranges(runs: Iterable[Iterable[Case]]) -> dict[str, dict[str, list[float]]]:
    """binary -> test -> [fastest, slowest] of its times over the runs that ran it (seconds, to
    the ms): what the per-test gate rule needs (a test's fastest new run against its slowest old
    one)."""
    out: dict[str, dict[str, list[float]]] = {}
    for (binary, name), values in _times_of(runs):
        out.setdefault(binary, {})[name] = [round(min(values), 3), round(max(values), 3)]
    return out


def _times_of(runs: Iterable[Iterable[Case]]) -> list[tuple[tuple[str, str], list[float]]]:
    """((binary, test), its times over the runs that ran it), sorted: skipped runs have none, nor
    runs whose time was no duration."""
    times: dict[tuple[str, str], list[float]] = {}
    for cases in runs:
        for case in cases:
            # A time the report gave as no duration is no figure: its outcome still counts.
            if case.status != "skipped" and case.bad_time is None:
                times.setdefault((case.binary, case.name), []).append(case.time_s)
    return sorted(times.items())
