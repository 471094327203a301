"""The data-loss classes, each through the real CLI on real folders: a quarantine we did not make,
an output path that names the root, mount points, commands off the allowlist, other repositories,
invoke's `--dry`, and asking before a nuke."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, TAG, age, git, perf, tiny_workspace, write

from perf_tasks import workspace
from perf_tasks.clean import quarantine
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard, Rule
from perf_tasks.errors import ConfigError
from perf_tasks.settings import Settings, parse


def snapshot(top: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry below `top`: kind, size and (for a link) where it points. Links not followed."""
    seen: dict[str, tuple[str, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.islink(path):
                seen[path] = ("link", 0, os.readlink(path))
            elif os.path.isdir(path):
                seen[path] = ("dir", 0, "")
            else:
                seen[path] = ("file", st.st_size, "")
    return seen


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A tiny workspace in git, with old runs, a cache and an outside folder next to it."""
    root = tiny_workspace(tmp_path / "ws")
    write(root / ".gitignore", "target/\noutput/\ncache/\nartifacts/\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "init", cwd=root)
    for i in range(12):
        write(root / "output" / "scg" / f"run{i:02d}" / "log.txt")
    age(root / "output" / "scg", 30)
    write(tmp_path / "outside" / "precious.txt", "keep me")
    return root


# ------------------------------------------------------------------------ 1. the quarantine


@pytest.mark.parametrize("home", [".", "target"])
def test_a_quarantine_that_is_a_link_to_outside_is_left_alone(
    ws: Path, tmp_path: Path, home: str
) -> None:
    outside = tmp_path / "outside"
    write(outside / "20260101T000000-1-abcdef" / "000000" / "data", "outside data")
    (ws / home / TRASH_DIR).symlink_to(outside)
    before = snapshot(outside)
    proc = perf("clean.runs", "--root", str(ws))
    assert snapshot(outside) == before
    assert "a symlink, not a quarantine this tool made" in proc.stdout
    # Runs of this workspace are quarantined elsewhere or fail; never moved through the link.
    if home == ".":
        assert proc.returncode == 1
        assert "cannot use the quarantine" in proc.stdout
        assert (ws / "output" / "scg" / "run00").exists()
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_tracked_file_under_a_trash_folder_stays(ws: Path) -> None:
    tracked = write(ws / "target" / TRASH_DIR / "20260101T000000-1-abcdef" / "000000" / "t.txt")
    git("add", "-f", str(tracked), cwd=ws)
    git("commit", "-qm", "tracked in trash", cwd=ws)
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert tracked.read_bytes() == b"x" * 5000
    assert "no marker of ours" in proc.stdout


def test_a_proven_quarantine_still_goes_through_the_guard(ws: Path) -> None:
    run_dir = quarantine.make(ws / "target", "20260101T000000-1-abcdef")
    junk = write(run_dir / "000000" / "junk.bin")
    tracked = write(run_dir / "000001" / "t.txt")
    git("add", "-f", str(tracked), cwd=ws)
    git("commit", "-qm", "tracked in a real quarantine", cwd=ws)
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert not junk.exists() and tracked.exists()


@pytest.mark.parametrize(
    "forgery", ["no marker", "other run", "marker is a link", "a file", "another owner"]
)
def test_quarantines_we_cannot_prove_are_ours_stay(ws: Path, forgery: str) -> None:
    trash = ws / "target" / TRASH_DIR
    run_dir = trash / "20260101T000000-1-abcdef"
    if forgery == "a file":
        write(trash / "20260101T000000-1-abcdef", "not a folder")
    else:
        data = write(run_dir / "000000" / "data")
        if forgery == "other run":
            write(run_dir / quarantine.MARKER, "perf-tasks quarantine\nrun: another\n")
        elif forgery == "marker is a link":
            write(ws / "elsewhere", "perf-tasks quarantine\nrun: 20260101T000000-1-abcdef\n")
            (run_dir / quarantine.MARKER).symlink_to(ws / "elsewhere")
        elif forgery == "another owner":
            if os.geteuid() != 0:
                pytest.skip("giving a folder to another user needs root")
            write(
                run_dir / quarantine.MARKER,
                "perf-tasks quarantine\nrun: 20260101T000000-1-abcdef\n",
            )
            os.chown(run_dir, 65534, 65534)
        assert data.exists()
    before = snapshot(trash)
    proc = perf("clean.nuke", "--yes", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert snapshot(trash) == before


def test_long_names_can_be_removed(ws: Path) -> None:
    name = "n" * 255  # the longest name a file can have; the quarantine must not lengthen it
    write(ws / "output" / "scg" / name / "f")
    age(ws / "output" / "scg" / name, 40)  # the oldest: never among the newest 10
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (ws / "output" / "scg" / name).exists()


# ----------------------------------------------------------- 2. outputs that name the root


ROOT_SPELLINGS = ["./", ".//", "./.", "a/..", "output/../", "", " ", "~", "~/x", ".git", ".git/x"]


@pytest.mark.parametrize("value", [*ROOT_SPELLINGS, "a\0b", "../x", "/abs"])
@pytest.mark.parametrize("key", ["cache", "artifacts", "output_scg"])
def test_an_output_that_names_the_root_fails_to_load(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"outputs\.{key} = .* name a folder inside"):
        parse({"outputs": {key: value}}, source="perf-tasks.toml")


@pytest.mark.parametrize(
    ("task", "key", "value"),
    [
        ("clean.nuke", "cache", "./"),
        ("clean", "artifacts", "./"),
        ("clean.artifacts", "artifacts", "a/.."),
        ("clean.runs", "output_scg", ".//"),
    ],
)
def test_an_output_that_names_the_root_is_a_config_error(
    ws: Path, task: str, key: str, value: str
) -> None:
    write(ws / "perf-tasks.toml", f'[outputs]\n{key} = "{value}"\n')
    before = snapshot(ws)
    proc = perf(task, *(["--yes"] if task == "clean.nuke" else []), "--root", str(ws))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and f"outputs.{key}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(ws) == before


@pytest.mark.parametrize(
    ("make", "says", "task"),
    [
        (lambda ws: (ws / "loop").symlink_to(ws), "workspace root", "clean.nuke"),
        (lambda ws: (ws / "loop").symlink_to(ws.parent), "workspace root", "clean"),
        (lambda ws: (ws / "loop").symlink_to(".git"), ".git", "clean.artifacts"),
        (lambda ws: (ws / "loop").symlink_to("src"), "source", "clean.nuke"),
        (lambda ws: write(ws / "loop" / ".git", "gitdir: elsewhere"), ".git", "clean"),
        (lambda ws: write(ws / "loop" / "Cargo.toml", "[package]"), "Cargo.toml", "clean.nuke"),
    ],
)
def test_an_output_that_holds_the_root_git_or_sources_is_refused(
    ws: Path, make: object, says: str, task: str
) -> None:
    make(ws)  # type: ignore[operator]
    write(ws / "perf-tasks.toml", '[outputs]\nartifacts = "loop"\ncache = "loop"\n')
    before = snapshot(ws)
    proc = perf(task, "--yes" if task == "clean.nuke" else "--verbose", "--root", str(ws))
    assert proc.returncode == 2, proc.stdout
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(ws) == before


@pytest.mark.parametrize("value", ["Cargo.toml", "./perf-tasks.toml", "notes.txt", "link"])
@pytest.mark.parametrize("task", ["clean.nuke", "clean"])
def test_an_output_that_names_a_file_is_refused(tmp_path: Path, value: str, task: str) -> None:
    # No git here: nothing is tracked, so only the output check stands between nuke and the file.
    root = tmp_path / "ws"
    write(root / "Cargo.toml", '[workspace]\nmembers = ["crates/a"]\nresolver = "2"\n')
    write(root / "crates" / "a" / "Cargo.toml", '[package]\nname = "a"\nversion = "0.1.0"\n')
    write(root / "crates" / "a" / "src" / "lib.rs", "")
    write(root / "notes.txt", "my notes")
    (root / "link").symlink_to("notes.txt")
    write(root / "perf-tasks.toml", f'[outputs]\ncache = "{value}"\nartifacts = "{value}"\n')
    age(root, 30)
    before = snapshot(root)
    proc = perf(task, "--yes" if task == "clean.nuke" else "--verbose", "--root", str(root))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is a file, not a folder" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(root) == before


@pytest.mark.parametrize("target", [".git", ".git/target", "src", "vendored-repo"])
def test_a_target_dir_in_git_or_the_sources_is_refused_though_cargo_tagged_it(
    tmp_path: Path, target: str
) -> None:
    # `CARGO_TARGET_DIR=src cargo build` writes cargo's CACHEDIR.TAG there: the tag alone does
    # not make a folder cargo's. No git in the workspace, so nothing in src/ is tracked.
    root = tiny_workspace(tmp_path / "ws")
    write(root / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(root / ".git" / "objects" / "ab" / "cdef", "a commit")
    write(root / "src" / "draft.rs", "// not committed yet")
    write(root / "vendored-repo" / ".git", "gitdir: elsewhere")
    write(root / "vendored-repo" / "code.rs", "// another repository's work")
    write(root / target / "CACHEDIR.TAG", TAG)
    before = snapshot(root)
    env = {"CARGO_TARGET_DIR": str(root / target)}
    proc = perf("clean.nuke", "--yes", "--root", str(root), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refusing to work there" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(root) == before


def test_an_output_holding_a_member_crate_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root / "Cargo.toml", '[workspace]\nmembers = ["crates/a"]\nresolver = "2"\n')
    write(root / "crates" / "a" / "Cargo.toml", '[package]\nname = "a"\nversion = "0.1.0"\n')
    write(root / "crates" / "a" / "src" / "lib.rs", "")
    write(root / "perf-tasks.toml", '[outputs]\ncache = "crates"\n')
    proc = perf("clean.nuke", "--yes", "--root", str(root))
    assert proc.returncode == 2 and "outputs.cache" in proc.stderr
    assert (root / "crates" / "a" / "src" / "lib.rs").exists()


# --------------------------------------------------------------------------- 3. mount points


needs_mounts = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="mounting needs root and unshare (a private mount namespace keeps it to the test)",
)


def in_mount_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace: its mounts vanish with it."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-ec", script],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PY": sys.executable},
    )


@needs_mounts
@pytest.mark.parametrize("kind", ["tmpfs", "bind"])
def test_a_mount_inside_an_old_run_stays(ws: Path, tmp_path: Path, kind: str) -> None:
    run = ws / "output" / "scg" / "run00"
    point = run / "deep" / "mnt"
    point.mkdir(parents=True)
    write(run / "deep" / "other.txt")
    age(run, 30)
    elsewhere = tmp_path / "outside"
    mount = (
        f"mount -t tmpfs none '{point}' && echo data > '{point}/on-tmpfs'"
        if kind == "tmpfs"
        else f"mount --bind '{elsewhere}' '{point}'"
    )
    proc = in_mount_namespace(
        f"""{mount}
        find '{run}' -exec touch -h -d '40 days ago' {{}} +
        set +e
        "$PY" -m perf_tasks clean.runs --root '{ws}'
        echo "rc=$?"
        ls '{point}'
        """
    )
    assert "rc=1" in proc.stdout, proc.stdout + proc.stderr
    assert "is a mount point" in proc.stdout
    listed = proc.stdout.strip().splitlines()[-1]
    assert listed == ("on-tmpfs" if kind == "tmpfs" else "precious.txt")
    assert (elsewhere / "precious.txt").read_text() == "keep me"
    assert not (run / "deep" / "other.txt").exists(), "the rest of the run goes"


@needs_mounts
def test_an_output_that_is_a_mount_point_stays(ws: Path) -> None:
    cache = ws / "cache"
    cache.mkdir()
    proc = in_mount_namespace(
        f"""mount -t tmpfs none '{cache}' && echo data > '{cache}/blob'
        set +e
        "$PY" -m perf_tasks clean.nuke --yes --root '{ws}'
        echo "rc=$?"
        cat '{cache}/blob'
        """
    )
    assert "rc=1" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "data"


@needs_mounts
def test_a_mount_inside_the_ab_scratch_folder_stays(ws: Path, tmp_path: Path) -> None:
    # clean.nuke removes the A/B scratch folder (outside the root) with `rm -rf --one-file-system`,
    # which does not stop at a bind mount from the same file system.
    from perf_tasks.ab.worktree import Scratch

    env = {"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")}
    scratch = Scratch.of(ws, {**os.environ, **env})
    scratch.claim()
    point = scratch.dir / "target-a" / "mnt"
    point.mkdir(parents=True)
    elsewhere = tmp_path / "outside"
    before = snapshot(elsewhere)
    proc = in_mount_namespace(
        f"""mount --bind '{elsewhere}' '{point}'
        set +e
        PERF_TASKS_SCRATCH='{tmp_path / "scratch"}' "$PY" -m perf_tasks clean.nuke --yes \\
            --root '{ws}'
        echo "rc=$?"
        """
    )
    assert snapshot(elsewhere) == before, proc.stdout + proc.stderr
    assert "rc=1" in proc.stdout, proc.stdout + proc.stderr
    assert "holds a mount point" in proc.stdout
    assert scratch.dir.is_dir()


@needs_mounts
@pytest.mark.parametrize("mounted", ["trash folder", "run folder"])
def test_a_quarantine_bind_mounted_from_elsewhere_is_left_alone(
    ws: Path, tmp_path: Path, mounted: str
) -> None:
    # A bind mount of a folder on the same file system has the same st_dev: only the mount table
    # tells it apart. The folder elsewhere even holds our marker, naming the run.
    run_id = "20260101T000000-1-abcdef"
    elsewhere = tmp_path / "elsewhere"
    run_dir = elsewhere / run_id if mounted == "trash folder" else elsewhere
    write(run_dir / quarantine.MARKER, f"perf-tasks quarantine\nrun: {run_id}\n")
    write(run_dir / "000000" / "data", "outside data")
    trash = ws / "target" / TRASH_DIR
    point = trash if mounted == "trash folder" else trash / run_id
    point.mkdir(parents=True)
    before = snapshot(elsewhere)
    proc = in_mount_namespace(
        f"""mount --bind '{elsewhere}' '{point}'
        set +e
        "$PY" -m perf_tasks clean.nuke --yes --root '{ws}'
        echo "rc=$?"
        """
    )
    assert "a mount point, not a quarantine this tool made" in proc.stdout, proc.stdout
    assert snapshot(elsewhere) == before
    # Nothing is moved into a mounted trash folder: those items fail (exit 1) and stay in place.
    rc = "rc=1" if mounted == "trash folder" else "rc=0"
    assert rc in proc.stdout, proc.stdout + proc.stderr


# ------------------------------------------------------------------- 4. commands, allowlisted


@pytest.mark.parametrize(
    "command",
    [
        '["cargo", "clippy", "--fix", "--allow-dirty"]',
        '["cargo", "fix", "--allow-dirty"]',
        '["cargo", "--config", "alias.build=\'fix\'", "build"]',
        '["cargo", "+nightly", "build"]',
        '["cargo", "test", "--workspace"]',
        '["cargo", "run"]',
    ],
)
@pytest.mark.parametrize("task", ["clean"])
def test_commands_off_the_allowlist_are_refused_when_loaded(
    ws: Path, command: str, task: str
) -> None:
    write(ws / "perf-tasks.toml", f"[stale]\ncommands = [{command}]\n")
    before = snapshot(ws)
    proc = perf(task, "--dry-run", "--root", str(ws))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "stale.commands[0]" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(ws) == before


@pytest.mark.parametrize("where", ["root", "parent", "env"])
def test_an_alias_cannot_turn_clippy_into_fix(ws: Path, where: str) -> None:
    alias = 'clippy = "fix --allow-dirty --allow-no-vcs"'
    env: dict[str, str] = {}
    if where == "env":
        env["CARGO_ALIAS_CLIPPY"] = "fix --allow-dirty --allow-no-vcs"
    else:
        folder = ws if where == "root" else ws.parent
        write(folder / ".cargo" / "config.toml", f"[alias]\n{alias}\n")
    write(ws / "perf-tasks.toml", '[stale]\ncommands = [["cargo", "clippy"]]\n')
    git("add", "-A", cwd=ws)
    git("commit", "-qm", "config", cwd=ws)
    before = (ws / "src" / "lib.rs").read_bytes()
    proc = perf("clean", "--build", "--root", str(ws), env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "redefines `cargo clippy`" in proc.stderr
    assert (ws / "src" / "lib.rs").read_bytes() == before


def test_dry_run_with_build_is_a_usage_error(ws: Path) -> None:
    proc = perf("clean", "--dry-run", "--build", "--root", str(ws))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: --build compiles, and a dry run never does: pass one of them"
    )


# ------------------------------------------------------------------ 5. other repositories


@pytest.mark.parametrize("kind", ["repo", "worktree file"])
def test_another_repository_inside_an_old_run_stays(ws: Path, kind: str) -> None:
    run = ws / "output" / "scg" / "run00"
    nested = run / "checkout"
    if kind == "repo":
        write(nested / "notes.txt", "my commits")
        git("init", "-q", cwd=nested)
        git("add", "-A", cwd=nested)
        git("commit", "-qm", "mine", cwd=nested)
    else:
        write(nested / ".git", "gitdir: /somewhere/.git/worktrees/x\n")
        write(nested / "notes.txt", "my work")
    write(run / "other.log")
    age(run, 40)  # the oldest run: it goes
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (nested / "notes.txt").exists() and (nested / ".git").exists()
    assert not (run / "other.log").exists()
    assert Rule.OTHER_REPO.value in proc.stdout


def test_another_repository_under_artifacts_stays(ws: Path) -> None:
    nested = ws / "artifacts" / "reports" / "checkout"
    old = write(nested / "old-bench.json")
    git("init", "-q", cwd=nested)
    lone = write(ws / "artifacts" / "reports" / "old-bench.json")
    age(ws / "artifacts", 30)
    proc = perf("clean.artifacts", "--root", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert old.exists() and (nested / ".git" / "HEAD").exists()
    assert not lone.exists()
    assert Rule.OTHER_REPO.value in proc.stdout


# ---------------------------------------------------------------------- 6. invoke's --dry


def test_perf_tasks_offers_no_invoke_run_flags() -> None:
    proc = perf("--help")
    assert proc.returncode == 0
    for flag in ("--dry", "-R", "--pty", "--prompt-for-sudo-password", "--warn-only", "--echo"):
        assert f"{flag} " not in proc.stdout and f"{flag}," not in proc.stdout, flag
    for flag in ("--list", "--version", "--help"):
        assert flag in proc.stdout


@pytest.mark.parametrize("flag", ["--dry", "-R", "--pty", "-w", "--echo", "--hide=both"])
def test_perf_tasks_refuses_invoke_run_flags(ws: Path, flag: str) -> None:
    before = snapshot(ws)
    proc = perf(flag, "clean.nuke", "--yes", "--root", str(ws))
    assert proc.returncode == 2
    assert "No idea what" in proc.stderr
    assert snapshot(ws) == before


def test_under_invoke_dry_a_deleting_task_refuses(ws: Path) -> None:
    before = snapshot(ws)
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "--dry", "clean.nuke", "--yes", "--root", str(ws)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--dry only echoes commands" in proc.stderr
    assert snapshot(ws) == before


# ------------------------------------------------------------------------------- 7. asking


def nuke_on_a_terminal(ws: Path, answer: bytes | None) -> tuple[int, str, str]:
    """`perf-tasks clean.nuke | tee log` on a terminal: stdin and stderr are a terminal, stdout a
    pipe. `answer` is typed at the prompt; None closes the input (Ctrl-D)."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", "clean.nuke", "--root", str(ws)],
        stdin=secondary,
        stderr=secondary,
        stdout=subprocess.PIPE,
    )
    os.close(secondary)
    seen = b""
    while b"[y/N]" not in seen:
        seen += os.read(main, 4096)
    os.write(main, answer if answer is not None else b"\x04")
    stdout, _ = proc.communicate(timeout=60)
    try:
        while chunk := os.read(main, 4096):
            seen += chunk
    except OSError:
        pass
    os.close(main)
    return proc.returncode, stdout.decode(), seen.decode(errors="replace")


