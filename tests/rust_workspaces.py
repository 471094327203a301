"""Real cargo workspaces for the testsuite tests, in git: the demo workspace, and one generated
with every shape of dependency `tests.affected` follows."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from helpers import git, write

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo-workspace"


def committed(root: Path) -> Path:
    """`root` made a git repository with everything committed, on branch `main`."""
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "start", cwd=root)
    return root


def demo(root: Path) -> Path:
    """The demo workspace's sources (no target dir), committed."""
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "output", "cache"))
    return committed(root)


def _crate(root: Path, name: str, manifest_extra: str = "", code: str = "") -> None:
    write(
        root / "crates" / name / "Cargo.toml",
        f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{manifest_extra}',
    )
    write(root / "crates" / name / "src" / "lib.rs", f"{code}\n#[test]\nfn t_{name}() {{}}\n")


def generated(root: Path) -> Path:
    """A root package `app` whose folder holds the members' folders, and members:

    - `leaf`: nothing depends on it;
    - `base`: `mid` depends on it, `tester` only through `[dev-dependencies]`, `gen` only through
      `[build-dependencies]`;
    - `mid` -> base; `top` -> tester (normal); `app` -> mid.
    """
    write(
        root / "Cargo.toml",
        '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n'
        '[dependencies]\nmid = { path = "crates/mid" }\n\n'
        '[workspace]\nmembers = ["crates/*"]\n',
    )
    write(root / "src" / "lib.rs", "pub fn app() -> u32 { mid::mid() }\n#[test]\nfn t() {}\n")
    write(root / ".gitignore", "/target\n")
    _crate(root, "leaf", code="pub fn leaf() {}")
    _crate(root, "base", code="pub fn base() -> u32 { 1 }")
    _crate(
        root,
        "mid",
        '[dependencies]\nbase = { path = "../base" }\n',
        "pub fn mid() -> u32 { base::base() + 1 }",
    )
    _crate(root, "tester", '[dev-dependencies]\nbase = { path = "../base" }\n')
    _crate(root, "top", '[dependencies]\ntester = { path = "../tester" }\n')
    _crate(root, "gen", '[build-dependencies]\nbase = { path = "../base" }\n')
    write(root / "crates" / "gen" / "build.rs", "fn main() { let _ = base::base(); }\n")
    env = {**os.environ, "CARGO_NET_OFFLINE": "true"}
    subprocess.run(["cargo", "generate-lockfile", "--offline", "-q"], cwd=root, env=env, check=True)
    return committed(root)
