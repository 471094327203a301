"""`profiles.compare A B`: the profile on every command, the profiles written only in the copy,
the refusals, and (`slow`) a profile that makes a test fail is caught and nothing recommended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from experiments.test_cache import _as_from_a_terminal, _stderr_until, tree_digest
from helpers import one_line_error, perf

from perf_tasks.ab.engine import Design, Sample, judge
from perf_tasks.ab.revision_arms import THRESHOLDS, Commands
from perf_tasks.errors import ConfigError, UsageError
from perf_tasks.experiments import profiles


def base_commands(runner: str) -> Commands:
    return Commands(
        build=("cargo", "build", "--workspace"),
        prepare_tests=("cargo-nextest", "nextest", "run", "--workspace", "--no-run"),
        run_tests=("cargo-nextest", "nextest", "run", "--workspace"),
        doc=("cargo", "test", "--doc", "--workspace"),
        clean=("cargo", "clean", "--quiet", "--package", "demo-core@0.1.0"),
        crate="demo-core@0.1.0",
        runner=runner,
        profile="p",
        tool_config=Path("t.toml"),
    )


def test_every_command_builds_with_the_profile() -> None:
    found = profiles.with_profile(base_commands("nextest"), "dev-fast")
    assert found.build[-2:] == ("--profile", "dev-fast")
    assert found.run_tests[-2:] == (
        "--cargo-profile",
        "dev-fast",
    )  # nextest's own --profile differs
    assert found.prepare_tests[-2:] == ("--cargo-profile", "dev-fast")
    assert found.doc is not None and found.doc[-2:] == ("--profile", "dev-fast")
    # the crate stays last: the arm puts its own version there
    assert found.clean == (
        "cargo",
        "clean",
        "--quiet",
        "--profile",
        "dev-fast",
        "--package",
        "demo-core@0.1.0",
    )
    plain = profiles.with_profile(base_commands("cargo-test"), "release")
    assert plain.run_tests[-2:] == ("--profile", "release")


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("dev", "dev", "two different profiles"),
        ("dev", "", "name two profiles"),
        ("dev", "a b", "letters, digits"),
        ("dev", "x/y", "letters, digits"),
    ],
)
def test_bad_names_are_refused(a: str, b: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        profiles.Request.of(a, b, None, None)


def test_an_unknown_profile_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text(
        '[package]\nname = "x"\n\n[profile.mine]\ninherits = "dev"\n'
    )
    request = profiles.Request.of("mine", "nowhere", None, None)
    with pytest.raises(ConfigError, match="unknown profile 'nowhere'"):
        profiles.to_write(tmp_path, request, {"dev-fast": {"inherits": "dev"}})
    # the manifest's own and cargo's own are built as they are; ours are written in the copy
    ok = profiles.Request.of("mine", "dev-fast", None, None)
    assert profiles.to_write(tmp_path, ok, {"dev-fast": {"inherits": "dev"}}) == {
        "dev-fast": {"inherits": "dev"}
    }
    assert profiles.to_write(tmp_path, profiles.Request.of("dev", "release", None, None), {}) == {}


def sample(wall: float, outcomes: dict[str, str]) -> Sample:
    return Sample(values={"build.cold.wall_s": wall}, test_outcomes=outcomes)


def test_nothing_is_recommended_when_a_test_changes_outcome_however_fast() -> None:
    request = profiles.Request.of("dev", "fast", None, None)
    design = Design(dict(THRESHOLDS))
    a = [sample(10.0, {"t ok": "passed", "t wrap": "passed"})] * 6
    b = [sample(5.0, {"t ok": "passed", "t wrap": "failed"})] * 6
    outcome = judge(a, b, design)
    assert profiles.recommend(outcome, request) == (None, profiles.OUTCOMES_DIFFER)
    assert [t.id for t in profiles.outcome_changes(outcome)] == ["t wrap"]
    same = judge(a, [sample(5.0, {"t ok": "passed", "t wrap": "passed"})] * 6, design)
    assert profiles.recommend(same, request) == ("fast", "fast")
    gone = judge(a, [sample(5.0, {"t ok": "passed"})] * 6, design)  # a test no longer there
    assert profiles.recommend(gone, request)[0] is None
    even = judge(a, [sample(10.0, {"t ok": "passed", "t wrap": "passed"})] * 6, design)
    assert profiles.recommend(even, request) == (None, profiles.NO_CLEAR_DIFFERENCE)


def test_bad_flags_through_the_cli_are_one_line_and_exit_2(tmp_path: Path) -> None:
    one_line_error(perf("profiles.compare", "dev", "dev", "--root", str(tmp_path)))
    proc = perf(
        "profiles.compare", "dev", "x", "--max-pairs", "2", "--root", str(tmp_path), "--json"
    )
    assert "at least 6" in one_line_error(proc)
    assert json.loads(proc.stdout)["error"]["kind"] == "usage"


OVERFLOW_RS = """
#[test]
fn adding_past_the_top_panics() {
    let top = std::hint::black_box(u8::MAX);
    let wrapped = std::panic::catch_unwind(|| top + std::hint::black_box(1u8));
    assert!(wrapped.is_err(), "overflow-checks are off");
}
"""


@pytest.mark.cargo
@pytest.mark.slow
def test_a_profile_that_makes_a_test_fail_is_caught_and_nothing_recommended(
    demo_copy: Path, tmp_path: Path
) -> None:
    (demo_copy / "crates" / "demo-core" / "tests" / "overflow.rs").write_text(OVERFLOW_RS)
    (demo_copy / "perf-tasks.toml").write_text(
        '[profiles.unchecked]\ninherits = "dev"\noverflow-checks = false\n'
    )
    before = tree_digest(demo_copy)
    proc = perf(
        "profiles.compare",
        "dev",
        "unchecked",
        "--root",
        str(demo_copy),
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        timeout=900,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["recommended"] is None and data["verdict"] == profiles.OUTCOMES_DIFFER
    assert data["written_in_the_copy"] == ["unchecked"]
    named = [d["id"] for d in data["differences"]] + data["failing"]
    assert any("adding_past_the_top_panics" in t for t in named), named
    metrics = {m["metric"] for m in data["comparison"]["metrics"]}
    assert {"build.cold.wall_s", "build.rebuild.wall_s", "tests.wall_s", "target.bytes"} <= metrics
    assert tree_digest(demo_copy) == before  # Cargo.toml untouched: the profile went in a copy
    assert not list((tmp_path / "scratch").rglob("tree-profiles"))


DEBUG_ASSERT_RS = """
#[test]
#[should_panic(expected = "checked in debug builds")]
fn a_debug_assertion_fires() {
    debug_assert!(std::hint::black_box(false), "checked in debug builds");
}
"""


def compare(root: Path, scratch: Path, a: str, b: str) -> tuple[int, dict[str, object], str]:
    proc = perf(
        "profiles.compare",
        a,
        b,
        "--root",
        str(root),
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(scratch / "scratch")},
        timeout=900,
    )
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.mark.cargo
@pytest.mark.slow
def test_a_manifest_profile_without_debug_assertions_is_caught(
    demo_copy: Path, tmp_path: Path
) -> None:
    """The profile in Cargo.toml (not perf-tasks.toml), `debug-assertions = false` turning a
    `#[should_panic]` test into a failure."""
    (demo_copy / "crates" / "demo-core" / "tests" / "debug_assert.rs").write_text(DEBUG_ASSERT_RS)
    manifest = demo_copy / "Cargo.toml"
    manifest.write_text(
        manifest.read_text() + '\n[profile.quiet]\ninherits = "dev"\ndebug-assertions = false\n'
    )
    before = tree_digest(demo_copy)
    code, data, err = compare(demo_copy, tmp_path, "dev", "quiet")
    assert code == 1, err
    assert data["recommended"] is None and data["verdict"] == profiles.OUTCOMES_DIFFER
    assert data["written_in_the_copy"] == []
    named = [d["id"] for d in data["differences"]] + data["failing"]  # type: ignore[attr-defined]
    assert any("a_debug_assertion_fires" in t for t in named), named
    assert tree_digest(demo_copy) == before


BUILT_AS_CONFIGURED_RS = """
#[test]
fn built_as_the_parent_config_says() {
    assert!(!cfg!(debug_assertions), "the parent dir's .cargo/config.toml turns them off");
}
"""


@pytest.mark.cargo
@pytest.mark.slow
def test_the_scratch_copy_reads_the_parent_dirs_cargo_config(
    demo_copy: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A parent dir's `.cargo/config.toml` sets the user's `dev`: the copy, elsewhere, must build
    it the same."""
    (tmp_path / ".cargo").mkdir()
    (tmp_path / ".cargo" / "config.toml").write_text("[profile.dev]\ndebug-assertions = false\n")
    (demo_copy / "crates" / "demo-core" / "tests" / "configured.rs").write_text(
        BUILT_AS_CONFIGURED_RS
    )
    (demo_copy / "perf-tasks.toml").write_text('[profiles.lean]\ninherits = "dev"\ndebug = 0\n')
    before = tree_digest(demo_copy)
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # the scratch copy's parents are not ours
    code, data, err = compare(demo_copy, elsewhere, "dev", "lean")
    assert code == 0, (err, data.get("failing"), data.get("differences"))
    assert data["failing"] == [] and data["differences"] == []
    assert tree_digest(demo_copy) == before
    assert not list(elsewhere.rglob("tree-profiles"))


