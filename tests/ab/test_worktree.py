"""Scratch worktrees: made and moved with real git, never in the work tree, removed only when ours."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import git, perf

from perf_tasks.ab import worktree
from perf_tasks.errors import ConfigError


def repo(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "w"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src" / "lib.rs").write_text("pub fn v() -> u32 { 1 }\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "one", cwd=root)
    return root


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_revision_is_checked_out_beside_the_work_tree_and_moved(tmp_path: Path) -> None:
    root = repo(tmp_path / "ws")
    first = head(root)
    (root / "src" / "lib.rs").write_text("pub fn v() -> u32 { 2 }\n")
    git("commit", "-qam", "two", cwd=root)
    (root / "src" / "lib.rs").write_text("pub fn v() -> u32 { 3 } // uncommitted\n")
    (root / "Cargo.lock").write_text("# the work tree's lock file\n")  # untracked
    env = dict(os.environ)
    scratch = worktree.Scratch.of(root, env)
    assert root not in scratch.dir.parents  # outside the workspace

    old = scratch.checkout(worktree.resolve(root, "HEAD~1", env=env))
    assert (old / "src" / "lib.rs").read_text() == "pub fn v() -> u32 { 1 }\n"
    assert (old / "Cargo.lock").read_text() == "# the work tree's lock file\n"
    moved = scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    assert moved == old and "{ 2 }" in (moved / "src" / "lib.rs").read_text()
    # The work tree is as it was: uncommitted change, HEAD, branch.
    assert "{ 3 }" in (root / "src" / "lib.rs").read_text()
    assert head(root) != first
    assert json.loads((scratch.dir / "owner.json").read_text())["root"] == str(root.resolve())


def test_a_bad_revision_is_one_clear_error(tmp_path: Path) -> None:
    root = repo(tmp_path / "ws")
    with pytest.raises(ConfigError, match="not a commit of the repository"):
        worktree.resolve(root, "no-such-branch", env=os.environ)
    with pytest.raises(ConfigError, match="not a git revision"):
        worktree.resolve(root, "--output=x", env=os.environ)
    proc = perf("baseline.compare", "--root", str(root), "--against", "nope")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "'nope' is not a commit" in proc.stderr
    clash = perf("baseline.compare", "--root", str(root), "--against", "HEAD", "--old", "x.json")
    assert clash.returncode == 2 and "leave out --old" in clash.stderr
    few = perf("baseline.compare", "--root", str(root), "--against", "HEAD", "--max-pairs", "3")
    assert few.returncode == 2 and "at least 6" in few.stderr


def test_a_folder_of_another_workspace_is_never_used_or_removed(tmp_path: Path) -> None:
    root = repo(tmp_path / "ws")
    env = dict(os.environ)
    scratch = worktree.Scratch.of(root, env)
    scratch.dir.mkdir(parents=True)
    (scratch.dir / "owner.json").write_text(
        json.dumps({"kind": worktree.OWNER_KIND, "root": "/somewhere/else"})
    )
    (scratch.dir / "keep.txt").write_text("not ours")
    with pytest.raises(ConfigError, match="belongs to another workspace"):
        scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    assert scratch.remove() is False
    assert (scratch.dir / "keep.txt").exists()
    (scratch.dir / "owner.json").unlink()  # no owner at all: not ours either
    assert scratch.remove() is False and (scratch.dir / "keep.txt").exists()


def test_clean_reports_the_scratch_and_nuke_removes_it_through_git(tmp_path: Path) -> None:
    root = repo(tmp_path / "ws")
    env = dict(os.environ)
    scratch = worktree.Scratch.of(root, env)
    scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    (scratch.target("a") / "debug").mkdir(parents=True)
    (scratch.target("a") / "debug" / "big").write_bytes(b"x" * 200_000)
    routine = perf("clean", "--root", str(root), "--json")
    assert routine.returncode == 0, routine.stderr
    facts = json.loads(routine.stdout)["scratch"]
    assert facts["removed"] is False and facts["bytes"] >= 200_000
    assert scratch.dir.is_dir()
    nuke = perf("clean.nuke", "--root", str(root), "--yes", "--json")
    assert nuke.returncode == 0, nuke.stderr
    assert json.loads(nuke.stdout)["scratch"]["removed"] is True
    assert not scratch.dir.exists()
    listed = subprocess.run(
        ["git", "worktree", "list"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert str(scratch.tree("a")) not in listed


def test_a_tree_left_broken_by_a_killed_run_is_made_again(tmp_path: Path) -> None:
    # A run killed with SIGKILL in the middle of `git checkout` leaves the worktree's index.lock.
    root = repo(tmp_path / "ws")
    env = dict(os.environ)
    scratch = worktree.Scratch.of(root, env)
    tree = scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    gitdir = Path(
        subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (gitdir / "index.lock").write_text("")
    (root / "src" / "lib.rs").write_text("pub fn v() -> u32 { 2 }\n")
    git("commit", "-qam", "two", cwd=root)
    again = scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    assert "{ 2 }" in (again / "src" / "lib.rs").read_text()
    listed = subprocess.run(
        ["git", "worktree", "list", "--porcelain"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listed.count("worktree ") == 2  # the work tree and one scratch tree, no leftovers


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_a_scratch_folder_that_cannot_be_made_is_one_line(tmp_path: Path, where: str) -> None:
    root = repo(tmp_path / "ws")
    (tmp_path / "a-file").write_text("not a folder\n")
    env = {**os.environ, "PERF_TASKS_SCRATCH": str(tmp_path / where)}
    with pytest.raises(ConfigError, match=r"cannot make the scratch folder .* PERF_TASKS_SCRATCH"):
        worktree.Scratch.of(root, env).checkout(worktree.resolve(root, "HEAD", env=env))
    result = perf("verify.check", "--root", str(root), "--before", "HEAD", "--json", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"]["kind"] == "config"


def test_a_relative_scratch_folder_is_taken_from_the_current_dir_never_the_work_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git worktree add runs from the repository's top: a relative PERF_TASKS_SCRATCH put the
    # scratch worktree inside the user's work tree.
    root = repo(tmp_path / "ws")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = {**os.environ, "PERF_TASKS_SCRATCH": "rel-scratch"}
    scratch = worktree.Scratch.of(root, env)
    assert scratch.dir.is_absolute() and scratch.dir.parent == elsewhere / "rel-scratch"
    tree = scratch.checkout(worktree.resolve(root, "HEAD", env=env))
    assert (tree / "Cargo.toml").is_file()
    assert not (root / "rel-scratch").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""
    home = {k: v for k, v in os.environ.items() if k != "PERF_TASKS_SCRATCH"}
    relative_xdg = worktree.scratch_home({**home, "XDG_CACHE_HOME": "rel-cache", "HOME": "/h"})
    assert relative_xdg == Path("/h/.cache/perf-tasks/ab")


def test_a_scratch_folder_inside_the_repository_is_refused(tmp_path: Path) -> None:
    top = repo(tmp_path / "repo")
    env = {**os.environ, "PERF_TASKS_SCRATCH": str(top / ".scratch")}
    with pytest.raises(ConfigError, match=r"is inside .* outside the workspace"):
        worktree.Scratch.of(top, env).checkout(worktree.resolve(top, "HEAD", env=env))
    assert not (top / ".scratch").exists()
    proc = perf("tests.runners", "--root", str(top), "--json", env=env)
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["error"]["kind"] == "config"
    assert not (top / ".scratch").exists()
