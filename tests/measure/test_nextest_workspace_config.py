"""The workspace's own configuration never hides an outcome from the tool's nextest runs (verify,
the baseline): retries (per profile, per test, from the environment), a default filter, and a cargo
alias `nextest` that would run something else. Real cargo and nextest on a one-package workspace,
built once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import copy_tree
from helpers import git, package, perf, write

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

RECORD = Path("docs") / "performance" / "verify.json"
# Fails its first attempt in a workspace, passes every later one: what a retry turns into "flaky".
TESTS = """#[test]
fn fine() {}

#[test]
fn fails_once() {
    let marker = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("attempted");
    if !marker.exists() {
        std::fs::write(&marker, "").unwrap();
        panic!("first attempt");
    }
}
"""
# A binary of the workspace: a cargo alias that runs it leaves its mark.
MAIN = """fn main() {
    let mark = std::env::current_dir().unwrap().join("hijacked");
    std::fs::write(mark, "the workspace's binary ran").unwrap();
}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = package(tmp_path_factory.mktemp("cfg") / "ws", "flk", tests={"t": TESTS})
    write(root / "src" / "main.rs", MAIN)
    write(root / ".gitignore", "/target\n/attempted\n/hijacked\n")
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "init", cwd=root)
    subprocess.run(
        ["cargo", "test", "--no-run", "--quiet"], cwd=root, check=True, capture_output=True
    )
    return root


@pytest.fixture
def ws(built: Path, tmp_path: Path) -> Path:
    return copy_tree(built, tmp_path / "ws")


def outcomes(ws: Path) -> dict[str, str]:
    data = json.loads((ws / RECORD).read_text())
    return {t["name"]: t["outcome"] for t in data["tests"]}


@pytest.mark.parametrize(
    ("nextest_toml", "env"),
    [
        # the case: a per-test override
        ("[[profile.default.overrides]]\nfilter = 'all()'\nretries = 2\n", {}),
        ("", {"NEXTEST_RETRIES": "2"}),
        # variants: an override of one test, its retries as a table, flaky results passing
        (
            '[profile.default]\nflaky-result = "pass"\n[[profile.default.overrides]]\n'
            "filter = 'test(fails_once)'\n"
            'retries = { backoff = "fixed", count = 2, delay = "1ms" }\n',
            {},
        ),
        # a default filter that would leave the failing test out of the list and the run
        ("[profile.default]\ndefault-filter = 'not test(fails_once)'\n", {}),
        ("", {"NEXTEST_FLAKY_RESULT": "pass", "NEXTEST_RETRIES": "1"}),
    ],
    ids=[
        "override-retries",
        "NEXTEST_RETRIES",
        "override-retries-table",
        "default-filter",
        "env-pass",
    ],
)
def test_a_test_that_fails_its_only_attempt_is_recorded_failed(
    ws: Path, nextest_toml: str, env: dict[str, str]
) -> None:
    if nextest_toml:
        write(ws / ".config" / "nextest.toml", nextest_toml)
    proc = perf("verify.record", "--root", str(ws), env=env)
    assert proc.returncode == 0, proc.stderr
    assert outcomes(ws) == {"fine": "passed", "fails_once": "failed"}, proc.stdout


@pytest.mark.parametrize("where", ["include", "env", "parent"])
def test_an_alias_nextest_does_not_intercept_the_tools_runs(ws: Path, where: str) -> None:
    alias = "run --quiet --bin flk --"
    env: dict[str, str] = {}
    if where == "include":  # the spelling: the alias in a file the config includes
        write(ws / ".cargo" / "config.toml", 'include = ["extra.toml"]\n')
        write(ws / ".cargo" / "extra.toml", f'[alias]\nnextest = "{alias}"\n')
    elif where == "env":
        env["CARGO_ALIAS_NEXTEST"] = alias
    else:
        write(ws.parent / ".cargo" / "config.toml", f'[alias]\nnextest = "{alias}"\n')
    write(ws / ".config" / "nextest.toml", "[profile.default]\nretries = 0\n")
    proc = perf("verify.record", "--root", str(ws), env=env)
    assert not (ws / "hijacked").exists(), "the alias ran the workspace's binary"
    assert proc.returncode == 0, proc.stderr
    assert outcomes(ws) == {"fine": "passed", "fails_once": "failed"}


@pytest.mark.parametrize(
    ("nextest_toml", "env"),
    [
        # the baseline's own profile (`ci`), and the default one it inherits from
        ("[profile.ci]\ndefault-filter = 'not test(fails_once)'\n", {"NEXTEST_RETRIES": "2"}),
        (
            "[profile.default]\ndefault-filter = 'not test(fails_once)'\n"
            "[[profile.default.overrides]]\nfilter = 'all()'\nretries = 2\n",
            {},
        ),
    ],
    ids=["ci-default-filter+NEXTEST_RETRIES", "default-filter+override-retries"],
)
def test_the_baseline_records_the_failure_too(
    ws: Path, nextest_toml: str, env: dict[str, str]
) -> None:
    write(ws / ".config" / "nextest.toml", nextest_toml)
    proc = perf("baseline", "--runs", "1", "--warmup", "0", "--root", str(ws), "--json", env=env)
    assert proc.returncode == 1, proc.stderr  # a failed test
    tests = json.loads(proc.stdout)["tests"]
    assert (tests["passed"], tests["failed"], tests["flaky"]) == (1, 1, 0), tests


def test_an_alias_nextest_does_not_intercept_the_baseline(ws: Path) -> None:
    write(ws / ".cargo" / "config.toml", 'include = ["extra.toml"]\n')
    write(ws / ".cargo" / "extra.toml", '[alias]\nnextest = "run --quiet --bin flk --"\n')
    proc = perf("baseline", "--runs", "1", "--warmup", "0", "--root", str(ws), "--json")
    assert not (ws / "hijacked").exists(), "the alias ran the workspace's binary"
    assert proc.returncode == 1, proc.stderr  # the test that fails its one attempt
    data = json.loads(proc.stdout)
    assert data["tests"]["runner"] == "nextest" and data["tests"]["failed"] == 1
    assert data["environment"]["nextest"].startswith("cargo-nextest 0.9")
