"""Sessions CI runs: `nox` (all default sessions), `nox -s tests-3.12`, `nox -s lint`."""

from __future__ import annotations

import os
import shutil
import subprocess

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)


def group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[nextest,chart]", *group("test"))
    args = session.posargs or ["tests/"]
    if not session.posargs and session.python != PYTHONS[-1]:
        # The same-time A/B tests measure real builds for half a minute each: their Python code
        # is version-neutral, so the newest Python runs them and the others skip them.
        args = [*args, "-m", "not slow"]
    session.run("pytest", "--durations=10", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on perf_tasks/."""
    session.install("-e", ".[chart]", *group("typecheck"))
    session.run("mypy", *session.posargs)


@nox.session(python=False)
def pythons(session: nox.Session) -> None:
    """Say which Pythons the tests session could not find (and so skipped)."""
    missing = [v for v in PYTHONS if not _runs(f"python{v}")]
    if not missing:
        session.log(f"tests ran on every Python: {', '.join(PYTHONS)}")
        return
    message = (
        f"tests did not run on Python {', '.join(missing)} (not found): install them, or with "
        "pyenv set PYENV_VERSION to list them all (see the README)"
    )
    if os.environ.get("CI"):  # as nox itself does: in CI a missing interpreter is an error
        session.error(message)
    session.warn(message)


def _runs(program: str) -> bool:
    """Whether `program` runs: a pyenv shim exists for every version, but runs only some."""
    if shutil.which(program) is None:
        return False
    probe = subprocess.run([program, "-c", ""], capture_output=True, check=False)
    return probe.returncode == 0


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against du, rm -rf, hyperfine (not part of the test run)."""
    session.install("-e", ".[nextest]", *group("test"))
    session.run("python", "-m", "benches", *session.posargs)
