"""The stale sweep on real cargo builds: what goes is what no configured command builds, and the
next `cargo build` / `cargo test --no-run` compiles nothing.

Variants are built on the small demo workspace or on tiny crates made here, never on big ones.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DEMO, cargo, copy_tree
from helpers import age, du, package, perf, write

from perf_tasks import settings as settings_mod
from perf_tasks import workspace
from perf_tasks.cargo import incremental, layout
from perf_tasks.clean import model, run, stale
from perf_tasks.clean.model import Report
from perf_tasks.clean.safety import Guard

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

COMMANDS = (("build", "--workspace"), ("test", "--workspace", "--no-run"))
VARIANT = {"RUSTFLAGS": "--cfg perf_tasks_variant"}  # what a toolchain or flags change does


def compiling(ws: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The `Compiling` lines of the default commands: what the next build would redo."""
    lines: list[str] = []
    for args in COMMANDS:
        proc = cargo(*args, cwd=ws, env=dict(env or {}))
        lines += [
            ln.strip() for ln in proc.stderr.splitlines() if ln.strip().startswith("Compiling")
        ]
    return lines


def build(ws: Path, env: Mapping[str, str] | None = None, *extra: str) -> None:
    for args in COMMANDS:
        cargo(*args, *extra, "--quiet", cwd=ws, env=dict(env or {}))


def units(profile: Path) -> dict[Path, str]:
    """Every hash-named entry of a profile dir (both layouts) and its hash."""
    return {e.path: e.hash for e in layout.list_units(profile).entries}


def sessions(profile: Path) -> set[str]:
    return {
        f"{s.variant.name}/{s.path.name}"
        for s in incremental.list_sessions(profile / "incremental")
    }


def sweep(
    ws: Path,
    *,
    dry_run: bool = False,
    mode: str = "routine",
    shared: bool | None = None,
    env: Mapping[str, str] | None = None,
    within_budget: bool = False,
) -> Report:
    """One cleaning run through the library, as the task makes it."""
    settings = settings_mod.load(ws)
    guard = Guard.for_workspace(workspace.load(ws), settings, shared=shared)
    options = stale.Options(env={**os.environ, **(env or {})})
    plan, scanned = run.plan(
        mode,
        guard,
        settings,
        now=time.time(),
        stale_options=options,
        within_budget=within_budget,
    )
    return run.execute(plan, scanned, guard, dry_run=dry_run)


def of(report: Report, *categories: str) -> set[Path]:
    return {i.path for i in report.plan.items if i.category in categories}


@dataclass(frozen=True)
class Variant:
    """A built demo workspace, built again with other RUSTFLAGS; the default build is fresh."""

    root: Path
    live: frozenset[str]  # the hashes of the default build
    live_sessions: frozenset[str]


