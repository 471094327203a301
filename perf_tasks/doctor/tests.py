"""Slow tests: parallelism turned off, ignored tests that run anyway, many integration-test
binaries, tests past nextest's slow-timeout, the runner in use. Pure functions over the facts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from perf_tasks.doctor.facts import Facts, TextFile
from perf_tasks.doctor.lines import matches, toml_line
from perf_tasks.doctor.model import Evidence, Finding, Impact
from perf_tasks.quantities import format_seconds
from perf_tasks.test_flags import RUNS_IGNORED, runs_ignored

THREAD_VARIABLES = ("RUST_TEST_THREADS", "NEXTEST_TEST_THREADS")
# A command line (or an alias) that runs tests one at a time; in a workflow or script, also the
# variables set to 1.
ONE_THREAD_FLAG = re.compile(r"--test-threads(?:=|\s+)[\"']?1\b")
ONE_THREAD = re.compile(
    ONE_THREAD_FLAG.pattern + r"|\b(?:RUST|NEXTEST)_TEST_THREADS\s*[:=]\s*[\"']?1\b"
)
# Integration-test binaries per crate from which merging them is worth a look / a warning.
MANY_BINARIES = 4
TOO_MANY_BINARIES = 10
NEXTEST_SLOW_DEFAULT_S = 60.0
# One test that takes this share of the test run's wall time bounds the whole run.
SLOWEST_SHARE = 0.25


def check(facts: Facts) -> list[Finding]:
    return [
        *parallelism_in_cargo_env(facts),
        *parallelism_in_environment(facts),
        *parallelism_in_nextest(facts),
        *parallelism_in_commands(facts),
        *ignored_tests_run(facts),
        *integration_binaries(facts),
        *slow_tests(facts),
        *runner(facts),
    ]


def _threads(value: Any) -> str | None:
    """A value of cargo's `[env]` (`"1"`, or `{ value = "1", force = true }`), as text."""
    if isinstance(value, Mapping):
        value = value.get("value")
    return None if value is None else str(value).strip()


def parallelism_in_cargo_env(facts: Facts) -> Iterator[Finding]:
    for config in facts.cargo_configs:
        env = (config.data or {}).get("env")
        if not isinstance(env, Mapping):
            continue
        for name in THREAD_VARIABLES:
            if name in env and _threads(env[name]) == "1":
                line = toml_line(config.text, ("env",), name)
                yield Finding(
                    "tests.parallelism-off",
                    "P1",
                    "error",
                    f"{name}=1 in cargo's [env]: every test binary runs one test at a time",
                    (Evidence(f"{name} = {_threads(env[name])!r} in [env]", config.shown, line),),
                    f"remove `{name}` from [env] in {config.shown}"
                    + (f" (line {line})" if line else "")
                    + "; a test that must run alone belongs in a nextest test group "
                    "(`max-threads = 1`)",
                    Impact("tests run serially: up to one core's worth of the run per core"),
                )


def parallelism_in_environment(facts: Facts) -> Iterator[Finding]:
    for name in THREAD_VARIABLES:
        if facts.env.get(name, "").strip() == "1":
            yield Finding(
                "tests.parallelism-off",
                "P1",
                "warning",
                f"{name}=1 in the environment doctor runs in: tests run one at a time here",
                (Evidence(f"{name}=1", "environment"),),
                f"unset {name} (`unset {name}`), and remove it from the profile or CI job "
                "that sets it",
                Impact("tests run serially in this shell"),
            )


def _profiles(config: TextFile) -> Mapping[str, Any]:
    profiles = (config.data or {}).get("profile")
    return profiles if isinstance(profiles, Mapping) else {}


