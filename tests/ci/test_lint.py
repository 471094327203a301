"""The workflows ci.init writes, as GitHub's linters see them: actionlint (syntax, expressions,
and the run scripts through shellcheck) and zizmor (security: pins, injection, permissions,
credentials).

All three come with the test dependency group. A missing one skips locally, and fails in CI (`CI`
set).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import REPO_ROOT, assert_linters_accept, git, perf, write

from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE

DEMO = REPO_ROOT / "examples" / "demo-workspace"


@pytest.fixture(
    scope="module", params=["defaults", "settings", "pinned", "use-action", "shards-2", "shards-7"]
)
def workflows(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """ci.init run on a copy of the demo workspace: with the defaults, with every setting, and
    with the team's cargo profile, a pinned toolchain and a Cargo.lock that git ignores."""
    root = tmp_path_factory.mktemp(request.param) / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "docs"))
    if request.param == "settings":
        write(
            root / "perf-tasks.toml",
            '[baseline]\ndir = "perf"\n[ci]\ninstall = "./wheels/perf_tasks-0.1.0-py3-none-any.whl"\n'
            'python = "3.13"\nbranches = ["main", "release/1.x"]\ncron = "0 5 * * 1-5"\n'
            'rust_paths = ["*.rs", "crates/*", "Cargo.*"]\n'
            '[monitor]\ndir = "perf/monitor"\nchart = "trend.png"\n',
        )
    if request.param == "pinned":
        with (root / "Cargo.toml").open("a") as manifest:
            manifest.write('\n[profile.ci]\ninherits = "dev"\n')
        write(
            root / "rust-toolchain.toml",
            '[toolchain]\nchannel = "1.78.0"\ncomponents = ["clippy"]\ntargets = ["wasm32-wasip1"]\n',
        )
        write(root / ".gitignore", "/target\nCargo.lock\n")
        git("init", "-q", cwd=root)
    flags = {"use-action": ["--use-action", "example/perf-tasks@" + "b" * 40]}
    flags |= {"shards-2": ["--shards", "2"], "shards-7": ["--shards", "7"]}
    proc = perf("ci.init", "--root", str(root), *flags.get(request.param, []))
    assert proc.returncode == 0, proc.stderr
    return [root / CI_FILE, root / MONITORING_FILE]


def test_actionlint_and_zizmor_accept_them(workflows: list[Path]) -> None:
    assert_linters_accept(workflows)
