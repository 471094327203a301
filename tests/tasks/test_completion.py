"""Shell completion as the README installs it: `perf-tasks --print-completion-script bash`, sourced
by a real bash, completes task names and a task's flags (through `perf-tasks --complete`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import perf, write


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """`perf-tasks` on PATH, as an install puts it there: this Python, our code."""
    bin_dir = tmp_path / "bin"
    write(bin_dir / "perf-tasks", f'#!/bin/sh\nexec {sys.executable} -m perf_tasks "$@"\n')
    (bin_dir / "perf-tasks").chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def complete(script: Path, env: dict[str, str], *words: str) -> list[str]:
    """What bash offers for the command line `words` (the last one being completed), through the
    function the script registered with `complete`."""
    if shutil.which("bash") is None:
        pytest.skip("bash is missing")
    line = " ".join(f"'{w}'" for w in words)
    program = f"""
source {script}
spec=$(complete -p perf-tasks)
function=${{spec#*-F }}
function=${{function%% *}}
COMP_WORDS=({line})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
"$function" perf-tasks "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", program],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.split("\n") if w]


@pytest.fixture
def script(tmp_path: Path) -> Path:
    proc = perf("--print-completion-script", "bash")
    assert proc.returncode == 0, proc.stderr
    assert "complete -F" in proc.stdout
    return write(tmp_path / "perf-tasks.bash", proc.stdout)


def test_bash_completes_task_names(script: Path, on_path: dict[str, str]) -> None:
    assert complete(script, on_path, "perf-tasks", "cl") == [
        "clean.artifacts",
        "clean.cache",
        "clean.nuke",
        "clean.routine",
        "clean",
        "clean.runs",
        "clean.target",
    ]
    assert complete(script, on_path, "perf-tasks", "ini") == ["init.workspace", "init"]
    everything = complete(script, on_path, "perf-tasks", "")
    assert {"gate", "monitor", "baseline", "ci.init", "init"} <= set(everything)


def test_bash_completes_a_tasks_flags(script: Path, on_path: dict[str, str]) -> None:
    flags = complete(script, on_path, "perf-tasks", "init", "--")
    assert {"--dry-run", "--force", "--gitignore", "--json", "--root"} <= set(flags)
    assert complete(script, on_path, "perf-tasks", "clean.nuke", "--dr") == ["--dry-run"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_the_other_shells_get_a_script_for_perf_tasks(shell: str) -> None:
    proc = perf("--print-completion-script", shell)
    assert proc.returncode == 0, proc.stderr
    assert "__main__" not in proc.stdout  # however the program was started
    registered = {
        "zsh": "compctl -K _complete_perf-tasks + -f perf-tasks\n",
        "fish": "complete --command perf-tasks ",
    }
    assert registered[shell] in proc.stdout
    assert "--complete --" in proc.stdout


def test_the_readme_installs_each_shells_script() -> None:
    from helpers import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"perf-tasks --print-completion-script {shell}" in readme