def parallelism_in_nextest(facts: Facts) -> Iterator[Finding]:
    config = facts.nextest
    if config is None:
        return
    for name, profile in _profiles(config).items():
        if not isinstance(profile, Mapping):
            continue
        threads = profile.get("test-threads")
        if not isinstance(threads, bool) and threads in (1, "1"):
            line = toml_line(config.text, ("profile", name), "test-threads")
            yield Finding(
                "tests.parallelism-off",
                "P1",
                "error" if name in ("default", "ci") else "warning",
                f"test-threads = 1 in nextest's {name!r} profile: one test at a time",
                (Evidence(f"[profile.{name}] test-threads = 1", config.shown, line),),
                f"remove `test-threads = 1` from [profile.{name}] in {config.shown}"
                + (f" (line {line})" if line else "")
                + "; nextest then runs one test per core",
                Impact("tests run serially under this profile"),
            )
        overrides = profile.get("overrides")
        for override in overrides if isinstance(overrides, list) else ():
            required = override.get("threads-required") if isinstance(override, Mapping) else None
            if required is None or required == 1:
                continue
            what = override.get("filter", "every test")
            yield Finding(
                "tests.threads-required",
                "P1",
                "warning",
                f"tests matching {what!r} take {required} threads each in nextest's {name!r} "
                "profile: fewer run at once",
                (
                    Evidence(
                        f"[[profile.{name}.overrides]] threads-required = {required!r}",
                        config.shown,
                        _first_line(config.text, r"threads-required"),
                    ),
                ),
                f"in {config.shown}, keep `threads-required` only for tests that really use "
                "several threads, or put tests that must run alone in a test group with "
                "`max-threads = 1`",
                Impact("parallelism reduced for the matching tests"),
            )


def _first_line(text: str, pattern: str) -> int | None:
    return next((n for n, _ in matches(text, re.compile(pattern))), None)


def _command_files(facts: Facts) -> Iterator[TextFile]:
    """Where tests are run from: workflows, scripts, nextest's config, cargo's aliases."""
    yield from facts.workflows
    yield from facts.scripts
    if facts.nextest is not None:
        yield facts.nextest
    yield from facts.cargo_configs


def parallelism_in_commands(facts: Facts) -> Iterator[Finding]:
    for file in _command_files(facts):
        if file is facts.nextest:
            continue  # its keys are judged above
        # In cargo's config, [env] is judged above: only an alias's flag is a command here.
        pattern = ONE_THREAD_FLAG if file in facts.cargo_configs else ONE_THREAD
        for line, text in matches(file.text, pattern):
            yield Finding(
                "tests.parallelism-off",
                "P1",
                "error",
                "tests are run one at a time",
                (Evidence(text, file.shown, line),),
                f"remove the single-thread setting from {file.shown} line {line}; a test that "
                "must run alone belongs in a nextest test group (`max-threads = 1`)",
                Impact("tests run serially where this runs"),
            )


def ignored_tests_run(facts: Facts) -> Iterator[Finding]:
    yield from _ignored_in_files(facts)
    for name, value in sorted(facts.env.items()):
        flag = runs_ignored(value) if name.startswith("CARGO_ALIAS_") else None
        if flag is not None:
            yield Finding(
                "tests.ignored-run",
                "P1",
                "error",
                f"ignored tests run anyway: `{flag}` in the alias {name}",
                (Evidence(f"{name}={value}", "environment"),),
                f"remove `{flag}` from {name} where it is set; `#[ignore]` tests run "
                "only when asked, in a job of their own (`cargo nextest run --run-ignored only`)",
                Impact("the slow tests the team chose to skip run wherever the alias is used"),
            )


def _ignored_in_files(facts: Facts) -> Iterator[Finding]:
    for file in _command_files(facts):
        for line, text in matches(file.text, RUNS_IGNORED):
            shown = runs_ignored(text) or "--include-ignored"
            yield Finding(
                "tests.ignored-run",
                "P1",
                "error",
                f"ignored tests run anyway: `{shown}`",
                (Evidence(text, file.shown, line),),
                f"remove `{shown}` from {file.shown} line {line}; `#[ignore]` tests run only "
                "when asked, in a job of their own (`cargo nextest run --run-ignored only`)",
                Impact("the slow tests the team chose to skip run in every build"),
            )


def integration_binaries(facts: Facts) -> Iterator[Finding]:
    for package, tests in sorted(facts.test_targets.items()):
        if len(tests) < MANY_BINARIES:
            continue
        yield Finding(
            "tests.integration-binaries",
            "P3",
            "warning" if len(tests) >= TOO_MANY_BINARIES else "note",
            f"{package} has {len(tests)} integration-test binaries, each compiled and linked "
            "on its own",
            (Evidence(f"{len(tests)} test targets: {', '.join(tests[:5])}", "cargo metadata"),),
            f"merge {package}'s tests/*.rs into one binary: tests/it/main.rs with `mod` per "
            "file (and `autotests = false` with one [[test]] in its Cargo.toml)",
            Impact(
                f"estimated from the count: {len(tests) - 1} links fewer per test build "
                "(`--measure` is not implemented yet)"
            ),
        )


