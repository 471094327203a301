"""Scratch git worktrees: a revision checked out beside the user's work tree, never in it.

Where they live: `$XDG_CACHE_HOME/perf-tasks/ab/<workspace>-<hash>/` (`~/.cache/...` without
XDG_CACHE_HOME or when it is relative; `PERF_TASKS_SCRATCH` overrides the `perf-tasks/ab` part, a
relative one from the current dir), one folder per workspace:

- `tree-<slot>/`: a detached git worktree of the workspace's repository, moved from revision to
  revision (`git checkout --detach`), so that only what changed is rebuilt;
- `target-<slot>/`: its own target dir, warm between uses;
- `owner.json`: which workspace the folder belongs to. Nothing is removed without it.

They live outside the workspace so that cargo, git status, editors and the disk figures of the
workspace never see them; `clean.nuke` removes them (`remove`), `clean` reports their size.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ConfigError
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.fs.regular import read_text

OWNER_FILE = "owner.json"
OWNER_KIND = "perf-tasks.ab-scratch"


def scratch_home(env: Mapping[str, str]) -> Path:
    """The folder every workspace's scratch folder lives in."""
    if env.get("PERF_TASKS_SCRATCH"):
        # Absolute from here: git runs from the repository's top level, where a relative path
        # would put the scratch worktrees inside the user's work tree.
        return Path(os.path.abspath(Path(env["PERF_TASKS_SCRATCH"]).expanduser()))
    cache = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(cache):  # unset, empty or relative: the XDG spec says ignore it
        cache = str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(cache) / "perf-tasks" / "ab"


def scratch_dir(root: Path, env: Mapping[str, str]) -> Path:
    """The workspace's own scratch folder: its name, and a hash of its real path."""
    real = os.path.realpath(root)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(real).name)[:40]
    return scratch_home(env) / f"{name or 'root'}-{digest}"


@dataclass(frozen=True)
class Revision:
    ref: str  # as the user wrote it: "origin/main", "HEAD~1"
    commit: str  # the full hash

    @property
    def label(self) -> str:
        short = self.commit[:10]
        return short if self.ref in (self.commit, short) else f"{self.ref} ({short})"


def resolve(root: Path, ref: str, *, env: Mapping[str, str]) -> Revision:
    """The commit `ref` names in the workspace's repository, or one clear error."""
    if not ref or ref.startswith("-") or "\0" in ref:
        raise ConfigError(f"{ref!r} is not a git revision: name a commit, branch or tag")
    top = toplevel(root, env=env)
    try:
        out = command.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
            cwd=top,
            env=env,
            what="git rev-parse",
        )
    except CommandFailed:
        raise ConfigError(
            f"{ref!r} is not a commit of the repository at {top}: fetch it first "
            "(git fetch origin main), or name a commit, branch or tag that exists here"
        ) from None
    return Revision(ref=ref, commit=out.first_line)


def toplevel(root: Path, *, env: Mapping[str, str]) -> Path:
    try:
        out = command.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=root, env=env, what="git rev-parse"
        )
    except CommandFailed:
        raise ConfigError(
            f"{root} is not in a git repository: comparing against a revision needs git"
        ) from None
    return Path(out.first_line)


