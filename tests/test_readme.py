"""The README's set-up, word for word: its first command installs every extra a main feature needs
(cargo-nextest for the baseline, matplotlib for the monitor's chart), its second runs the tests as
`.ci/run` does, and the test sessions install what the first command installs."""

from __future__ import annotations

import re
import shlex

import tomlkit
from helpers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    """The lines of the README's first `sh` block, comments cut."""
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block, "the README has no sh block"
    return [line.split("  #")[0].strip() for line in block.group(1).split("\n") if line.strip()]


def extras_of(words: list[str]) -> set[str]:
    (spec,) = [w for w in words if w.startswith(".[")]
    return set(spec[2:-1].split(","))


def test_the_first_command_installs_every_extra_then_runs_the_main_job() -> None:
    first, _ = setup_commands()[:2]
    install, main_job = (shlex.split(part) for part in first.split("&&"))
    assert install[:5] == ["python3", "-m", "pip", "install", "-e"]
    pyproject = tomlkit.parse((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")).unwrap()
    extras = set(pyproject["project"]["optional-dependencies"])
    assert {"nextest", "chart"} <= extras
    assert extras_of(install) == extras  # `monitor` draws its chart right away
    assert main_job == ["python3", "-m", "invoke", "baseline"]


def test_the_second_command_runs_the_tests_as_ci_does() -> None:
    second = setup_commands()[1]
    assert second == "python3 -m pip install nox && python3 -m nox"
    ci_run = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci_run.rstrip().splitlines()[-1] == second


def test_the_test_sessions_install_what_the_readme_installs() -> None:
    first = setup_commands()[0]
    readme_extras = extras_of(shlex.split(first.split("&&")[0]))
    noxfile = (REPO_ROOT / "noxfile.py").read_text(encoding="utf-8")
    for session in ("tests", "integration"):
        body = noxfile.split(f"def {session}(")[1].split("\ndef ")[0]
        (spec,) = re.findall(r'"-e", "(\.\[[^"]*\])"', body)
        assert extras_of([spec]) >= readme_extras, session