def _duration(value: Any) -> float | None:
    """nextest's durations: `"60s"`, `"1m 30s"`, `"500ms"`, or a table with `period`."""
    if isinstance(value, Mapping):
        value = value.get("period")
    if not isinstance(value, str):
        return None
    total = 0.0
    units = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
    found = re.findall(r"(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h)\b", value)
    for number, unit in found:
        total += float(number) * units[unit]
    return total if found else None


def slow_timeout(facts: Facts, profile: str) -> tuple[float, Evidence]:
    """nextest's slow-timeout of `profile` (its own, else default's, else nextest's 60 s)."""
    if facts.nextest is not None:
        profiles = _profiles(facts.nextest)
        for name in (profile, "default"):
            table = profiles.get(name)
            seconds = _duration(table.get("slow-timeout")) if isinstance(table, Mapping) else None
            if seconds:
                line = toml_line(facts.nextest.text, ("profile", name), "slow-timeout")
                return seconds, Evidence(
                    f"[profile.{name}] slow-timeout: {format_seconds(seconds)}",
                    facts.nextest.shown,
                    line,
                )
    return NEXTEST_SLOW_DEFAULT_S, Evidence("nextest's default slow-timeout: 60 s")


def slow_tests(facts: Facts) -> Iterator[Finding]:
    record = facts.record
    if record is None or record.tests is None or not record.tests.durations:
        why = facts.problems.get("record") or "the last record has no per-test durations"
        yield Finding(
            "tests.slow-unmeasured",
            "P2",
            "note",
            "the slowest tests are not known",
            (Evidence(why, facts.record_path or "baseline"),),
            "run `perf-tasks baseline`: its record keeps each test's time",
        )
        return
    tests = record.tests
    limit, limit_evidence = slow_timeout(facts, tests.profile or "default")
    durations = [
        (seconds, f"{binary} {name}")
        for binary, by_test in tests.durations.items()
        for name, seconds in by_test.items()
    ]
    durations.sort(reverse=True)
    source = Evidence(f"per-test times of the record of {record.started_at}", facts.record_path)
    over = [(s, n) for s, n in durations if s > limit]
    if over:
        shown = ", ".join(f"{n} ({format_seconds(s)})" for s, n in over[:5])
        yield Finding(
            "tests.over-slow-timeout",
            "P2",
            "warning",
            f"{len(over)} tests take longer than nextest's slow-timeout",
            (source, limit_evidence, Evidence(shown)),
            "split or speed up these tests, or mark the ones that must be slow `#[ignore]` and "
            "run them in a job of their own (`cargo nextest run --run-ignored only`)",
            Impact(
                f"measured: {format_seconds(sum(s for s, _ in over))} in these tests",
                seconds=sum(s for s, _ in over),
                measured=True,
            ),
        )
    wall = tests.run.wall_s.median if tests.run.wall_s is not None else None
    if durations and wall:
        seconds, name = durations[0]
        if seconds / wall >= SLOWEST_SHARE and seconds >= 1.0:
            yield Finding(
                "tests.slowest-share",
                "P2",
                "note",
                f"one test takes {seconds / wall:.0%} of the test run's wall time",
                (source, Evidence(f"{name}: {format_seconds(seconds)} of {format_seconds(wall)}")),
                f"split {name} or make it faster: the run cannot end before it does",
                Impact(f"measured: {format_seconds(seconds)}", seconds=seconds, measured=True),
            )


def runner(facts: Facts) -> Iterator[Finding]:
    record = facts.record
    if record is None or record.tests is None or record.tests.runner != "cargo-test":
        return
    yield Finding(
        "tests.runner-unmeasured",
        "P1",
        "note",
        "tests run with cargo test; whether nextest is faster here is not measured",
        (Evidence("tests.runner = cargo-test", facts.record_path),),
        "run `perf-tasks tests.runners`: it times both and recommends one only outside the noise",
    )
