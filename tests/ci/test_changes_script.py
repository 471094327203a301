"""The `changes` job's script, run by bash in a real git repository: a docs-only change skips the
Rust jobs, a Rust-relevant one runs them, and an unknown base runs them too."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import git, write

from perf_tasks.ci.workflows import CI_FILE, Options, render

ZEROS = "0" * 40


def script(options: Options) -> str:
    job = yaml.safe_load(render(options)[CI_FILE])["jobs"]["changes"]
    return next(s for s in job["steps"] if s.get("id") == "filter")["run"]  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root / "Cargo.toml", "[workspace]\n")
    write(root / "README.md", "# r\n")
    git("init", "-q", cwd=root)
    git("add", ".", cwd=root)
    git("commit", "-q", "-m", "base", cwd=root)
    return root


def head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit(root: Path, path: str) -> None:
    write(root / path, "changed\n")
    git("add", ".", cwd=root)
    git("commit", "-q", "-m", f"change {path}", cwd=root)


def decide(root: Path, *, event: str, base: str, options: Options | None = None) -> str:
    output = root.parent / "github_output"
    output.write_text("")
    env = {
        **os.environ,
        "EVENT": event,
        "PR_BASE": base if event == "pull_request" else "",
        "PUSH_BEFORE": base if event == "push" else "",
        "GITHUB_OUTPUT": str(output),
    }
    # As GitHub runs a `run:` step on Linux: bash -e.
    subprocess.run(
        ["bash", "-e", "-c", script(options or Options(install="x"))],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return output.read_text()


@pytest.mark.parametrize(
    ("path", "rust"),
    [
        ("docs/guide.md", "false"),
        ("README.md", "false"),
        ("crates/a/src/lib.rs", "true"),
        ("crates/a/Cargo.toml", "true"),
        ("Cargo.lock", "true"),
        (".config/nextest.toml", "true"),
        (".github/workflows/ci.yml", "true"),
    ],
)
@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_only_rust_relevant_changes_run_the_rust_jobs(
    repo: Path, path: str, rust: str, event: str
) -> None:
    base = head(repo)
    commit(repo, path)
    assert decide(repo, event=event, base=base) == f"rust={rust}\n"


@pytest.mark.parametrize("base", ["", ZEROS, "f" * 40], ids=["manual", "new-branch", "unknown"])
def test_an_unknown_base_runs_the_rust_jobs(repo: Path, base: str) -> None:
    commit(repo, "docs/guide.md")
    assert decide(repo, event="push", base=base) == "rust=true\n"


def test_the_patterns_are_a_setting(repo: Path) -> None:
    base = head(repo)
    commit(repo, "docs/guide.md")
    options = Options(install="x", rust_paths=("docs/*",))
    assert decide(repo, event="pull_request", base=base, options=options) == "rust=true\n"


def test_one_rust_file_among_many_is_enough(repo: Path) -> None:
    base = head(repo)
    for path in ("docs/a.md", "src/main.rs", "docs/b.md"):
        commit(repo, path)
    assert decide(repo, event="pull_request", base=base) == "rust=true\n"


@pytest.mark.parametrize("name", ["src/données.rs", "src/tab\there.rs", 'src/q"uote.rs'])
def test_a_rust_file_with_an_unusual_name_runs_the_rust_jobs(repo: Path, name: str) -> None:
    base = head(repo)  # git quotes these names in --name-only unless -z: "src/donn\303\251es.rs"
    commit(repo, name)
    assert decide(repo, event="pull_request", base=base) == "rust=true\n"


def test_a_rust_file_moved_out_of_the_patterns_runs_the_rust_jobs(repo: Path) -> None:
    commit(repo, "src/old.rs")
    base = head(repo)
    (repo / "notes").mkdir()
    git("mv", "src/old.rs", "notes/old.txt", cwd=repo)
    git("commit", "-q", "-m", "move", cwd=repo)
    assert decide(repo, event="pull_request", base=base) == "rust=true\n"
