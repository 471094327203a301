"""A cargo dir outside the root may be shared with other workspaces: every mode leaves it alone
unless told `--shared`, however cargo is told about it (one rule, in the guard)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import cargo
from helpers import TAG, package, perf, write

# Every cleaning mode, as the user runs it (nuke off a terminal needs --yes).
MODES = {
    "routine": ("clean",),
    "target": ("clean.target", "--force"),
    "nuke": ("clean.nuke", "--yes"),
    "runs": ("clean.runs",),
    "artifacts": ("clean.artifacts",),
    "cache": ("clean.cache",),
}
SHARED_MODES = ("routine", "target", "nuke", "cache")  # those that take --shared


def others_outputs(folder: Path) -> Path:
    """A cargo dir as another workspace left it: tagged, with units, caches, docs, a store."""
    write(folder / "CACHEDIR.TAG", TAG)
    for profile in ("debug", "release"):
        write(folder / profile / ".cargo-lock", b"")
        write(folder / profile / "deps" / "libtheirs-0123abcd.rlib", b"r" * 40_000)
        write(folder / profile / "incremental" / "theirs-1x2y" / "s-abc" / "dep-graph.bin")
        write(folder / profile / ".fingerprint" / "theirs-0123abcd" / "lib-theirs", "fp")
    write(folder / "doc" / "theirs" / "index.html", "<html>")
    write(folder / "nextest" / "archive" / "store.bin")
    return folder


def kept(before: dict[str, int], folder: Path) -> bool:
    """Every file of `before` is still in `folder`, unchanged (cargo's probe may add its own)."""
    return before.items() <= files(folder).items()


def files(folder: Path) -> dict[str, int]:
    found = {}
    for base, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(base) / name
            found[path.relative_to(folder).as_posix()] = path.stat().st_size
    return found


@dataclass(frozen=True)
class Told:
    """A workspace whose cargo dir (`dir`) is outside its root, and how cargo is told so."""

    root: Path
    dir: Path
    env: dict[str, str]


def _workspace(tmp_path: Path) -> Path:
    root = package(tmp_path / "ws", "alpha")
    # its own outputs inside the root: nuke, runs and artifacts have work to do there
    write(root / "output" / "scg" / "run-1" / "data.bin")
    write(root / "artifacts" / "data" / "old.csv")
    return root


def told_by(how: str, tmp_path: Path) -> Told:
    root = _workspace(tmp_path)
    shared = tmp_path / "shared-target"
    env: dict[str, str] = {}
    if how == "CARGO_TARGET_DIR":
        env["CARGO_TARGET_DIR"] = str(shared)
    elif how == "CARGO_BUILD_TARGET_DIR":
        env["CARGO_BUILD_TARGET_DIR"] = str(shared)
    elif how == "parent config":  # build.target-dir in a parent dir's .cargo/config.toml
        write(tmp_path / ".cargo" / "config.toml", '[build]\ntarget-dir = "shared-target"\n')
    elif how == "build-dir":  # the build dir outside, the target dir inside
        env["CARGO_BUILD_BUILD_DIR"] = str(shared)
    elif how == "parent config build-dir":
        write(tmp_path / ".cargo" / "config.toml", '[build]\nbuild-dir = "shared-target"\n')
    elif how == "symlinked target":  # ./target is a link to a common folder
        shared.mkdir()
        (root / "target").symlink_to(shared)
    others_outputs(shared)
    return Told(root, shared, env)


def run_mode(told: Told, mode: str, *extra: str) -> dict[str, object]:
    # An empty CARGO_* variable is refused: drop the ones this case does not set.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO_BUILD_")}
    env.pop("CARGO_TARGET_DIR", None)
    env.update(told.env)
    proc = perf(*MODES[mode], *extra, "--json", "--root", str(told.root), env=env)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout)
    return report


HOW = (
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "parent config",
    "build-dir",
    "parent config build-dir",
)


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("mode", list(MODES))
def test_no_mode_touches_a_cargo_dir_outside_the_root_without_shared(
    mode: str, how: str, tmp_path: Path
) -> None:
    told = told_by(how, tmp_path)
    before = files(told.dir)
    report = run_mode(told, mode)
    assert kept(before, told.dir)
    assert not any(str(i["path"]).startswith(str(told.dir)) for i in report["items"])  # type: ignore[attr-defined]
    if mode in ("nuke", "cache"):  # they selected there: the user reads what stayed and why
        notes = [n for n in report["notes"] if str(told.dir) in n]  # type: ignore[attr-defined]
        assert notes and "--shared" in notes[0], report["notes"]
        reasons = {s["reason"] for s in report["skipped"]}  # type: ignore[attr-defined]
        assert any("outside the workspace root" in r and "--shared" in r for r in reasons)