@pytest.mark.parametrize(("answer", "removed"), [(b"y\n", True), (b"n\n", False), (None, False)])
def test_nuke_asks_when_stdin_and_stderr_are_terminals(
    ws: Path, answer: bytes | None, removed: bool
) -> None:
    code, stdout, terminal = nuke_on_a_terminal(ws, answer)
    assert "[y/N]" in terminal and "[y/N]" not in stdout
    assert terminal.split("[y/N]", 1)[1].startswith(" \r\n") or "\n" in terminal.split("[y/N]")[1]
    assert (not (ws / "output" / "scg").exists()) is removed
    assert code == (0 if removed else 1)
    if not removed:
        assert "nothing removed" in terminal


# --------------------------------------------------------------------- 8. one decision module


def test_decisions_are_values(ws: Path) -> None:
    guard = Guard.for_workspace(workspace.load(ws), Settings())
    refusal = guard.decide(ws / "src" / "lib.rs")
    assert refusal is not None and refusal.rule is Rule.OUTSIDE
    refusal = guard.decide(ws / "target" / "debug" / ".cargo-lock")
    assert refusal is not None and refusal.rule is Rule.CARGO_LOCK
    assert guard.decide(ws / "output" / "scg" / "run00") is None
    assert guard.decide(ws / "output" / "scg") is None  # an output folder itself may go (nuke)
    refusal = guard.decide(ws / "target")
    assert refusal is not None and refusal.rule is Rule.AREA_ITSELF


