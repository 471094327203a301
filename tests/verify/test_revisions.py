"""`verify.check --before REF [--after REF]` on a tiny crate with real git commits: the tests of
two revisions compared in scratch worktrees, the work tree left exactly as it was."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import git, package, perf, work_tree_files

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

LIB = """//! A tiny crate whose tests change between two commits.

/// Doubles.
///
/// ```
/// assert_eq!(vtiny::double(2), 4);
/// ```
pub fn double(x: u32) -> u32 {
    x * 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn doubles_one() {
        assert_eq!(super::double(1), 2);
    }

    #[test]
    fn doubles_zero() {
        assert_eq!(super::double(0), 0);
    }
}
"""
API = """#[test]
fn doubles_three() {
    assert_eq!(vtiny::double(3), 6);
}

#[test]
fn doubles_ten() {
    assert_eq!(vtiny::double(10), 20);
}
"""


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture(scope="module")
def crate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two commits: the second deletes a unit test, makes an integration test #[ignore], makes
    another one fail, and adds a comment above the doctest (which moves its line)."""
    root = package(
        tmp_path_factory.mktemp("verify-rev") / "vtiny", "vtiny", LIB, tests={"api": API}
    )
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    lib = edit(
        LIB,
        "    #[test]\n    fn doubles_zero() {\n        assert_eq!(super::double(0), 0);\n    }\n",
        "",
    )
    lib = edit(
        lib, "/// Doubles.", "// A comment: the doctest below moves down a line.\n/// Doubles."
    )
    api = edit(API, "#[test]\nfn doubles_three", "#[test]\n#[ignore]\nfn doubles_three")
    api = edit(api, "double(10), 20", "double(10), 21")
    (root / "src" / "lib.rs").write_text(lib)
    (root / "tests" / "api.rs").write_text(api)
    git("commit", "-qam", "change the tests", cwd=root)
    return root


def test_two_commits_differ_by_a_deleted_an_ignored_and_a_failing_test(
    crate: Path, tmp_path: Path
) -> None:
    scratch = {"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")}
    before = work_tree_files(crate, skip=(".git",))
    proc = perf(
        "verify.check", "--root", str(crate), "--before", "HEAD~1", "--after", "HEAD", env=scratch
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-5:-1] == [
        "change           test                       before  after",
        "disappeared      vtiny tests::doubles_zero  passed  -",
        "changed outcome  vtiny::api doubles_ten     passed  failed",
        "became ignored   vtiny::api doubles_three   passed  ignored",
    ]
    assert lines[-1].startswith("3 tests differ between HEAD~1 (") and " and HEAD (" in lines[-1]

    proc = perf(
        "verify.check",
        "--root",
        str(crate),
        "--before",
        "HEAD~1",
        "--after",
        "HEAD",
        "--json",
        env=scratch,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False and data["record"] is None
    assert data["before"].startswith("HEAD~1 (") and data["after"].startswith("HEAD (")
    assert data["tests"] == {"before": 5, "after": 4}
    # The doctest moved a line and is not among them: it is the same test.
    assert {
        (d["binary"], d["name"], d["change"], d["before"], d["after"]) for d in data["differences"]
    } == {
        ("vtiny", "tests::doubles_zero", "disappeared", "passed", None),
        ("vtiny::api", "doubles_three", "became ignored", "passed", "ignored"),
        ("vtiny::api", "doubles_ten", "changed outcome", "passed", "failed"),
    }
    after = work_tree_files(crate, skip=(".git",))
    after.pop(".perf-tasks.lock", None)
    assert after == before  # not a byte, not an mtime: both sides built in scratch dirs
    assert not (crate / "target").exists()


def test_before_alone_compares_with_the_work_tree_and_leaves_it_alone(
    crate: Path, tmp_path: Path
) -> None:
    # Only a comment changes in the work tree: the doctest moves, and nothing differs.
    lib = crate / "src" / "lib.rs"
    lib.write_text("// Another comment.\n" + lib.read_text())
    try:
        before = work_tree_files(crate, skip=(".git",))
        proc = perf(
            "verify.check",
            "--root",
            str(crate),
            "--before",
            "HEAD",
            env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        )
        after = work_tree_files(crate, skip=(".git",))
    finally:
        git("checkout", "--", ".", cwd=crate)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("same tests, same outcomes in HEAD (")
    assert proc.stdout.splitlines()[-1].endswith(
        " and the work tree: 4 tests (2 passed, 1 failed, 1 ignored)"
    )
    after.pop(".perf-tasks.lock", None)
    before.pop(".perf-tasks.lock", None)  # the run lock, made by the test above
    assert after == before
    assert not (crate / "target").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--before", "no-such-branch"], "'no-such-branch' is not a commit of the repository"),
        (["--after", "HEAD"], "--after needs --before"),
        (["--before", "HEAD", "--record", "x.json"], "leave out --record"),
    ],
)
def test_bad_revisions_are_one_line_and_exit_2(crate: Path, args: list[str], says: str) -> None:
    proc = perf("verify.check", "--root", str(crate), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines


def test_without_nextest_before_is_refused_before_any_checkout(
    crate: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from measure.test_baseline_cargo import perf_with_nextest as perf_with
    from measure.test_baseline_cargo import python_without_nextest

    scratch = tmp_path_factory.mktemp("scratch")
    path = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not Path(d, "cargo-nextest").exists()
    ]
    proc = perf_with(
        "verify.check",
        "--root",
        str(crate),
        "--before",
        "HEAD~1",
        "--json",
        env={"PATH": os.pathsep.join(path), "PERF_TASKS_SCRATCH": str(scratch)},
        python=python_without_nextest(tmp_path_factory.mktemp("py") / "venv"),
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["error"]["kind"] == "tool_missing"
    assert "cargo-nextest is not installed" in proc.stderr
    assert not list(scratch.glob("*/tree-*"))  # nothing checked out, nothing built