@dataclass(frozen=True)
class Scratch:
    """The scratch folder of one workspace."""

    root: Path  # the workspace root (may be below the repository's top level)
    dir: Path
    env: Mapping[str, str]

    @classmethod
    def of(cls, root: Path, env: Mapping[str, str]) -> Scratch:
        return cls(root=root, dir=scratch_dir(root, env), env=env)

    def tree(self, slot: str) -> Path:
        return self.dir / f"tree-{slot}"

    def target(self, slot: str) -> Path:
        return self.dir / f"target-{slot}"

    def checkout(self, revision: Revision, slot: str = "a") -> Path:
        """The workspace root as of `revision`, in the slot's worktree (made or moved there)."""
        top = toplevel(self.root, env=self.env)
        self._outside(top)
        self._claim()
        tree = self.tree(slot)
        # No hooks: a post-checkout hook of the repository is not ours to run in a scratch tree.
        git = ["git", "-c", "advice.detachedHead=false", "-c", "core.hooksPath=/dev/null"]
        moved = False
        if self._registered(top, tree):
            try:
                command.run(
                    [*git, "checkout", "--detach", "--force", revision.commit],
                    cwd=tree,
                    env=self.env,
                    what="git checkout (scratch worktree)",
                    timeout_s=600,
                )
                # What a previous revision left untracked (a generated Cargo.lock): not this one's.
                command.run(["git", "clean", "-ffdxq"], cwd=tree, env=self.env, what="git clean")
                moved = True
            except CommandFailed:
                # A run killed mid-checkout leaves the tree unusable (a stale index.lock, a half
                # written index): it is ours and scratch, so it is made again from nothing.
                command.run(
                    ["git", "worktree", "remove", "--force", "--force", str(tree)],
                    cwd=top,
                    env=self.env,
                    what="git worktree remove",
                    ok_codes=(0, 128),
                )
        if not moved:
            command.run(["git", "worktree", "prune"], cwd=top, env=self.env, what="git worktree")
            if tree.exists() or tree.is_symlink():
                _remove_tree(tree)
            command.run(
                [*git, "worktree", "add", "--detach", "--force", str(tree), revision.commit],
                cwd=top,
                env=self.env,
                what="git worktree add",
                timeout_s=600,
            )
        if (tree / ".gitmodules").is_file():
            command.run(
                ["git", "submodule", "update", "--init", "--recursive"],
                cwd=tree,
                env=self.env,
                what="git submodule update (scratch worktree)",
                timeout_s=600,
            )
        sub = self.root.resolve().relative_to(top.resolve())
        checked_out = tree / sub
        if not (checked_out / "Cargo.toml").is_file():
            raise ConfigError(
                f"{revision.label} has no {sub / 'Cargo.toml'}: the workspace did not exist there"
            )
        self._same_lock_file(checked_out)
        return checked_out

    def _same_lock_file(self, checked_out: Path) -> None:
        """Without a committed Cargo.lock, the revision would resolve its dependencies afresh and
        maybe differently: it gets the work tree's, so both sides build the same crates."""
        ours, theirs = self.root / "Cargo.lock", checked_out / "Cargo.lock"
        if ours.is_file() and not theirs.exists():
            shutil.copyfile(ours, theirs)

    def _registered(self, top: Path, tree: Path) -> bool:
        out = command.run(
            ["git", "worktree", "list", "--porcelain"], cwd=top, env=self.env, what="git worktree"
        )
        paths = {
            line[len("worktree ") :]
            for line in out.stdout.splitlines()
            if line.startswith("worktree ")
        }
        return tree.is_dir() and str(tree) in paths

    def claim(self) -> None:
        """Make the folder ours (or check that it is), for a target dir used without a tree."""
        self._claim()

    def _outside(self, folder: Path) -> None:
        """The scratch folder must not be inside `folder` (the workspace, its repository): git
        status, cargo and the disk figures would see its trees and target dirs."""
        here = Path(os.path.realpath(self.dir))
        if here == Path(os.path.realpath(folder)) or Path(os.path.realpath(folder)) in here.parents:
            raise ConfigError(
                f"the scratch folder {self.dir} is inside {folder}: set PERF_TASKS_SCRATCH to a "
                "folder outside the workspace and its repository"
            )

    def _claim(self) -> None:
        """Make the folder ours, or check that it is: a folder of another workspace (a hash
        collision, a copied cache) is never used."""
        self._outside(self.root)
        owner = self.dir / OWNER_FILE
        if self.dir.is_symlink():
            raise ConfigError(
                f"{self.dir} is a symbolic link: remove it, perf-tasks will remake it"
            )
        if owner.is_file():
            if read_owner(self.dir) != str(self.root.resolve()):
                raise ConfigError(
                    f"{self.dir} belongs to another workspace: remove it, or set "
                    "PERF_TASKS_SCRATCH to another folder"
                )
            return
        text = json.dumps({"kind": OWNER_KIND, "root": str(self.root.resolve())}, indent=2)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_atomic(owner, text + "\n")
        except OSError as e:
            raise ConfigError(
                f"cannot make the scratch folder {self.dir} ({e.strerror or e}): set "
                "PERF_TASKS_SCRATCH to a writable folder"
            ) from None

    def size_bytes(self) -> int:
        """What the scratch folder holds, `du`-style (allocated blocks, each inode once)."""
        if not self.dir.is_dir():
            return 0
        seen: set[tuple[int, int]] = set()
        total = 0
        for base, dirs, files in os.walk(self.dir):
            for name in (*dirs, *files):
                try:
                    st = os.lstat(os.path.join(base, name))
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_blocks * 512
        return total

    def remove(self) -> bool:
        """Remove the worktrees (through git) and the folder, if it is this workspace's. False
        when there was nothing of ours to remove."""
        if not self.dir.is_dir() or self.dir.is_symlink():
            return False
        if read_owner(self.dir) != str(self.root.resolve()):
            return False
        try:
            top: Path | None = toplevel(self.root, env=self.env)
        except ConfigError:
            top = None
        for tree in sorted(self.dir.glob("tree-*")):
            if top is not None:
                command.run(
                    ["git", "worktree", "remove", "--force", "--force", str(tree)],
                    cwd=top,
                    env=self.env,
                    what="git worktree remove",
                    ok_codes=(0, 128),  # not (or no longer) registered: removed below
                )
        _remove_tree(self.dir)
        if top is not None:
            command.run(["git", "worktree", "prune"], cwd=top, env=self.env, what="git worktree")
        return True


def read_owner(folder: Path) -> str | None:
    try:
        data = json.loads(read_text(folder / OWNER_FILE))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != OWNER_KIND:
        return None
    root = data.get("root")
    return root if isinstance(root, str) else None


def _remove_tree(path: Path) -> None:
    """`rm -rf`, the fastest way; a link is removed, never followed."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
        return
    command.run(
        ["rm", "-rf", "--one-file-system", "--", str(path)],
        cwd=path.parent,
        env=os.environ,
        what="rm -rf",
        timeout_s=3600,
    )