@pytest.fixture(scope="module")
def demo_variant(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Variant:
    ws = copy_tree(demo_built, tmp_path_factory.mktemp("variant") / "ws")
    build(ws)  # a copy at a new path may rebuild: settle it first
    profile = ws / "target" / "debug"
    live = frozenset(units(profile).values())
    live_sessions = frozenset(sessions(profile))
    build(ws, VARIANT)
    assert set(units(profile).values()) - live, "the variant built no other units"
    assert compiling(ws) == [], "the default build must still be fresh"
    return Variant(ws, live, live_sessions)


def stale_of(ws: Path, live: frozenset[str]) -> dict[Path, str]:
    return {p: h for p, h in units(ws / "target" / "debug").items() if h not in live}


# ------------------------------------------------------------------ toolchain-like (RUSTFLAGS)


def test_rustflags_variant_goes_and_the_next_build_compiles_nothing(
    demo_variant: Variant, tmp_path: Path
) -> None:
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    profile = ws / "target" / "debug"
    stale_units = stale_of(ws, demo_variant.live)
    live_units = [p for p, h in units(profile).items() if h in demo_variant.live]
    stale_bytes = du(*stale_units)
    before = du(ws / "target")

    dry = sweep(ws, dry_run=True)
    assert du(ws / "target") == before, "a dry run deletes nothing"
    assert set(stale_units) <= of(dry, model.STALE), dry.plan.notes
    assert not set(live_units) & {i.path for i in dry.plan.items}
    assert dry.extra["stale"]["status"] == "swept"

    report = sweep(ws)
    assert report.ok, report.errors
    assert not [p for p in stale_units if p.exists()]
    assert all(p.exists() for p in live_units)
    assert report.freed_bytes >= 0.95 * stale_bytes
    # rustc's sessions: the variant's go, the default build's stay, one per live unit
    assert sessions(profile) == demo_variant.live_sessions
    assert compiling(ws) == []


def test_cli_dry_run_json_lists_the_stale_set_and_deletes_nothing(
    demo_variant: Variant, tmp_path: Path
) -> None:
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    before = du(ws / "target")
    proc = perf("clean", "--dry-run", "--json", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    listed = {Path(i["path"]) for i in report["items"] if i["category"] == "stale"}
    assert set(stale_of(ws, demo_variant.live)) <= listed, report["notes"]
    assert report["stale"]["status"] == "swept"
    assert report["stale"]["stale_units"] == len(set(stale_of(ws, demo_variant.live).values()))
    assert report["stale"]["profiles"]["target/debug/"]["layouts"] == ["classic"]
    assert not any(i["removed"] for i in report["items"])
    assert du(ws / "target") == before
    assert "nothing was removed" in proc.stderr


# ---------------------------------------------------------------------------------- features


def feature_crate(root: Path) -> Path:
    """A crate with a feature, and a tool that only that feature builds."""
    write(
        root / "Cargo.toml",
        '[package]\nname = "feat"\nversion = "0.1.0"\nedition = "2021"\n\n'
        "[features]\nextra = []\n\n"
        '[[bin]]\nname = "extra-tool"\npath = "src/tool.rs"\nrequired-features = ["extra"]\n',
    )
    write(
        root / "src" / "lib.rs",
        "pub fn one() -> u32 { 1 }\n"
        '#[cfg(feature = "extra")]\npub fn two() -> u32 { 2 }\n'
        "#[cfg(test)]\nmod tests { #[test] fn t() { assert_eq!(super::one(), 1); } }\n",
    )
    write(root / "src" / "tool.rs", 'fn main() { println!("{}", feat::two()); }\n')
    write(root / "tests" / "api.rs", "#[test]\nfn api() { assert_eq!(feat::one(), 1); }\n")
    return root


def test_a_feature_change_leaves_units_the_sweep_removes(tmp_path: Path) -> None:
    ws = feature_crate(tmp_path / "feat")
    build(ws)
    profile = ws / "target" / "debug"
    live = frozenset(units(profile).values())
    build(ws, None, "--features", "extra")
    stale_units = stale_of(ws, live)
    tool = profile / "extra-tool"  # uplifted: a hard link of a stale unit's binary
    assert stale_units and tool.exists()
    stale_bytes = du(*stale_units)

    report = sweep(ws)
    assert report.ok
    assert set(stale_units) <= of(report, model.STALE), report.plan.notes
    assert not [p for p in stale_units if p.exists()]
    assert not tool.exists(), "no configured command makes it: its link would keep the bytes"
    assert report.freed_bytes >= 0.95 * stale_bytes
    assert set(units(profile).values()) == live
    # each feature set has its own rustc variant dirs: the extra ones go whole
    assert len({s.split("/")[0] for s in sessions(profile)}) == len(sessions(profile))
    assert compiling(ws) == []


# ------------------------------------------------------------------------ source edit (incr.)


def test_a_source_edit_keeps_the_new_session_and_drops_the_old(demo_copy: Path) -> None:
    build(demo_copy)
    profile = demo_copy / "target" / "debug"
    before = sessions(profile)
    lib = demo_copy / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text().replace("65_521;", "65_520 + 1;"))
    build(demo_copy)
    after = sessions(profile)
    new = after - before
    assert new, "the edit made new sessions"
    old_beside_new = {
        s for s in after & before if s.split("/")[0] in {n.split("/")[0] for n in new}
    }
    assert old_beside_new, "rustc left the older session next to the new one"

    report = sweep(demo_copy)
    assert report.ok
    assert not of(report, model.STALE), "a source edit changes no unit hash"
    gone = {f"{p.parent.name}/{p.name}" for p in of(report, model.INCREMENTAL)}
    assert old_beside_new <= gone
    assert sessions(profile) == after - old_beside_new
    assert new <= sessions(profile)
    assert compiling(demo_copy) == []


# ------------------------------------------------------------------------- not up to date


def compiled_units(ws: Path, *args: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The `Compiling` lines of one cargo command, paths made relative: what it redid."""
    proc = cargo(*args, cwd=ws, env=dict(env or {}))
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip().startswith("Compiling")]
    return sorted(ln.replace(str(ws), ".") for ln in lines)


def test_not_up_to_date_sweeps_from_cargos_plan_without_compiling(
    demo_variant: Variant, tmp_path: Path
) -> None:
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    lib = ws / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n// edited\n")
    never_cleaned = copy_tree(ws, tmp_path / "never-cleaned")
    deps = ws / "target" / "debug" / "deps"
    outputs_before = {p.name: p.stat().st_mtime for p in deps.iterdir()}

    proc = perf("clean", "--root", str(ws))  # no terminal, no --build: what cron runs
    assert proc.returncode == 0, proc.stderr
    assert "from cargo's plan, without compiling" in proc.stdout
    assert "would compile" in proc.stdout  # which command would compile, and what
    assert not stale_of(ws, demo_variant.live), "the variant's units are stale: swept"
    # cargo was stopped before rustc wrote anything (cargo itself may drop the rlib it is about
    # to rebuild, so that rustc cannot read an old one: the next build makes it anyway)
    outputs_after = {p.name: p.stat().st_mtime for p in deps.iterdir()}
    assert outputs_after.items() <= outputs_before.items()
    # What each command compiles next is what it would have compiled on a copy never cleaned.
    for args in COMMANDS:
        assert compiled_units(ws, *args) == compiled_units(never_cleaned, *args), args


def test_a_flags_change_then_build_only_frees_the_old_units(
    demo_copy: Path, tmp_path: Path
) -> None:
    profile = demo_copy / "target" / "debug"
    old = frozenset(units(profile).values())
    cargo("build", "--workspace", "--quiet", cwd=demo_copy, env=VARIANT)  # a normal day
    never_cleaned = copy_tree(demo_copy, tmp_path / "never-cleaned")

    proc = perf("clean", "--root", str(demo_copy), env=VARIANT)
    assert proc.returncode == 0, proc.stderr
    assert "from cargo's plan, without compiling" in proc.stdout
    left = frozenset(units(profile).values())
    assert old - left, "units of the old flags are gone"
    for args in COMMANDS:
        before = compiled_units(never_cleaned, *args, env=VARIANT)
        assert compiled_units(demo_copy, *args, env=VARIANT) == before, args


def test_a_feature_change_then_build_only_frees_the_old_units(tmp_path: Path) -> None:
    """The day turns a feature on in the manifest and runs `cargo build` only: the tests' units of
    the old feature set are stale, the new ones are not built yet; cron's clean needs no --build."""
    ws = feature_crate(tmp_path / "feat")
    build(ws)
    profile = ws / "target" / "debug"
    old = frozenset(units(profile).values())
    manifest = ws / "Cargo.toml"
    manifest.write_text(
        manifest.read_text().replace("extra = []", 'default = ["extra"]\nextra = []')
    )
    cargo("build", "--workspace", "--quiet", cwd=ws)  # a normal day
    after_day = frozenset(units(profile).values())
    never_cleaned = copy_tree(ws, tmp_path / "never-cleaned")

    proc = perf("clean", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert "from cargo's plan, without compiling" in proc.stdout
    left = frozenset(units(profile).values())
    assert after_day - old, "the feature change made new units"
    gone = after_day - left
    assert gone and gone <= old, "only units of the old feature set went"
    assert (profile / "extra-tool").exists(), "the day's build made it: it is live"
    assert compiled_units(ws, "build", "--workspace") == []
    assert compiled_units(never_cleaned, "build", "--workspace") == []
    tests = ("test", "--workspace", "--no-run")
    assert compiled_units(ws, *tests) == compiled_units(never_cleaned, *tests)


def test_a_workspace_whose_path_has_spaces_sweeps_from_the_plan(
    demo_built: Path, tmp_path: Path
) -> None:
    """cargo's log line ends with the path: a folder named `my ws` is read whole."""
    (tmp_path / "my projects").mkdir()
    ws = copy_tree(demo_built, tmp_path / "my projects" / "ws")
    build(ws)  # a copy at a new path may rebuild: settle it first
    lib = ws / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n// edited\n")
    cargo("build", "--workspace", "--quiet", cwd=ws)
    never_cleaned = copy_tree(ws, tmp_path / "my projects" / "never-cleaned")

    proc = perf("clean", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert "from cargo's plan, without compiling" in proc.stdout, proc.stdout
    for args in COMMANDS:
        assert compiled_units(ws, *args) == compiled_units(never_cleaned, *args), args


GARBLERS = {
    "removed": "/fingerprint at: /d",
    "garbled": "s/fingerprint at: /fingerprint @ /",
}


@pytest.mark.parametrize("how", sorted(GARBLERS))
def test_without_cargos_plan_log_it_sweeps_nothing_and_says_so(
    demo_variant: Variant, tmp_path: Path, how: str
) -> None:
    """A change in cargo's log format means no sweep, never a wrong one."""
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    lib = ws / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n// edited\n")
    old = write(ws / "artifacts" / "bench" / "old-bench.json", "{}")
    age(old, 30)
    wrapper = write(
        tmp_path / "cargo-wrapper",
        f"#!/bin/bash\nexec {shutil.which('cargo')} \"$@\" 2> >(sed -u '{GARBLERS[how]}' >&2)\n",
    )
    wrapper.chmod(0o755)
    stale_before = stale_of(ws, demo_variant.live)

    proc = perf("clean", "--root", str(ws), env={"CARGO": str(wrapper)})
    assert proc.returncode == 0, proc.stderr
    assert "build not up to date: build first, or pass `--build`" in proc.stdout
    assert "cargo logged no plan" in proc.stdout
    assert not old.exists(), "the other categories still run"
    assert stale_of(ws, demo_variant.live) == stale_before, "no stale unit was removed"

    proc = perf("clean", "--build", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert "Compiling demo-core" in proc.stdout  # --build shows cargo's progress
    assert not stale_of(ws, demo_variant.live)
    assert compiling(ws) == []


def test_a_failing_command_means_no_keep_set(demo_copy: Path) -> None:
    write(
        demo_copy / "perf-tasks.toml",
        '[stale]\ncommands = [["cargo", "build", "--workspace"], '
        '["cargo", "build", "--workspace", "--features", "no-such-feature"]]\n',
    )
    build(demo_copy, VARIANT)
    proc = perf("clean", "--dry-run", "--json", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["stale"]["status"] == "failed"
    assert "no-such-feature" in report["stale"]["detail"]
    assert not [i for i in report["items"] if i["category"] in ("stale", "incremental")]
    assert any("a configured command failed" in n for n in report["notes"])
    proc = perf("clean", "--build", "--root", str(demo_copy))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_bad_stale_commands_are_exit_2_in_one_line(demo_copy: Path) -> None:
    write(demo_copy / "perf-tasks.toml", '[stale]\ncommands = [["cargo", "test", "--workspace"]]\n')
    proc = perf("clean", "--root", str(demo_copy))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "stale.commands[0]" in lines[0] and "--no-run" in lines[0]


# ------------------------------------------------------------------------------- layouts


NIGHTLY = {"__CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS": "nightly"}


def test_the_new_build_dir_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(
        DEMO, ws, ignore=shutil.ignore_patterns("target", "output", "cache", "artifacts")
    )
    write(ws / ".cargo" / "config.toml", "[unstable]\nbuild-dir-new-layout = true\n")
    for key, value in NIGHTLY.items():
        monkeypatch.setenv(key, value)
    build(ws)
    profile = ws / "target" / "debug"
    live = frozenset(units(profile).values())
    assert {e.layout for e in layout.list_units(profile).entries} == {layout.NEW}
    cargo("build", "--workspace", "--quiet", cwd=ws, env=VARIANT)
    stale_units = stale_of(ws, live)
    assert stale_units and all(p.parent.parent.name == "build" for p in stale_units)

    report = sweep(ws)
    assert report.ok
    assert report.extra["stale"]["status"] == "swept", report.plan.notes
    assert report.extra["stale"]["profiles"]["target/debug/"]["layouts"] == ["new"]
    assert set(stale_units) <= of(report, model.STALE)
    assert not [p for p in stale_units if p.exists()]
    assert set(units(profile).values()) == live
    assert compiling(ws) == []


def test_a_layout_we_do_not_understand_is_refused(demo_variant: Variant, tmp_path: Path) -> None:
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    write(ws / "target" / "debug" / "build" / "weird" / "not-a-hash" / "file")
    before = du(ws / "target" / "debug")
    report = sweep(ws)
    assert not of(report, model.STALE, model.INCREMENTAL)
    assert any("layout not understood" in n and "not-a-hash" in n for n in report.plan.notes)
    facts = report.extra["stale"]["profiles"]["target/debug/"]
    assert facts["swept"] is False and "layout not understood" in facts["why_not"]
    assert du(ws / "target" / "debug") == before


# -------------------------------------------------------------------------- shared target


@dataclass(frozen=True)
class Shared:
    """Two workspaces, `a` (ours, built) and `b` (another), whose CARGO_TARGET_DIR is `dir`."""

    a: Path
    b: Path
    dir: Path
    env: dict[str, str]


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shared:
    shared_dir = tmp_path / "shared-target"
    monkeypatch.setenv("CARGO_TARGET_DIR", str(shared_dir))
    env = {"CARGO_TARGET_DIR": str(shared_dir)}
    a = package(tmp_path / "a", "alpha")
    build(a, env)
    return Shared(a, package(tmp_path / "b", "beta"), shared_dir, env)


def test_a_shared_target_dir_is_swept_only_with_shared(shared: Shared) -> None:
    a, b, shared_dir, env = shared.a, shared.b, shared.dir, shared.env
    cargo("build", "--quiet", cwd=b, env=env)
    theirs = {p for p in units(shared_dir / "debug") if "beta" in p.name}
    assert theirs

    report = sweep(a, dry_run=True)
    assert not of(report, model.STALE)
    assert any("outside the workspace root" in n and "--shared" in n for n in report.plan.notes)
    assert not any("stale units in" in n for n in report.plan.notes), "no '0 stale' after a skip"

    report = sweep(a, shared=True)
    assert theirs <= of(report, model.STALE), report.plan.notes
    assert any("other workspaces" in n for n in report.plan.notes)
    assert not [p for p in theirs if p.exists()]
    assert compiling(a, env) == []


def test_whole_dirs_of_a_shared_target_dir_go_only_with_shared(shared: Shared) -> None:
    # Another workspace builds release/ into the shared dir; ours never does. Without --shared,
    # clean.target --force must not judge that dir's profiles by our commands alone.
    a = shared.a
    cargo("build", "--release", "--quiet", cwd=shared.b, env=shared.env)
    release = shared.dir / "release"
    assert release.is_dir()

    proc = perf("clean.target", "--force", "--json", "--root", str(a))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert release.is_dir() and not report["items"], report["items"]
    assert any("left alone: pass --shared" in n for n in report["notes"]), report["notes"]

    proc = perf("clean.target", "--force", "--shared", "--json", "--root", str(a))
    assert proc.returncode == 0, proc.stderr
    assert not (release / "deps").exists()


# -------------------------------------------------------------------------------- budget


def test_target_within_budget_does_nothing_unless_forced(
    demo_variant: Variant, tmp_path: Path
) -> None:
    ws = copy_tree(demo_variant.root, tmp_path / "ws")
    before = du(ws / "target")
    proc = perf("clean.target", "--dry-run", "--json", "--root", str(ws))  # 5 GB by default
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["items"] == [] and report["budget"]["over"] is False
    assert "stale" not in report, "within budget: not even cargo is asked"
    assert any("within its budget" in n for n in report["notes"])

    forced = sweep(ws, mode="target", within_budget=True)
    assert set(stale_of(ws, demo_variant.live)) == set(), "--force sweeps the stale units"
    assert not of(forced, model.PROFILE), "every profile here is one the commands use"
    assert du(ws / "target") < before


def test_target_force_removes_every_unused_dir_whatever_the_budget(demo_copy: Path) -> None:
    build(demo_copy)
    cargo("build", "--workspace", "--release", "--quiet", cwd=demo_copy)
    doc = write(demo_copy / "target" / "doc" / "demo_core" / "index.html", b"d" * 50_000)
    target = demo_copy / "target"
    dry = perf("clean.target", "--force", "--dry-run", "--json", "--root", str(demo_copy))
    reasons = [item["reason"] for item in json.loads(dry.stdout)["items"]]
    assert any(r.endswith("(--force)") for r in reasons), reasons
    assert not any("over budget" in r for r in reasons), reasons  # far within 5 GB
    proc = perf("clean.target", "--force", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    assert not doc.exists() and not (target / "release" / "deps").exists()
    assert (target / "release" / ".cargo-lock").exists(), "cargo's lock stays"
    assert "within its budget of 5.0 GB; --force cleans every unused dir anyway" in proc.stdout
    assert "(all of them: --force)" in proc.stdout
    assert compiling(demo_copy) == []


def test_target_budget_flag_overrides_the_settings(demo_copy: Path) -> None:
    proc = perf("clean.target", "--budget", "1 B", "--dry-run", "--json", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["budget"]["budget_bytes"] == 1 and report["budget"]["over"] is True
    bad = perf("clean.target", "--budget", "lots", "--dry-run", "--root", str(demo_copy))
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: --budget: expected a size such as '5 GB' or '800 MiB', got 'lots'"
    ]


def test_target_over_budget_removes_unused_profiles_largest_first(demo_copy: Path) -> None:
    build(demo_copy)
    cargo("build", "--workspace", "--release", "--quiet", cwd=demo_copy)
    doc = write(demo_copy / "target" / "doc" / "demo_core" / "index.html", b"d" * 50_000)
    target = demo_copy / "target"
    budget = du(target) - du(target / "release") + 60_000  # room for doc/, not for release/
    write(demo_copy / "perf-tasks.toml", f"[budgets]\ntarget = {budget}\n")

    report = sweep(demo_copy, mode="target")
    assert report.ok
    assert {i.path.parent for i in report.plan.items if i.category == model.PROFILE} == {
        target / "release"
    }
    assert doc.exists(), "once under budget, nothing more goes"
    assert report.extra["budget"]["over"] is True
    assert any("largest first: target/release/" in n for n in report.plan.notes)
    assert du(target) <= budget
    assert (target / "release" / ".cargo-lock").exists(), "cargo's lock stays"
    assert compiling(demo_copy) == []
