"""Sessions CI runs: `nox` (all default sessions), `nox -s tests-3.12`, `nox -s lint`."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)
DEV = nox.project.dependency_groups(PYPROJECT, "dev")


def install(session: nox.Session) -> None:
    session.install("-e", ".[nextest]", *DEV)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    install(session)
    session.run("pytest", *(session.posargs or ["tests/"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*[req for req in DEV if req.startswith("ruff")])
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on perf_tasks/."""
    install(session)
    session.run("mypy", *(session.posargs or []))


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks against du, rm -rf, hyperfine (not part of the test run)."""
    install(session)
    session.run("python", "-m", "benches", *session.posargs)
