"""Deep trees count in full (paths longer than PATH_MAX), and what cannot be read is reported."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import du

from perf_tasks.fs import scan as scan_mod
from perf_tasks.fs.scan import scan

LEVELS = 40
NAME_LEN = 200
NOBODY = 65534


def make_deep(root: Path) -> list[str]:
    """LEVELS folders of NAME_LEN-character names under `root`, each beside a small folder with a
    file, and a few files at the bottom (one with a second link); made through dir fds since the
    path outgrows PATH_MAX. Returns the names from `root` down."""
    names = [f"{i:03}" + "d" * (NAME_LEN - 3) for i in range(LEVELS)]
    root.mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            os.mkdir("side", dir_fd=fd)
            side = os.open("side/f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(side, b"s" * 3000)
            os.close(side)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        for i, size in enumerate((70_000, 5000, 123_456)):
            out = os.open(f"f{i}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(out, b"z" * size)
            os.close(out)
        os.link("f0", "f0.link", src_dir_fd=fd, dst_dir_fd=fd)
    finally:
        os.close(fd)
    return names


def blocks_of_dirs(root: Path, names: list[str]) -> list[int]:
    """Allocated bytes of each folder of the chain, from the top down."""
    sizes = []
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            sizes.append(os.stat(name, dir_fd=fd, follow_symlinks=False).st_blocks * 512)
            inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    return sizes


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("deep") / "t"
    names = make_deep(root)
    assert len(os.fsencode(os.path.join(root, *names))) > 8000
    return root, names


@pytest.mark.parametrize("max_open", [64, 3])
def test_a_tree_deeper_than_path_max_counts_like_du(
    deep: tuple[Path, list[str]], max_open: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = deep
    monkeypatch.setattr(scan_mod, "_MAX_OPEN_DIRS", max_open)  # 3: let fds go and reopen them
    fds = len(os.listdir("/proc/self/fd"))
    result = scan([root])
    assert len(os.listdir("/proc/self/fd")) == fds  # none left open
    assert result.errors == ()
    assert result.of(root).bytes == du(root)
    assert result.of(root).files == 4 + LEVELS
    assert result.freed([root]) == du(root)


def test_the_parallel_walk_of_a_deep_tree(
    deep: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = deep
    monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 1)
    monkeypatch.setattr(scan_mod, "_WORKERS", 2)
    monkeypatch.setattr(scan_mod, "_MAX_LIST_DEPTH", 30)  # the parent lists past PATH_MAX too
    result = scan([root])
    assert result.errors == ()
    assert result.of(root).bytes == du(root)


def test_a_top_path_longer_than_path_max(deep: tuple[Path, list[str]]) -> None:
    root, names = deep
    k = 30
    top = Path(os.path.join(root, *names[:k]))
    assert len(os.fsencode(top)) > 4096
    # du cannot take that path: below level k is the whole tree minus the levels above (a folder
    # and a side folder with one file each)
    side = os.lstat(root / "side").st_blocks * 512 + os.lstat(root / "side" / "f").st_blocks * 512
    above = sum(blocks_of_dirs(root, names)[: k - 1]) + os.lstat(root).st_blocks * 512 + k * side
    expected = du(root) - above
    result = scan([top, Path(os.path.join(top, "nope"))])
    assert result.errors == ()
    assert result.of(top).bytes == expected
    assert result.of(top).files == 4 + LEVELS - k


# --------------------------------------------------------------------------------- errors


@contextlib.contextmanager
def world_readable_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to its owner)."""
    base = Path(tempfile.mkdtemp(prefix="perf-tasks-scan-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        for dirpath, _, _ in os.walk(base):
            os.chmod(dirpath, 0o755)
        shutil.rmtree(base)


def scan_and_du(paths: list[Path]) -> dict[str, object]:
    """Our scan and du's total, as this user; du exits non-zero on what it cannot read."""
    result = scan(paths)
    proc = subprocess.run(
        ["du", "-s", "-c", "-B1", *map(str, paths)], check=False, capture_output=True, text=True
    )
    return {
        "bytes": result.total().bytes,
        "errors": [list(e) for e in result.errors],
        "du": int(proc.stdout.strip().splitlines()[-1].split()[0]),
    }


def scan_as_nobody(paths: list[Path]) -> dict[str, object]:
    """`scan_and_du` in a child that dropped root, where a chmod 000 folder stops it too."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            with os.fdopen(write_fd, "w") as pipe:
                json.dump(scan_and_du(paths), pipe)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and data, "the child scanning as nobody failed"
    loaded: dict[str, object] = json.loads(data)
    return loaded


def test_an_unreadable_folder_is_reported_and_the_rest_counted() -> None:
    with world_readable_tmp() as base:
        top = base / "t"
        for i in range(3):
            (top / f"ok{i}").mkdir(parents=True)
            (top / f"ok{i}" / "f").write_bytes(b"o" * 20_000)
        locked = top / "ok1" / "locked"
        locked.mkdir()
        (locked / "secret").write_bytes(b"s" * 50_000)
        locked.chmod(0o000)
        if os.geteuid() != 0:
            got = scan_and_du([top])
        elif hasattr(os, "setuid"):
            # root reads a chmod 000 folder: drop to nobody, whom the mode stops
            got = scan_as_nobody([top])
        else:
            pytest.skip("root reads a chmod 000 folder and cannot drop to another user here")
        assert got["errors"] == [[str(locked), "Permission denied"]]
        assert got["bytes"] == got["du"]  # du, as the same user, skips the same folder