def test_a_tracked_file_1100_folders_deep_stays_without_a_traceback(ws: Path) -> None:
    run = ws / "output" / "scg" / "run00"
    deep = "/".join(["d"] * 1100)
    write(run / "other.log")
    # The shell, not pathlib: Python's own mkdir -p and os.walk recurse once per level.
    subprocess.run(
        f"mkdir -p {deep} && echo tracked > {deep}/kept.txt && git add -f {deep}/kept.txt"
        " && git -c user.name=t -c user.email=t@example.com commit -qm deep"
        " && find . -exec touch -h -d '40 days ago' {} +",
        shell=True,
        cwd=run,
        check=True,
    )
    try:
        proc = perf("clean.runs", "--root", str(ws))
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
        assert (run / deep / "kept.txt").read_text() == "tracked\n"
        assert not (run / "other.log").exists()
    finally:  # pytest's own clean-up of tmp_path recurses once per level
        subprocess.run(["rm", "-rf", str(run / "d")], check=True)


@pytest.mark.parametrize("left", ["nothing", "an empty marker", "half a marker"])
def test_a_quarantine_killed_while_being_made_is_tidied(ws: Path, left: str) -> None:
    run_id = "20260101T000000-1-abcdef"
    run = ws / "target" / TRASH_DIR / run_id
    run.mkdir(parents=True)
    if left != "nothing":
        text = f"perf-tasks quarantine\nrun: {run_id}\n"
        (run / quarantine.MARKER).write_text("" if left == "an empty marker" else text[:12])
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (ws / "target" / TRASH_DIR).exists()


def test_a_half_made_quarantine_holding_anything_else_stays(ws: Path) -> None:
    run = ws / "target" / TRASH_DIR / "20260101T000000-1-abcdef"
    data = write(run / "000000" / "data")
    proc = perf("clean.runs", "--root", str(ws))
    assert proc.returncode == 0
    assert data.exists() and "no marker of ours" in proc.stdout