@pytest.mark.parametrize(
    ("own", "includes"),
    [
        ("", ["/p/a.toml", "/p/b/c.toml"]),
        (
            'include = "mine.toml"\n[alias]\nb = "build"\n',
            ["/p/a.toml", "/p/b/c.toml", "mine.toml"],
        ),
        ('include = ["x.toml", "y.toml"]\n', ["/p/a.toml", "/p/b/c.toml", "x.toml", "y.toml"]),
    ],
)
def test_parent_configs_are_included_below_the_copys_own(own: str, includes: list[str]) -> None:
    import tomlkit  # tomllib is not in Python 3.10

    text = profiles.include_parents(own, [Path("/p/a.toml"), Path("/p/b/c.toml")])
    parsed = tomlkit.parse(text).unwrap()
    assert parsed["include"] == includes
    assert {k: v for k, v in parsed.items() if k != "include"} == {
        k: v for k, v in tomlkit.parse(own).unwrap().items() if k != "include"
    }


def test_only_the_parent_dirs_configs_are_included(tmp_path: Path) -> None:
    root = tmp_path / "a" / "ws"
    for folder in (tmp_path, tmp_path / "a", root, tmp_path / "home"):
        (folder / ".cargo").mkdir(parents=True)
    (tmp_path / ".cargo" / "config.toml").write_text("")
    (tmp_path / "a" / ".cargo" / "config").write_text("")  # the legacy name
    (root / ".cargo" / "config.toml").write_text("")  # the workspace's own: copied, not included
    (tmp_path / "home" / ".cargo" / "config.toml").write_text("")  # read by every build anyway
    env = {"CARGO_HOME": str(tmp_path / "home" / ".cargo")}
    assert profiles.parent_configs(root, env) == [
        tmp_path / ".cargo" / "config.toml",
        tmp_path / "a" / ".cargo" / "config",
    ]


