"""doctor's checks as pure functions over facts given as plain values; the CI adapter over a
fake `ci.audit` result; the ranking; where a key is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from perf_tasks.doctor import builds, ci, disk, tests
from perf_tasks.doctor.facts import Facts, TargetSurvey, TextFile, survey_of
from perf_tasks.doctor.lines import toml_line
from perf_tasks.doctor.model import Evidence, Finding, Impact, ranked
from perf_tasks.measure.record import parse
from perf_tasks.monitor.history import Entry
from perf_tasks.settings import Settings

ROOT = Path("/ws")
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def facts(**kw: Any) -> Facts:
    return Facts(root=ROOT, env=kw.pop("env", {}), settings=Settings(), now=NOW, **kw)


def ids(found: list[Finding]) -> list[str]:
    return [f.id for f in found]


# ----------------------------------------------------------------------------- ci adapter


@dataclass(frozen=True)
class FakeFinding:
    id: str
    priority: str
    level: str
    path: Path
    line: int | None
    message: str
    fix: str


@dataclass(frozen=True)
class FakeAudit:
    findings: tuple[FakeFinding, ...]


def test_ci_audit_findings_become_doctors_with_their_priority_level_and_fix() -> None:
    audit = FakeAudit(
        (
            FakeFinding(
                "cache-keys",
                "P1",
                "error",
                ROOT / ".github/workflows/ci.yml",
                12,
                "two jobs restore different cache keys and no restore-keys",
                "use `${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}` in both",
            ),
            FakeFinding(
                "ci.retention",
                "P1",
                "warning",
                Path(".github/workflows/ci.yml"),
                None,
                "an upload has no retention-days",
                "add `retention-days: 7`",
            ),
        )
    )
    seen: list[Path] = []

    def fake(root: Path) -> FakeAudit:
        seen.append(root)
        return audit

    found = ci.check(facts(), audit=fake)
    assert seen == [ROOT]
    assert [(f.id, f.priority, f.level, f.fix) for f in found] == [
        (
            "ci.cache-keys",
            "P1",
            "error",
            "use `${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}` in both",
        ),
        ("ci.retention", "P1", "warning", "add `retention-days: 7`"),
    ]
    assert found[0].evidence == (
        Evidence(
            "two jobs restore different cache keys and no restore-keys",
            ".github/workflows/ci.yml",
            12,
        ),
    )
    assert found[1].evidence[0].where == ".github/workflows/ci.yml"


def test_an_audit_that_cannot_read_a_workflow_is_a_note_and_the_rest_goes_on() -> None:
    from perf_tasks.errors import ConfigError

    def broken(root: Path) -> FakeAudit:
        raise ConfigError(".github/workflows/ci.yml: not valid YAML at line 3")

    found = ci.check(facts(), audit=broken)
    assert [(f.id, f.level) for f in found] == [("ci.audit-failed", "note")]
    assert found[0].evidence[0].text == ".github/workflows/ci.yml: not valid YAML at line 3"


# ------------------------------------------------------------------------------- ranking


def finding(ident: str, priority: Any, level: Any, **impact: Any) -> Finding:
    return Finding(ident, priority, level, "t", (), "fix", Impact("i", **impact))


def test_findings_rank_by_priority_then_level_then_impact() -> None:
    found = [
        finding("c", "P2", "error"),
        finding("a", "P1", "note", bytes=10**9),
        finding("b", "P1", "warning", bytes=10),
        finding("d", "P1", "warning", bytes=10**6),
        finding("e", "P3", "error", seconds=100.0),
        finding("f", "P1", "warning", seconds=2.0),
    ]
    assert [f.id for f in ranked(found)] == ["f", "d", "b", "a", "c", "e"]


# ---------------------------------------------------------------------------------- lines


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[profile.dev]\nopt-level = 1\ndebug = 2\n", 3),
        ('[ profile . "dev" ]\n# debug = 1\ndebug=2\n', 3),
        ("[package]\nname = 'x'\n\n[profile]\ndev.debug = 2\n", 5),
        ("profile.dev.debug = 2\n[profile.dev]\n", 1),
        ("[profile.release]\ndebug = 2\n", None),
        ("[profile.dev]\nx = 'a\u2028debug = 2'\ndebug = 0\n", 3),  # U+2028 ends no TOML line
        ("[profile]\ndev = { opt-level = 1, debug = 2 }\n", 2),
        ("[profile]\ndev = { opt-level = 1 }\n", None),
        ("[profile.dev]\nsplit-debug = 1\n", None),
    ],
)
def test_the_line_of_a_key_is_found_by_table_and_key(text: str, line: int | None) -> None:
    assert toml_line(text, ("profile", "dev"), "debug") == line


# ---------------------------------------------------------------------------------- tests


def record(tmp_path: Path, **tests_part: Any) -> Any:
    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": "2026-11-30T01:00:00Z",
        "tests": {
            "runs": 3,
            "wall_s": {"median": 20.0, "min": 19.0, "max": 21.0, "mad": 0.5},
            **tests_part,
        },
    }
    return parse(json.dumps(data), source=str(tmp_path / "baseline.json"))


def nextest(text: str) -> TextFile:
    import tomlkit

    return TextFile(".config/nextest.toml", text, tomlkit.parse(text).unwrap())


def test_tests_past_the_slow_timeout_and_the_slowest_share(tmp_path: Path) -> None:
    rec = record(
        tmp_path,
        profile="ci",
        durations={"demo-core::api": {"slow": 12.0, "fast": 0.1}, "demo-cli": {"mid": 6.0}},
    )
    config = nextest('[profile.ci]\nslow-timeout = { period = "5s", terminate-after = 3 }\n')
    found = tests.check(facts(record=rec, nextest=config, record_path="b.json"))
    over = next(f for f in found if f.id == "tests.over-slow-timeout")
    assert over.title == "2 tests take longer than nextest's slow-timeout"
    assert over.evidence[1] == Evidence(
        "[profile.ci] slow-timeout: 5.00 s", ".config/nextest.toml", 2
    )
    assert over.impact.seconds == 18.0 and over.impact.measured
    share = next(f for f in found if f.id == "tests.slowest-share")
    assert share.title == "one test takes 60% of the test run's wall time"


def test_the_default_slow_timeout_is_nextests_60_s(tmp_path: Path) -> None:
    rec = record(tmp_path, durations={"b": {"t": 59.0}})
    assert "tests.over-slow-timeout" not in ids(tests.check(facts(record=rec)))
    rec = record(tmp_path, durations={"b": {"t": 61.0}})
    assert "tests.over-slow-timeout" in ids(tests.check(facts(record=rec)))


def test_without_a_record_the_check_says_what_to_run() -> None:
    found = tests.check(facts(problems={"record": "no baseline record at docs/x.json"}))
    f = next(f for f in found if f.id == "tests.slow-unmeasured")
    assert (f.level, f.fix) == (
        "note",
        "run `perf-tasks baseline`: its record keeps each test's time",
    )
    assert f.evidence[0].text == "no baseline record at docs/x.json"


def test_cargo_test_in_the_record_asks_for_a_measurement_never_recommends(tmp_path: Path) -> None:
    rec = record(tmp_path, runner="cargo-test", durations={"b": {"t": 0.1}})
    f = next(f for f in tests.check(facts(record=rec)) if f.id.startswith("tests.runner"))
    assert (f.id, f.level) == ("tests.runner-unmeasured", "note")
    assert "tests.runners" in f.fix
    rec = record(tmp_path, runner="nextest", durations={"b": {"t": 0.1}})
    assert not [f for f in tests.check(facts(record=rec)) if f.id.startswith("tests.runner")]


@pytest.mark.parametrize(("count", "level"), [(3, None), (4, "note"), (10, "warning")])
def test_many_integration_test_binaries_in_one_crate(count: int, level: str | None) -> None:
    targets = {"demo-core": tuple(f"t{i}" for i in range(count)), "demo-cli": ("cli",)}
    found = [f for f in tests.check(facts(test_targets=targets)) if f.id.endswith("binaries")]
    assert [f.level for f in found] == ([level] if level else [])
    if level:
        assert found[0].priority == "P3"
        assert "tests/it/main.rs" in found[0].fix


def test_threads_required_in_a_nextest_override_is_a_warning() -> None:
    config = nextest(
        '[profile.default]\n\n[[profile.default.overrides]]\nfilter = "test(db)"\n'
        'threads-required = "num-test-threads"\n'
    )
    f = next(f for f in tests.check(facts(nextest=config)) if f.id == "tests.threads-required")
    assert (f.level, f.evidence[0].line) == ("warning", 5)


@pytest.mark.parametrize(
    "line",
    [
        "      - run: cargo test -- --test-threads=1",
        "      - run: cargo test -- --test-threads 1",
        "        RUST_TEST_THREADS: 1",
        "        NEXTEST_TEST_THREADS: '1'",
    ],
)
def test_one_thread_in_a_workflow_is_an_error(line: str) -> None:
    flow = TextFile(".github/workflows/ci.yml", f"on: push\njobs:\n  t:\n{line}\n")
    found = [f for f in tests.check(facts(workflows=(flow,))) if f.id == "tests.parallelism-off"]
    assert [(f.level, f.evidence[0].line) for f in found] == [("error", 4)]


def test_test_threads_of_two_and_a_variable_set_to_10_are_no_finding() -> None:
    flow = TextFile(
        "ci.yml", "on: push\n  - run: cargo test -- --test-threads=2\n  RUST_TEST_THREADS: 10\n"
    )
    assert "tests.parallelism-off" not in ids(tests.check(facts(workflows=(flow,))))


def test_one_thread_in_the_environment_is_a_warning_naming_it() -> None:
    found = tests.check(facts(env={"RUST_TEST_THREADS": "1"}))
    f = next(f for f in found if f.id == "tests.parallelism-off")
    assert (f.level, f.evidence[0].where) == ("warning", "environment")


# ----------------------------------------------------------------------------------- disk


def survey(size: int, budget: int, **by_category: int) -> TargetSurvey:
    return TargetSurvey(("/ws/target",), size, budget, by_category, (), "swept")


def history(*points: tuple[datetime, float]) -> tuple[Entry, ...]:
    return tuple(Entry(at, values={"disk.target.bytes": v}) for at, v in points)


def test_the_trend_gives_the_days_until_the_budget() -> None:
    day = timedelta(days=1)
    entries = history((NOW - 10 * day, 1e9), (NOW, 3e9))  # 200 MB a day, 2 GB left
    found = disk.check(facts(survey=survey(3 * 10**9, 5 * 10**9), history=entries))
    f = next(f for f in found if f.id == "disk.target-trend")
    assert f.title == "at the current growth the target dir reaches its budget in 10 days"
    assert f.level == "warning"


@pytest.mark.parametrize(
    "first",
    [
        datetime(1, 1, 1, tzinfo=timezone.utc),  # a clock years behind: outside the window
        NOW + timedelta(days=4000),  # the history's newest in the future: no trend at all
    ],
)
def test_a_wrong_clock_in_the_history_gives_no_trend_and_never_raises(first: datetime) -> None:
    entries = history((first, 1e9), (NOW, 3e9))
    found = disk.check(facts(survey=survey(3 * 10**9, 5 * 10**9), history=entries))
    assert "disk.target-trend" not in ids(found)


def test_small_stale_bytes_within_budget_are_no_finding_and_any_over_budget_are() -> None:
    assert "disk.stale-units" not in ids(
        disk.check(facts(survey=survey(10**9, 5 * 10**9, stale=4096)))
    )
    over = disk.check(facts(survey=survey(6 * 10**9, 5 * 10**9, stale=4096)))
    assert "disk.stale-units" in ids(over)


def test_the_survey_reads_the_dry_runs_document() -> None:
    report = {
        "areas": [{"path": "/ws/target"}],
        "items": [
            {"path": "/ws/target/release", "category": "profile", "reason": "profile release/"},
            {"path": "/ws/target/debug/deps/x-0123", "category": "stale", "reason": "stale"},
        ],
        "totals": {"by_category": {"profile": {"freed_bytes": 7}, "stale": {"freed_bytes": 3}}},
        "budget": {"before_bytes": 100, "budget_bytes": 50},
        "stale": {"status": "swept"},
    }
    s = survey_of(report)
    assert (s.bytes, s.budget, s.over, s.stale_status) == (100, 50, True, "swept")
    assert s.by_category == {"profile": 7, "stale": 3}
    assert s.unused == (("/ws/target/release", "profile release/"),)


def test_a_target_dir_outside_the_root_is_named_with_what_sets_it() -> None:
    config = TextFile(
        ".cargo/config.toml",
        '[build]\ntarget-dir = "/shared/t"\n',
        {"build": {"target-dir": "/shared/t"}},
    )
    found = disk.check(
        facts(target_dir=Path("/shared/t"), build_dir=Path("/shared/t"), cargo_configs=(config,))
    )
    f = next(f for f in found if f.id == "disk.shared-target-dir")
    assert Evidence("build.target-dir = '/shared/t'", ".cargo/config.toml", 2) in f.evidence


# --------------------------------------------------------------------------------- builds


def test_a_rustc_wrapper_that_is_not_installed_is_an_error() -> None:
    config = TextFile(
        ".cargo/config.toml",
        '[build]\nrustc-wrapper = "sccache"\n',
        {"build": {"rustc-wrapper": "sccache"}},
    )
    found = builds.check(facts(cargo_configs=(config,)), which=lambda name: None)
    f = next(f for f in found if f.id == "builds.rustc-wrapper-missing")
    assert (f.level, f.evidence[0].line) == ("error", 2)
    found = builds.check(facts(cargo_configs=(config,)), which=lambda name: "/bin/x")
    assert "builds.rustc-wrapper-missing" not in ids(found)
    env = {"RUSTC_WRAPPER": "nowhere-cache"}
    found = builds.check(facts(env=env), which=lambda name: None)
    assert [f.evidence[0].where for f in found] == ["environment"]


def test_no_facts_is_no_crash() -> None:
    empty = replace(facts(), profiles=None)
    for area in (tests.check, disk.check, builds.check):
        area(empty)


# ----------------------------------------------------------------------------------- docs


def test_the_usage_page_lists_every_check_the_code_has() -> None:
    import re

    package = Path(tests.__file__).parent
    code = set()
    for path in package.glob("*.py"):
        code.update(re.findall(r'"((?:tests|disk|builds|ci)\.[a-z][a-z-]+)"', path.read_text()))
    code -= ci.SHOWN_ELSEWHERE  # ci.audit's, which doctor leaves to its own check
    docs = (package.parents[1] / "docs" / "usage" / "doctor.md").read_text()
    listed = set(re.findall(r"^\| `((?:tests|disk|builds|ci)\.[a-z][a-z-]+)` \|", docs, re.M))
    assert code == listed


def test_an_alias_in_the_environment_that_runs_ignored_tests_is_an_error() -> None:
    found = tests.check(facts(env={"CARGO_ALIAS_TALL": "test -- --include-ignored"}))
    f = next(f for f in found if f.id == "tests.ignored-run")
    assert (f.level, f.evidence[0].where) == ("error", "environment")
    assert not [
        f
        for f in tests.check(facts(env={"CARGO_ALIAS_T": "nextest run --run-ignored default"}))
        if f.id == "tests.ignored-run"
    ]


def test_a_configured_linker_that_is_not_installed_is_an_error() -> None:
    text = '[target.x86_64-unknown-linux-gnu]\nlinker = "clang"\nrustflags = ["-C", "link-arg=-fuse-ld=mold"]\n'
    import tomlkit

    config = TextFile(".cargo/config.toml", text, tomlkit.parse(text).unwrap())
    found = builds.check(facts(cargo_configs=(config,)), which=lambda name: None)
    missing = [(f.id, f.evidence[0].line) for f in found if f.id == "builds.linker-missing"]
    assert missing == [("builds.linker-missing", 2), ("builds.linker-missing", 3)]
    installed = builds.check(facts(cargo_configs=(config,)), which=lambda name: "/usr/bin/x")
    assert not [f for f in installed if f.id.startswith("builds.")]
    env = {"RUSTFLAGS": "-C link-arg=-fuse-ld=lld"}
    found = builds.check(facts(env=env), which={"ld.lld": None}.get)
    assert [f.evidence[0].where for f in found if f.id == "builds.linker-missing"] == [
        "environment"
    ]


def test_a_fast_linker_installed_but_unused_is_a_note_and_none_installed_is_nothing() -> None:
    found = builds.check(facts(), which={"mold": "/usr/bin/mold"}.get)
    f = next(f for f in found if f.id == "builds.default-linker")
    assert (f.priority, f.level) == ("P2", "note")
    assert "-fuse-ld=mold" in f.fix
    assert not [f for f in builds.check(facts(), which=lambda n: None) if "linker" in f.id]


def ci_with_debug(value: Any, source: str, profile: str) -> Any:
    from perf_tasks.profiles.resolve import Profile, Resolved, Value

    ci = Profile("ci", ("ci", "dev"), {"debug": Value(value, source, profile)})
    return Resolved(ROOT, (ci,), ("Cargo.toml",))


MANIFEST = TextFile("Cargo.toml", '[package]\nname = "x"\n\n[profile.ci]\ninherits = "dev"\n')


@pytest.mark.parametrize(
    ("value", "source", "profile", "fix"),
    [
        # inherited from dev: written in ci's own table, under its header
        (2, "default", "dev", "set `debug = 0` under [profile.ci] in Cargo.toml (line 4) (or"),
        (
            1,
            ".cargo/config.toml",
            "ci",
            "set `debug = 0` under [profile.ci] in .cargo/config.toml (line 2)",
        ),
        ("full", "CARGO_PROFILE_CI_DEBUG", "ci", "unset CARGO_PROFILE_CI_DEBUG"),
    ],
)
def test_debug_info_in_ci_is_fixed_where_cargo_reads_it(
    value: Any, source: str, profile: str, fix: str
) -> None:
    config = TextFile(".cargo/config.toml", "[profile.ci]\ndebug = 1\n")
    found = builds.check(
        facts(
            profiles=ci_with_debug(value, source, profile),
            manifest=MANIFEST,
            cargo_configs=(config,),
        ),
        which=lambda name: None,
    )
    f = next(f for f in found if f.id == "builds.ci-debug-info")
    assert f.fix.startswith(fix), f.fix


@pytest.mark.parametrize(
    ("source", "profile", "fix"),
    [
        ("default", "dev", "set `incremental = false` under [profile.dev] in Cargo.toml"),
        (
            ".cargo/config.toml",
            "",
            "set `incremental = false` under [build] in .cargo/config.toml (line 2)",
        ),
        ("CARGO_INCREMENTAL", "", "unset CARGO_INCREMENTAL"),
    ],
)
def test_dev_incremental_on_a_tight_disk_is_fixed_where_cargo_reads_it(
    source: str, profile: str, fix: str
) -> None:
    from perf_tasks.profiles.resolve import Profile, Resolved, Value

    dev = Profile("dev", ("dev",), {"incremental": Value(True, source, profile)})
    config = TextFile(".cargo/config.toml", "[build]\nincremental = true\n")
    found = disk.check(
        facts(
            profiles=Resolved(ROOT, (dev,), ("Cargo.toml",)),
            cargo_configs=(config,),
            survey=survey(5 * 10**9, 5 * 10**9),
        )
    )
    f = next(f for f in found if f.id == "disk.dev-incremental")
    assert f.fix == fix
