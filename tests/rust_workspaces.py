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


IGNORING_LIB = """//! The crate.
//!
//! ```no_run
//! let runs_not = 1;
//! ```
#![doc = include_str!("../GUIDE.md")]

/// Adds.
///
/// ```ignore
/// not compiled: ignored
/// ```
///
/// ```text,ignore
/// another language: no doctest
/// ```
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// ```rust,ignore
/// also ignored
/// ```
pub fn sub(a: u32, b: u32) -> u32 {
    a - b
}

macro_rules! ignored_test {
    ($name:ident) => {
        #[test]
        #[ignore]
        fn $name() {}
    };
}

#[cfg(test)]
mod tests {
    #[test]
    #[ignore = "needs the network"]
    fn net() {}

    #[test]
    #[ignore]
    fn bare() {}

    #[test]
    // a comment between the attributes
    #[cfg_attr(unix, ignore)]
    fn ignored_on_unix() {}

    #[test]
    #[cfg_attr(unix, ignore = "flaky on \\"unix\\" [sic]")]
    pub fn flaky_on_unix() {}

    #[test]
    #[cfg_attr(windows, ignore = "not here")]
    fn ignored_on_windows_only() {}

    #[test]
    #[ignore = "outer one"]
    fn same() {}

    mod inner {
        #[test]
        #[ignore = "inner one"]
        fn same() {}
    }

    #[test]
    #[ignore = "a reason
on two lines"]
    fn two_lines() {}

    ignored_test!(made_by_a_macro);

    #[test]
    fn runs() {}
}
"""


def ignoring(root: Path) -> Path:
    """A workspace with every kind of ignored test and doctest: `ign` (a library and an integration
    test) and `tool` (a binary)."""
    write(root / "Cargo.toml", '[workspace]\nmembers = ["ign", "tool"]\nresolver = "2"\n')
    write(
        root / "ign" / "Cargo.toml",
        '[package]\nname = "ign"\nversion = "0.1.0"\nedition = "2021"\n',
    )
    write(root / "ign" / "src" / "lib.rs", IGNORING_LIB)
    write(
        root / "ign" / "GUIDE.md",
        "# Guide\n\n```ignore\nin the included Markdown\n```\n\n```\nlet runs = 1;\n```\n",
    )
    write(
        root / "ign" / "tests" / "it.rs",
        '#[test]\n#[ignore = "integration: the net() of tests/it.rs"]\nfn net() {}\n',
    )
    write(
        root / "tool" / "Cargo.toml",
        '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
    )
    write(
        root / "tool" / "src" / "main.rs",
        'fn main() {}\n\n#[test]\n#[ignore = "a binary\'s test"]\nfn in_main() {}\n',
    )
    return root
