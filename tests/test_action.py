"""This repo's composite GitHub action (action.yml) and the workflow that uses it: actionlint and
zizmor accept both, inputs reach the scripts only through env, and the scripts themselves, run by a
real bash as the runner runs them: the task's arguments are split as words and never expanded, its
output goes where `stdout` says, and a second use in a job installs nothing again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import REPO_ROOT, linter, one_line_error, write

ACTION = REPO_ROOT / "action.yml"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "action.yml"


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def step(name: str) -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("name", "").startswith(name))


def test_actionlint_accepts_the_workflow_and_its_use_of_the_action() -> None:
    linter("shellcheck")  # actionlint checks run scripts only when it finds shellcheck
    # from the root, so that actionlint reads ./action.yml and checks the inputs given to it
    proc = subprocess.run(
        [linter("actionlint"), str(WORKFLOW.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing_in_either() -> None:
    proc = subprocess.run(
        [linter("zizmor"), "--offline", "--no-progress", str(ACTION), str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout


def test_inputs_reach_the_scripts_through_env_only() -> None:
    steps = action()["runs"]["steps"]
    assert action()["runs"]["using"] == "composite"
    for s in steps:
        assert "${{" not in s.get("run", ""), s
        if "uses" in s:
            ref = s["uses"].split("@", 1)[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), s["uses"]
    assert step("perf-tasks")["env"] == {
        "TASK": "${{ inputs.task }}",
        "ARGS": "${{ inputs.args }}",
        "STDOUT": "${{ inputs.stdout }}",
    }


def test_the_workflow_uses_this_checkout() -> None:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = data["jobs"].values()
    used = [s for s in job["steps"] if s.get("uses") == "./"]
    assert len(used) == 2
    assert {s["with"]["task"] for s in used} == {"clean", "init"}
    assert data["permissions"] == {"contents": "read"}


# ----------------------------------------------------------------------- the scripts, in bash


def bash(script: str, *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A `run:` of the action as the runner runs a `shell: bash` step."""
    path = cwd / ".step.sh"
    path.write_text(script, encoding="utf-8")
    try:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        path.unlink()


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """`python` and `perf-tasks` on PATH as setup-python leaves them: this Python, our code."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    write(bin_dir / "perf-tasks", f'#!/bin/sh\nexec {sys.executable} -m perf_tasks "$@"\n')
    (bin_dir / "perf-tasks").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path)}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "my ws"
    write(root / "Cargo.toml", '[package]\nname = "ws"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "")
    return root


def run_task(
    on_path: dict[str, str], cwd: Path, task: str, args: str, stdout: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**on_path, "TASK": task, "ARGS": args, "STDOUT": stdout}
    return bash(step("perf-tasks")["run"], env=env, cwd=cwd)


def test_arguments_are_words_as_a_shell_splits_them(on_path: dict[str, str], ws: Path) -> None:
    proc = run_task(on_path, ws.parent, "init", f"--dry-run --root '{ws.name}'")
    assert proc.returncode == 0, proc.stderr
    assert "dry run: would create perf-tasks.toml" in proc.stdout
    assert not (ws / "perf-tasks.toml").exists()


@pytest.mark.parametrize(
    "args", ["--root $HOME", "--root `touch${IFS}pwned`", "--root $(touch${IFS}pwned)"]
)
def test_arguments_are_never_expanded(on_path: dict[str, str], ws: Path, args: str) -> None:
    proc = run_task(on_path, ws, "init", args)
    line = one_line_error(proc)
    assert "is not a directory" in line
    assert args.split(" ", 1)[1] in line  # the word as given, not what a shell would make of it
    assert not (ws / "pwned").exists()
    assert not (ws / "perf-tasks.toml").exists()


def test_an_unbalanced_quote_is_one_error_line(on_path: dict[str, str], ws: Path) -> None:
    proc = run_task(on_path, ws, "init", "--root 'x")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "::error::args: No closing quotation"


def test_stdout_goes_to_the_file_and_the_task_runs_in_root(
    on_path: dict[str, str], ws: Path
) -> None:
    proc = run_task(on_path, ws, "init", "--json", stdout="out/init.json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert '"ok": true' in (ws / "out" / "init.json").read_text()
    assert (ws / "perf-tasks.toml").is_file()


def test_a_failing_task_fails_the_step_with_its_code(on_path: dict[str, str], ws: Path) -> None:
    write(ws / "perf-tasks.toml", "[runs]\n")
    proc = run_task(on_path, ws, "init", "")
    assert proc.returncode == 2
    assert run_task(on_path, ws, "no.such.task", "").returncode == 2


def test_install_runs_once_per_spec_and_python_and_refuses_odd_extras(tmp_path: Path) -> None:
    """The install step with `python`s that log what they were asked: a second use with the same
    extras and Python installs nothing; other extras, or another Python (another python-version),
    install again; a word that is not an extra is refused."""
    log = tmp_path / "pip.log"
    paths = {}
    for version in ("3.12", "3.13"):
        bin_dir = tmp_path / version
        write(bin_dir / "python", f'#!/bin/sh\necho {version} "$@" >> {log}\n')
        write(bin_dir / "perf-tasks", "#!/bin/sh\necho perf-tasks 0.1.0\n")
        for name in ("python", "perf-tasks"):
            (bin_dir / name).chmod(0o755)
        paths[version] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    env = {"RUNNER_TEMP": str(tmp_path), "GITHUB_ACTION_PATH": "/actions/perf-tasks"}
    script = step("install")["run"]
    for extras, version in (
        ("", "3.12"),
        ("", "3.12"),
        ("chart", "3.12"),
        ("chart", "3.12"),
        ("chart", "3.13"),
    ):
        proc = bash(script, env={**env, "EXTRAS": extras, "PATH": paths[version]}, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.endswith("perf-tasks 0.1.0\n")
    assert log.read_text().splitlines() == [
        "3.12 -m pip install --quiet /actions/perf-tasks[nextest]",
        "3.12 -m pip install --quiet /actions/perf-tasks[nextest,chart]",
        "3.13 -m pip install --quiet /actions/perf-tasks[nextest,chart]",
    ]
    bad = bash(
        script,
        env={**env, "EXTRAS": "chart] @ https://example.com/x.whl", "PATH": paths["3.12"]},
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert "::error::extras" in bad.stdout