SHOULD_PANIC_RS = """
#[test]
#[should_panic(expected = "unwinds")]
fn a_panic_is_caught_by_the_harness() {
    panic!("unwinds");
}

#[test]
fn catch_unwind_sees_the_panic() {
    assert!(std::panic::catch_unwind(|| panic!("caught")).is_err());
}
"""


@pytest.mark.cargo
@pytest.mark.slow
def test_a_panic_abort_profile_is_judged_on_the_same_outcomes(
    demo_copy: Path, tmp_path: Path
) -> None:
    """`panic = "abort"`: cargo builds test targets to unwind whatever the profile says, so the
    outcomes hold; if they did not, nothing would be recommended. Either way never a pass with a
    test that changed."""
    (demo_copy / "crates" / "demo-core" / "tests" / "panics.rs").write_text(SHOULD_PANIC_RS)
    (demo_copy / "perf-tasks.toml").write_text(
        '[profiles.abort]\ninherits = "dev"\npanic = "abort"\n'
    )
    code, data, err = compare(demo_copy, tmp_path, "dev", "abort")
    named = [d["id"] for d in data["differences"]] + data["failing"]  # type: ignore[attr-defined]
    if named:
        assert code == 1 and data["recommended"] is None, err
    else:
        assert code == 0, err
        assert data["verdict"] != profiles.OUTCOMES_DIFFER