def test_nuke_leaves_a_symlinked_shared_target_alone(tmp_path: Path) -> None:
    told = told_by("symlinked target", tmp_path)
    before = files(told.dir)
    report = run_mode(told, "nuke")
    assert kept(before, told.dir)
    assert not (told.root / "output" / "scg").exists()  # its own outputs still went
    assert any(str(told.dir) in n for n in report["notes"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", SHARED_MODES)
def test_a_dry_run_plans_nothing_there_either(mode: str, tmp_path: Path) -> None:
    told = told_by("CARGO_TARGET_DIR", tmp_path)
    report = run_mode(told, mode, "--dry-run")
    assert not any(str(i["path"]).startswith(str(told.dir)) for i in report["items"])  # type: ignore[attr-defined]
    assert report["totals"]["freed_bytes"] < 40_000  # type: ignore[index]


def test_nuke_and_cache_clean_a_shared_dir_with_shared(tmp_path: Path) -> None:
    told = told_by("CARGO_TARGET_DIR", tmp_path)
    run_mode(told, "cache", "--shared")
    left = files(told.dir)
    assert "debug/deps/libtheirs-0123abcd.rlib" in left
    assert not any("/incremental/" in p or p.startswith(("doc/", "nextest/")) for p in left)
    run_mode(told, "nuke", "--shared")
    # cargo's tag and locks stay, as in a target dir inside the root
    assert set(files(told.dir)) == {"CACHEDIR.TAG", "debug/.cargo-lock", "release/.cargo-lock"}


def test_shared_in_the_settings_counts_for_nuke_too(tmp_path: Path) -> None:
    told = told_by("CARGO_BUILD_TARGET_DIR", tmp_path)
    write(told.root / "perf-tasks.toml", "[stale]\nshared = true\n")
    run_mode(told, "nuke")
    assert "debug/deps/libtheirs-0123abcd.rlib" not in files(told.dir)


@pytest.mark.parametrize("mode", list(MODES))
def test_another_workspaces_quarantine_there_is_not_ours_to_finish(
    mode: str, tmp_path: Path
) -> None:
    # Another workspace's run, at this moment, between making its quarantine and writing its
    # marker (a half-made one, which we would drop), and one busy removing what it moved there.
    told = told_by("CARGO_TARGET_DIR", tmp_path)
    trash = told.dir / ".perf-tasks-trash"
    half_made = trash / "20261207T030000-1-aaaaaa"
    half_made.mkdir(parents=True)
    busy = trash / "20261207T030000-2-bbbbbb"
    write(busy / ".perf-tasks-quarantine", f"perf-tasks quarantine\nrun: {busy.name}\n")
    write(busy / "debug" / "deps" / "libtheirs-99.rlib")
    before = files(told.dir)
    run_mode(told, mode)
    assert half_made.is_dir()
    assert kept(before, told.dir)


@pytest.mark.slow
def test_nuke_of_one_workspace_keeps_the_others_build(tmp_path: Path) -> None:
    # The review's case on real builds: two workspaces, one CARGO_TARGET_DIR outside both.
    shared = tmp_path / "shared-target"
    env = {"CARGO_TARGET_DIR": str(shared)}
    a = package(tmp_path / "a", "alpha")
    b = package(tmp_path / "b", "beta")
    cargo("build", "--quiet", cwd=a, env=env)
    cargo("build", "--quiet", cwd=b, env=env)
    theirs = {p for p in files(shared) if "beta" in p}
    assert theirs
    run_mode(Told(a, shared, env), "nuke")
    assert theirs <= set(files(shared))
    built = cargo("build", "--message-format=json", cwd=b, env=env).stdout
    fresh = [json.loads(line).get("fresh") for line in built.splitlines() if '"fresh"' in line]
    assert fresh and all(fresh)  # beta is not rebuilt: nothing of it was touched
