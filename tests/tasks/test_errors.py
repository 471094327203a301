"""Every failure is one clear line with the right exit code: the real CLI on real folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import du, one_line_error, perf, tiny_workspace, write


@pytest.mark.parametrize(
    "value",
    [
        '"1' + "0" * 400 + ' B"',  # a 400-digit size: past a float's range
        "1" + "0" * 400,  # a bare TOML integer of 400 digits
        '"1e999 GB"',
        "inf",
        "nan",
        '"-5 GB"',
        "-5",
    ],
)
def test_an_absurd_budget_is_one_line_exit_2(tmp_path: Path, value: str) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "perf-tasks.toml", f"[budgets]\ntarget = {value}\n")
    line = one_line_error(perf("clean.target", "--dry-run", "--root", str(root)), 2)
    assert "budgets.target" in line and len(line) < 300


@pytest.mark.parametrize(
    "pyproject",
    [
        "[tool]\nperf-tasks = 5\n",  # the tool's table is a number
        "tool = 5\n",
        'tool = "perf-tasks"\n',
        '[tool]\nperf-tasks = "runs"\n',
        "[tool]\nperf-tasks = [1, 2]\n",
        "[[tool.perf-tasks]]\nruns = 1\n",
    ],
)
def test_a_pyproject_table_of_the_wrong_shape_is_one_line_exit_2(
    tmp_path: Path, pyproject: str
) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "pyproject.toml", pyproject)
    line = one_line_error(perf("clean.runs", "--dry-run", "--root", str(root)), 2)
    assert "pyproject.toml" in line and "must be a table" in line


def test_a_pyproject_of_other_tools_only_means_defaults(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    proc = perf("clean.runs", "--dry-run", "--root", str(root))
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------------------- run lock


def chattr(flag: str, *paths: Path) -> None:
    """`chattr +i`: even root can then neither write the file nor make entries in the folder."""
    proc = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True, check=False)
    if proc.returncode:
        pytest.skip("this file system cannot make a file immutable")


def legacy_lock(root: Path, tmpdir: Path) -> Path:
    """Where versions before the workspace lock put theirs: the temp dir, named after the root."""
    import hashlib

    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return tmpdir / f"perf-tasks-{digest}.lock"


def test_the_run_lock_is_one_reused_file_in_the_workspace_root(tmp_path: Path) -> None:
    from perf_tasks.runlock import LOCK_NAME

    root = tiny_workspace(tmp_path / "ws")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {"TMPDIR": str(tmpdir), "XDG_RUNTIME_DIR": ""}  # as under cron
    assert perf("clean.nuke", "--yes", "--root", str(root), env=env).returncode == 0
    lock = root / LOCK_NAME
    inode = lock.stat().st_ino
    proc = perf("clean.nuke", "--yes", "--root", str(root), env=env)
    assert proc.returncode == 0, proc.stderr
    assert lock.stat().st_ino == inode, "nuke kept the lock, and the second run reused it"
    assert list(tmpdir.iterdir()) == [], "nothing piles up in the temp dir"


def test_a_lock_someone_else_made_in_tmp_is_no_traceback(tmp_path: Path) -> None:
    # Another user's lock in /tmp made os.open(O_RDWR|O_CREAT) raise PermissionError. Root passes
    # permission checks, so an immutable file stands in for "not ours to write".
    root = tiny_workspace(tmp_path / "ws")
    tmpdir = tmp_path / "tmp"
    old = write(legacy_lock(root, tmpdir), "4242")
    chattr("+i", old)
    try:
        proc = perf("clean.runs", "--root", str(root), env={"TMPDIR": str(tmpdir)})
    finally:
        chattr("-i", old)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert old.read_text() == "4242", "an older version's lock is never written or removed"


def test_a_lock_file_we_may_not_write_is_still_shared(tmp_path: Path) -> None:
    from perf_tasks.runlock import LOCK_NAME, run_lock

    root = tiny_workspace(tmp_path / "ws")
    lock = write(root / LOCK_NAME, "")
    chattr("+i", lock)  # as a lock made by another user is to us: readable, not writable
    try:
        alone = perf("clean.runs", "--root", str(root))
        with run_lock(root):  # the other user's run, holding it through a read-only open
            busy = perf("clean.runs", "--root", str(root))
    finally:
        chattr("-i", lock)
    assert alone.returncode == 0, alone.stderr
    line = one_line_error(busy, 1)
    assert "another perf-tasks run" in line and str(root) in line


def test_an_older_version_holding_its_lock_in_tmp_keeps_us_out(tmp_path: Path) -> None:
    import fcntl

    root = tiny_workspace(tmp_path / "ws")
    tmpdir = tmp_path / "tmp"
    old = write(legacy_lock(root, tmpdir), "")
    fd = os.open(old, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        proc = perf("clean.runs", "--root", str(root), env={"TMPDIR": str(tmpdir)})
    finally:
        os.close(fd)
    assert "an older perf-tasks run" in one_line_error(proc, 1)


def test_a_lock_that_cannot_be_made_is_one_line_exit_2(tmp_path: Path) -> None:
    from perf_tasks.runlock import LOCK_NAME

    root = tiny_workspace(tmp_path / "ws")
    assert perf("clean.runs", "--dry-run", "--root", str(root)).returncode == 0  # Cargo.lock made
    chattr("+i", root)
    try:
        proc = perf("clean.runs", "--root", str(root))
    finally:
        chattr("-i", root)
    line = one_line_error(proc, 2)
    assert f"cannot create the run lock {root / LOCK_NAME}" in line


def test_a_symlink_in_place_of_the_lock_is_refused(tmp_path: Path) -> None:
    from perf_tasks.runlock import LOCK_NAME

    root = tiny_workspace(tmp_path / "ws")
    precious = write(tmp_path / "precious", "keep me")
    (root / LOCK_NAME).symlink_to(precious)
    line = one_line_error(perf("clean.runs", "--root", str(root)), 2)
    assert "is a symlink" in line
    assert precious.read_text() == "keep me"


# ------------------------------------------------------------------------ errors that exited 0


def deep_tree(top: Path, *, levels: int = 20) -> None:
    """A file whose path is over 4,096 bytes (PATH_MAX): `File name too long`, even for root."""
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(levels):
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        leaf = os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"x" * 5000)
        os.close(leaf)
    finally:
        os.close(fd)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_tree_deeper_than_path_max_is_sized_like_du_and_removed(
    tmp_path: Path, dry_run: bool
) -> None:
    """Past PATH_MAX a path-based walk fails with `File name too long`; ours works through
    directory fds, as du and rm do, so the deep tree counts in full and goes."""
    import json

    root = tiny_workspace(tmp_path / "ws")
    deep_tree(root / "cache" / "deep")
    expected = du(root / "cache")
    flags = ["--dry-run"] * dry_run
    proc = perf("clean.nuke", "--yes", "--json", *flags, "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["errors"] == []
    cache = next(a for a in report["areas"] if a["label"] == "cache/")
    assert cache["bytes_before"] == expected
    assert (root / "cache").exists() is dry_run


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr for an immutable file")
def test_what_could_not_be_removed_is_exit_1(tmp_path: Path) -> None:
    """An immutable file cannot be removed, even by root: reported, exit 1, the rest goes."""
    root = tiny_workspace(tmp_path / "ws")
    stuck = write(root / "cache" / "stuck" / "file")
    other = write(root / "cache" / "other")
    if subprocess.run(["chattr", "+i", str(stuck)], check=False).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        proc = perf("clean.nuke", "--yes", "--root", str(root))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Operation not permitted" in proc.stdout
        assert stuck.exists() and not other.exists()
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=False)


# ------------------------------------------------------------------------------------ the root


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--root", ""], {}, "--root"),  # invoke hands over '' for --root ""
        (["--root="], {}, "--root"),
        (["--root", ""], {"PERF_TASKS_ROOT": "OTHER"}, "--root"),
        ([], {"PERF_TASKS_ROOT": ""}, "$PERF_TASKS_ROOT"),
    ],
)
def test_an_empty_root_is_exit_2_and_touches_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    here = tiny_workspace(tmp_path / "here")  # the current directory
    other = tiny_workspace(tmp_path / "other")  # what $PERF_TASKS_ROOT names
    env = {k: str(other) if v == "OTHER" else v for k, v in env.items()}
    proc = perf("clean.nuke", "--yes", *args, cwd=here, env=env)
    line = one_line_error(proc, 2)
    assert line.startswith(f"error: {named} is empty")
    assert (here / "target" / "debug" / "deps").exists()
    assert (other / "target" / "debug" / "deps").exists()


@pytest.mark.parametrize("kind", ["symlink loop", "name too long"])
@pytest.mark.parametrize("via", ["--root", "PERF_TASKS_ROOT"])
def test_a_root_that_cannot_be_resolved_is_one_line_exit_2(
    tmp_path: Path, kind: str, via: str
) -> None:
    if kind == "symlink loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        root = str(tmp_path / "a" / "ws")
    else:
        root = str(tmp_path / ("n" * 5000))  # past NAME_MAX and PATH_MAX
    args, env = (["--root", root], {}) if via == "--root" else ([], {"PERF_TASKS_ROOT": root})
    line = one_line_error(perf("clean.runs", "--dry-run", *args, cwd=tmp_path, env=env), 2)
    assert "cannot be used" in line and len(line) < 400


@pytest.mark.parametrize("kind", ["folder", "fifo", "symlink loop", "link to nothing"])
@pytest.mark.parametrize("name", ["perf-tasks.toml", "pyproject.toml"])
def test_a_settings_file_that_is_not_a_file_is_one_line_exit_2(
    tmp_path: Path, kind: str, name: str
) -> None:
    # Never a silent fall back to the defaults, and never a hang on a pipe.
    root = tiny_workspace(tmp_path / "ws")
    path = root / name
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink loop":
        path.symlink_to(path)
    else:
        path.symlink_to(root / "nowhere.toml")
    line = one_line_error(perf("clean.runs", "--dry-run", "--root", str(root), timeout=60), 2)
    assert f"{path} is not a regular file" in line


# ---------------------------------------------------------------------------- cargo's dirs


@pytest.mark.parametrize("where", ["/", "home", "root", "parent"])
def test_a_target_dir_that_holds_too_much_is_refused_before_any_scan(
    tmp_path: Path, where: str
) -> None:
    root = tiny_workspace(tmp_path / "ws")
    home = tmp_path / "home"
    home.mkdir()
    target = {"/": "/", "home": str(home), "root": str(root), "parent": str(tmp_path)}[where]
    env = {
        "CARGO_TARGET_DIR": target,
        "HOME": str(home),
        # rustup and cargo still find their own homes
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo")),
    }
    # `/` is refused before anything is scanned: a dry run would walk the whole file system.
    proc = perf("clean.nuke", "--dry-run", "--root", str(root), env=env, timeout=30)
    line = one_line_error(proc, 2)
    assert f"cargo's target dir is {Path(target).resolve()}" in line and "refusing" in line
    assert proc.stdout == ""


@pytest.mark.parametrize("kind", ["symlink loop", "name too long"])
def test_a_target_dir_that_cannot_be_resolved_is_one_line_exit_2(tmp_path: Path, kind: str) -> None:
    root = tiny_workspace(tmp_path / "ws")
    if kind == "symlink loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        target = tmp_path / "a"
    else:
        target = tmp_path / ("t" * 5000)
    env = {"CARGO_TARGET_DIR": str(target)}
    line = one_line_error(perf("clean.nuke", "--dry-run", "--root", str(root), env=env), 2)
    assert "cannot be used" in line and len(line) < 500


def test_an_empty_cargo_target_dir_is_bad_usage(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    proc = perf("clean.cache", "--dry-run", "--root", str(root), env={"CARGO_TARGET_DIR": ""})
    assert "$CARGO_TARGET_DIR is set but empty" in one_line_error(proc, 2)


# ------------------------------------------------------------------------- runs from the future


def test_a_run_dated_in_the_future_says_so_and_goes_by_name(tmp_path: Path) -> None:
    import json
    import time

    from helpers import age

    root = tiny_workspace(tmp_path / "ws")
    scg = root / "output" / "scg"
    for n in range(1, 13):
        write(scg / f"run-{n:02}" / "result.json", "{}")
        age(scg / f"run-{n:02}", 20 + n / 10)
    write(scg / "run-00" / "result.json", "{}")  # the first run, written by a clock 30 days ahead
    age(scg / "run-00", -30)
    write(scg / "run-99" / "result.json", "{}")  # the latest run, by a clock a year ahead
    age(scg / "run-99", -365)
    proc = perf("clean.runs", "--dry-run", "--json", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    reasons = {Path(i["path"]).name: i["reason"] for i in report["items"]}
    assert "dated in the future" in reasons["run-00"]
    assert "not among the newest 10 by name" in reasons["run-00"]
    assert time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400)) in reasons["run-00"]
    skips = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert (
        "dated in the future" in skips["run-99"]
        and "kept while among the newest" in skips["run-99"]
    )
    text = perf("clean.runs", "--dry-run", "--verbose", "--root", str(root)).stdout
    assert "min ago" not in text and "dated in the future" in text


# ------------------------------------------------------------------------------ names and JSON


EVIL = "evil\x1b[2J\x1b[31mred\nsecond line\x07"


def test_control_characters_in_names_are_escaped_in_text_and_real_in_json(tmp_path: Path) -> None:
    import json

    from helpers import age

    root = tiny_workspace(tmp_path / "ws")
    write(root / "perf-tasks.toml", "[runs]\nkeep_newest = 0\nkeep_days = 1\n")
    evil = root / "output" / "scg" / EVIL
    write(evil / "result.json", "{}")
    age(evil, 30)
    text = perf("clean.runs", "--dry-run", "--root", str(root))
    assert text.returncode == 0, text.stderr
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    (line,) = [ln for ln in text.stdout.splitlines() if ln.startswith("would remove")]
    assert "output/scg/evil\\x1b[2J\\x1b[31mred\\nsecond line\\x07 (" in line, line
    proc = perf("clean.runs", "--dry-run", "--json", "--root", str(root))
    assert [i["path"] for i in json.loads(proc.stdout)["items"]] == [str(evil)]


def test_an_error_naming_a_path_is_escaped_too(tmp_path: Path) -> None:
    proc = perf("clean.nuke", "--yes", "--root", str(tmp_path / EVIL))
    line = one_line_error(proc, 2)
    assert "\x1b" not in proc.stderr and "evil\\x1b[2J" in line


@pytest.mark.parametrize(
    "task",
    [
        "clean",
        "clean.nuke",
        "clean.runs",
        "clean.artifacts",
        "clean.cache",
        "clean.target",
        "baseline",
        "baseline.compare",
    ],
)
def test_with_json_an_error_is_one_json_document(tmp_path: Path, task: str) -> None:
    import json

    missing = tmp_path / "not-there"
    yes = ["--yes"] if task == "clean.nuke" else []
    proc = perf(task, "--json", *yes, "--root", str(missing))
    line = one_line_error(proc, 2)
    assert json.loads(proc.stdout) == {
        "schema_version": 1,
        "ok": False,
        "error": {"kind": "workspace", "message": line.removeprefix("error: ")},
    }


def test_with_json_a_busy_workspace_is_a_json_error_exit_1(tmp_path: Path) -> None:
    import json

    from perf_tasks.runlock import run_lock

    root = tiny_workspace(tmp_path / "ws")
    with run_lock(root):
        proc = perf("clean.cache", "--json", "--root", str(root))
    one_line_error(proc, 1)
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["error"]["kind"] == "busy"
