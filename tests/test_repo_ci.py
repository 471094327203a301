"""This repo's own CI workflow: it parses, actionlint accepts it, and it runs the nox sessions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def load() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def run_lines(job: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_actionlint_accepts_it() -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.fail("actionlint is missing: it comes with the test dependency group")
    proc = subprocess.run([actionlint, str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_test_matrix_comes_from_nox_not_a_second_list() -> None:
    jobs = load()["jobs"]
    assert "nox --list --json -s tests" in run_lines(jobs["sessions"])
    matrix = jobs["tests"]["strategy"]["matrix"]
    assert matrix["python"] == "${{ fromJSON(needs.sessions.outputs.pythons) }}"
    assert 'nox -s "tests-$PYTHON"' in run_lines(jobs["tests"])


def test_the_integration_session_runs_on_the_python_nox_names() -> None:
    jobs = load()["jobs"]
    assert "nox --list --json -s integration" in run_lines(jobs["sessions"])
    job = jobs["integration"]
    setup = next(s for s in job["steps"] if "setup-python" in s.get("uses", ""))
    assert setup["with"]["python-version"] == "${{ needs.sessions.outputs.integration }}"
    assert "nox -s integration" in run_lines(job)


def test_lint_typecheck_and_package_run_as_nox_sessions() -> None:
    checks = load()["jobs"]["checks"]
    assert checks["strategy"]["matrix"]["session"] == ["lint", "typecheck", "package"]
    assert 'nox -s "$SESSION"' in run_lines(checks)


def test_pip_is_cached_and_actions_are_pinned_to_a_commit() -> None:
    jobs = load()["jobs"]
    for name in ("tests", "integration", "checks"):
        setup = next(s for s in jobs[name]["steps"] if "setup-python" in s.get("uses", ""))
        assert setup["with"]["cache"] == "pip"
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                ref = step["uses"].split("@", 1)[1]
                assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), step["uses"]


def test_permissions_are_read_only() -> None:
    assert load()["permissions"] == {"contents": "read"}


def test_the_noxfile_covers_every_python_of_pyproject() -> None:
    text = (REPO_ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert "python_versions(PYPROJECT)" in text
    assert (
        Path(REPO_ROOT / "pyproject.toml").read_text().count("Programming Language :: Python :: 3.")
        == 4
    )
