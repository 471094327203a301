"""Small builders for tests: a tiny cargo workspace with a hand-made target dir, git, du."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from perf_tasks.cargo.dirs import CACHEDIR_SIGNATURE

REPO_ROOT = Path(__file__).resolve().parents[1]
TAG = CACHEDIR_SIGNATURE + b"\n# This file is a cache directory tag created by cargo.\n"


def du(*paths: Path) -> int:
    out = subprocess.run(
        ["du", "-s", "-c", "-B1", *map(str, paths)], capture_output=True, text=True, check=True
    ).stdout
    return int(out.strip().splitlines()[-1].split()[0])


def write(path: Path, data: bytes | str = b"x" * 5000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def package(
    root: Path,
    name: str,
    lib: str = "pub fn one() -> u32 { 1 }\n",
    *,
    tests: Mapping[str, str] | None = None,
) -> Path:
    """A one-package cargo workspace to build for real: its manifest, `src/lib.rs` and
    `tests/<name>.rs` for each of `tests`."""
    write(root / "Cargo.toml", f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", lib)
    for test, text in (tests or {}).items():
        write(root / "tests" / f"{test}.rs", text)
    return root


def work_tree_files(
    root: Path, *, skip: tuple[str, ...] = (".git", "target")
) -> dict[str, tuple[int, int]]:
    """Every file under `root` (outside the `skip` folders) with its size and mtime: two of
    these compare equal when nothing was written there."""
    found = {}
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            st = os.stat(os.path.join(base, name))
            found[os.path.relpath(os.path.join(base, name), root)] = (st.st_size, st.st_mtime_ns)
    return found


def tiny_workspace(root: Path, *, tag: bool = True) -> Path:
    """A one-crate cargo workspace whose target dir looks like cargo's (no compile needed)."""
    write(root / "Cargo.toml", '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "pub fn one() -> u32 { 1 }\n")
    target = root / "target"
    if tag:
        write(target / "CACHEDIR.TAG", TAG)
    else:
        target.mkdir(parents=True)
    write(target / "debug" / ".cargo-lock", b"")
    write(target / "debug" / "deps" / "libtiny-0123abcd.rlib", b"r" * 40_000)
    write(target / "debug" / "deps" / "tiny-0123abcd.d", "deps")
    write(target / "debug" / "incremental" / "tiny-1x2y" / "s-abc" / "dep-graph.bin", b"g" * 9000)
    write(target / "debug" / ".fingerprint" / "tiny-0123abcd" / "lib-tiny", "fp")
    write(target / "doc" / "tiny" / "index.html", "<html>")
    write(target / "release" / ".cargo-lock", b"")
    write(target / "release" / "deps" / "libtiny-99.rlib", b"R" * 30_000)
    return root


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def age(path: Path, days: float) -> None:
    """Set the mtime of `path` and everything inside it to `days` ago."""
    import time

    when = time.time() - days * 86400
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*dirnames, *filenames]:
            os.utime(os.path.join(dirpath, name), (when, when), follow_symlinks=False)
    os.utime(path, (when, when))


def perf(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = 300,
    python: str = sys.executable,
) -> subprocess.CompletedProcess[str]:
    """The `perf-tasks` program as users run it: a real process, no terminal, output captured;
    `python` runs it (another one: a venv without the `[nextest]` extra)."""
    return subprocess.run(
        [python, "-m", "perf_tasks", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=timeout,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The run failed with `code` and said why in exactly one `error: ` line on stderr, with no
    traceback; that line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@contextlib.contextmanager
def held_elsewhere(script: str, *args: str) -> Iterator[int]:
    """Run `script` in another process until the block ends (its pid): the script prints `held`
    once it holds what it takes, then waits for its stdin to close."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc.pid
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def lock_held_elsewhere(root: Path) -> contextlib.AbstractContextManager[int]:
    """The run lock of `root`, held by another process until the block ends: within one process
    the lock is re-entrant, so a second holder must be another process."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom perf_tasks.runlock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.read()\n"
    )
    return held_elsewhere(script, str(root))


@contextlib.contextmanager
def one_core_busy() -> Iterator[None]:
    """Another process keeping one core busy for as long as the block runs (specificity tests:
    unchanged code must stay quiet on a busy machine)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        busy.kill()
        busy.wait()


def linter(name: str) -> str:
    """A linter of the test dependency group (actionlint, zizmor, shellcheck): missing, it skips
    the test locally and fails it in CI (`CI` set)."""
    import shutil

    import pytest

    path = shutil.which(name)
    if path is None:
        message = f"{name} is missing: it comes with the test dependency group"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def assert_linters_accept(files: list[Path], *, cwd: Path | None = None) -> None:
    """actionlint (with shellcheck, so that it checks the run scripts) and zizmor, offline,
    accept every one of `files`: no error, no finding."""
    linter("shellcheck")  # actionlint checks run scripts only when it finds shellcheck
    names = [str(f) for f in files]
    lint = subprocess.run(
        [linter("actionlint"), *names], capture_output=True, text=True, check=False, cwd=cwd
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = subprocess.run(
        [linter("zizmor"), "--offline", "--no-progress", *names],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert audit.returncode == 0 and "No findings to report" in audit.stdout, audit.stdout