@pytest.mark.cargo
@pytest.mark.slow
@pytest.mark.parametrize("moment", ["dev: build", "pair 2 of"])
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_signal_leaves_no_copy_no_target_dir_and_the_tree_as_it_was(
    demo_copy: Path, tmp_path: Path, moment: str, signum: int, code: int
) -> None:
    scratch = tmp_path / "scratch"
    (demo_copy / "perf-tasks.toml").write_text('[profiles.lean]\ninherits = "dev"\ndebug = 0\n')
    before = tree_digest(demo_copy)
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "perf_tasks", "profiles.compare", "dev", "lean"),
            *("--root", str(demo_copy), "--json"),
        ],
        env={**os.environ, "PERF_TASKS_SCRATCH": str(scratch)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,  # noqa: PLW1509 (resets two signals, takes no lock)
    )
    _stderr_until(proc, moment)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    left = [p.name for p in scratch.rglob("*") if p.name.startswith(("tree-", "target-"))]
    assert left == []
    assert tree_digest(demo_copy) == before


@pytest.mark.cargo
@pytest.mark.parametrize("name", ["-x", "--release"])
def test_a_profile_name_that_reads_as_a_flag_is_one_line_exit_2(tmp_path: Path, name: str) -> None:
    """`cargo build --profile -x` and nextest's own call of cargo take `-x` for a flag: a profile
    of that name could be written but never built."""
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "lib.rs").write_text("")
    (root / "Cargo.toml").write_text('[package]\nname = "x"\nversion = "0.1.0"\n')
    (root / "perf-tasks.toml").write_text(f'[profiles."{name}"]\ninherits = "dev"\n')
    before = tree_digest(root)
    proc = perf(
        "profiles.compare",
        "dev",
        "dev-fast",
        "--root",
        str(root),
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        timeout=600,
    )
    err = one_line_error(proc)
    assert name in err and "'-'" in err
    assert tree_digest(root) == before
    with pytest.raises(UsageError, match="start with '-'"):
        profiles.Request.of("dev", name, None, None)


@pytest.mark.cargo
def test_a_path_dependency_outside_the_workspace_is_one_line_exit_2(tmp_path: Path) -> None:
    """The copy lives elsewhere, where `path = "../shared"` finds nothing: said before anything
    is copied or built, not as cargo's error after the copy."""
    for name in ("shared", "app"):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "src" / "lib.rs").write_text("")
        deps = '[dependencies]\nshared = { path = "../shared" }\n' if name == "app" else ""
        (tmp_path / name / "Cargo.toml").write_text(
            f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{deps}'
        )
    root = tmp_path / "app"
    before = tree_digest(tmp_path)
    proc = perf(
        "profiles.compare",
        "dev",
        "release",
        "--root",
        str(root),
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        timeout=600,
    )
    err = one_line_error(proc)
    assert "'shared'" in err and str(tmp_path / "shared") in err and "outside" in err
    assert not list((tmp_path / "scratch").rglob("tree-*"))
    assert {k: v for k, v in tree_digest(tmp_path).items() if "scratch" not in k} == before
