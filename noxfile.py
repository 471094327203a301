"""Sessions CI runs: `nox` (all default sessions), `nox -s tests-3.12`, `nox -s lint`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

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
    """The test suite on one Python, less the tests that measure real builds (integration), in two
    processes: these tests time nothing, and each has its own folders (`tmp_path`)."""
    session.install("-e", ".[nextest,chart,audit,cache]", *group("test"))
    args = session.posargs or ["-n", "2", "tests/", "-m", "not slow"]
    session.run("pytest", "--durations=10", *args)


@nox.session(python=PYTHONS[-1])
def integration(session: nox.Session) -> None:
    """The tests that build and measure real cargo workspaces (marker `slow`), on the newest Python.

    They take seconds each (builds, timed runs, signals, same-time A/B pairs). The Python code they
    drive is the same on every version, and the fast tests cover it on each, so they run once, and
    in one process: a verdict measured beside another test's build would measure that build.
    """
    session.install("-e", ".[nextest,chart,audit,cache]", *group("test"))
    args = session.posargs or ["tests/", "-m", "slow and not package"]
    session.run("pytest", "--durations=10", *args)


@nox.session
def package(session: nox.Session) -> None:
    """Build the sdist and wheel, twine-check them, install the wheel (pipx, uv, pip), run it."""
    session.install("-e", ".", *group("test"), *group("package"))
    # absolute: pip, pipx and uv take no relative file URI
    dist = Path(session.create_tmp()).resolve() / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # the backend is in the session's venv: the build itself needs no index
    session.run("python", "-m", "build", "--no-isolation", "--outdir", str(dist))
    session.run("twine", "check", "--strict", *sorted(str(p) for p in dist.iterdir()))
    args = session.posargs or ["tests/packaging"]
    # outside the clone: the installed program must not be found under the source tree
    outside = tempfile.mkdtemp(prefix="perf-tasks-package-")
    session.run(
        "pytest", "-m", "package", "--basetemp", outside, *args, env={"PERF_TASKS_DIST": str(dist)}
    )


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
