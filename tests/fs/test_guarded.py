"""The one reader and the one guarded writer, as users meet them through profiles.apply,
nextest.init and ci.init: never a hang, never a traceback, never an edit lost or a file split."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import one_line_error, perf, write

from perf_tasks.errors import EditRefused, PerfTasksError
from perf_tasks.fs import guarded

MANIFEST = '[workspace]\nmembers = []\nresolver = "2"\n'
NEXTEST = ".config/nextest.toml"
WORKFLOW = ".github/workflows/ci.yml"
PROGRAM = (sys.executable, "-m", "perf_tasks")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return write(tmp_path / "ws" / "Cargo.toml", MANIFEST).parent


def apply(ws: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    return perf("profiles.apply", "--profile", ",".join(profiles), "--root", str(ws), timeout=60)


def nextest_init(ws: Path) -> subprocess.CompletedProcess[str]:
    return perf("nextest.init", "--root", str(ws), timeout=60)


def ci_init(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return perf("ci.init", "--root", str(ws), "--install", "perf-tasks==0.1.0", *args, timeout=60)


# --- the one reader -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "run"),
    [
        (NEXTEST, nextest_init),
        ("Cargo.toml", lambda ws: apply(ws, "ci")),
        (WORKFLOW, lambda ws: ci_init(ws, "--dry-run")),
    ],
)
def test_a_fifo_is_one_line_never_a_hang(ws: Path, shown: str, run: object) -> None:
    path = ws / shown
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    line = one_line_error(run(ws))  # type: ignore[operator]
    assert f"cannot read {shown}: not a regular file" in line
    assert stat.S_ISFIFO(path.lstat().st_mode)


@pytest.mark.parametrize(
    ("shown", "run"),
    [
        (NEXTEST, nextest_init),
        ("perf-tasks.toml", lambda ws: perf("init", "--root", str(ws), "--force")),
        (".gitignore", lambda ws: perf("init", "--root", str(ws), "--gitignore")),
    ],
)
def test_a_folder_in_place_of_a_file_is_the_same_one_line(
    ws: Path, shown: str, run: object
) -> None:
    (ws / shown).mkdir(parents=True)
    line = one_line_error(run(ws))  # type: ignore[operator]
    assert f"cannot read {shown}: not a regular file; nothing was changed" in line
    assert (ws / shown).is_dir()


@pytest.mark.parametrize("shown", [NEXTEST, "Cargo.toml"])
def test_a_link_to_dev_zero_is_one_line_never_read_to_the_end(ws: Path, shown: str) -> None:
    path = ws / shown
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")
    run = nextest_init if shown == NEXTEST else (lambda w: apply(w, "ci"))
    assert "not a regular file" in one_line_error(run(ws))


def test_text_that_is_not_utf8_names_the_file_and_the_byte(ws: Path) -> None:
    write(ws / NEXTEST, b'[profile.default]\nslow-timeout = "60s"\n# caf\xe9\n')
    line = one_line_error(nextest_init(ws))
    assert line == f"error: cannot read {NEXTEST}: not UTF-8 text at byte 44; nothing was changed"


def test_a_bom_that_cargo_accepts_is_accepted_and_kept(ws: Path) -> None:
    write(ws / "Cargo.toml", "\ufeff" + MANIFEST)
    assert apply(ws, "ci").returncode == 0
    data = (ws / "Cargo.toml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf[workspace]") and data.count(b"\xef\xbb\xbf") == 1
    assert b"[profile.ci]" in data
    show = perf("profiles.show", "--root", str(ws), "--json", timeout=60)  # resolve reads it too
    assert show.returncode == 0, show.stderr


@pytest.mark.parametrize(
    "odd",
    ["\u2028", "\u0085", "\u2029"],  # line breaks to str.splitlines, not to TOML
)
@pytest.mark.parametrize(
    "place",
    [
        "# see{odd}[profile.ci] below\n",  # a comment that would read as a header
        'name = "a{odd}[profile.ci]"\n',  # a string cut in two, then parsed
    ],
)
def test_unicode_line_separators_in_a_toml_string_or_comment_are_kept(
    ws: Path, odd: str, place: str
) -> None:
    line = place.format(odd=odd)
    manifest = f"[workspace]\nmembers = []\n[workspace.metadata]\n{line}"
    write(ws / "Cargo.toml", manifest)
    proc = apply(ws, "ci")
    assert proc.returncode == 0, proc.stderr
    text = (ws / "Cargo.toml").read_text(encoding="utf-8")
    assert text.startswith(manifest) and "[profile.ci]" in text
    config = f'[profile.default]\nslow-timeout = "60s"\n[scripts]\n{line}'
    write(ws / NEXTEST, config)
    proc = nextest_init(ws)
    assert proc.returncode == 0, proc.stderr
    text = (ws / NEXTEST).read_text(encoding="utf-8")
    assert text.startswith('[profile.default]\nslow-timeout = "60s"\n[profile.ci]\n')
    assert text.endswith(f"[scripts]\n{line}")


# --- the one guarded writer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "run"),
    [
        ("Cargo.toml", lambda ws: apply(ws, "ci")),
        (NEXTEST, nextest_init),
        (WORKFLOW, lambda ws: ci_init(ws, "--force")),
    ],
)
def test_a_read_only_file_is_refused_not_replaced(ws: Path, shown: str, run: object) -> None:
    path = write(ws / shown, MANIFEST if shown == "Cargo.toml" else "# mine\n")
    before = path.read_bytes()
    path.chmod(0o444)
    line = one_line_error(run(ws))  # type: ignore[operator]
    assert f"{shown} is read-only" in line
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.parametrize("shown", ["Cargo.toml", NEXTEST])
def test_a_hard_linked_file_is_refused_never_split(ws: Path, tmp_path: Path, shown: str) -> None:
    path = write(ws / shown, MANIFEST if shown == "Cargo.toml" else "# mine\n")
    other = tmp_path / "elsewhere.toml"
    os.link(path, other)
    line = one_line_error(apply(ws, "ci") if shown == "Cargo.toml" else nextest_init(ws))
    assert f"{shown} has 2 hard links" in line
    assert path.stat().st_ino == other.stat().st_ino
    assert path.read_text(encoding="utf-8") == other.read_text(encoding="utf-8")


def test_a_symlinked_file_is_written_through_keeping_the_targets_mode(
    ws: Path, tmp_path: Path
) -> None:
    real = write(tmp_path / "shared" / "nextest.toml", "# shared\n")
    real.chmod(0o640)
    (ws / ".config").mkdir()
    (ws / NEXTEST).symlink_to(real)
    assert nextest_init(ws).returncode == 0
    assert (ws / NEXTEST).is_symlink() and "[profile.ci]" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_file_changed_or_made_since_it_was_read_is_refused(ws: Path) -> None:
    path = ws / NEXTEST
    none = guarded.read(path, shown=NEXTEST)
    write(path, "# an editor saved this meanwhile\n")
    with pytest.raises(EditRefused, match="changed since perf-tasks read it"):
        guarded.write(ws, [(none, "# ours\n")])
    some = guarded.read(path, shown=NEXTEST)
    write(path, "# and again\n")
    with pytest.raises(EditRefused, match="changed since perf-tasks read it"):
        guarded.write(ws, [(some, "# ours\n")])
    assert path.read_text(encoding="utf-8") == "# and again\n"


def test_runs_at_once_never_lose_an_edit(ws: Path) -> None:
    """Several `profiles.apply` at once, each with its own profile: each lands its profile or is
    refused with a clear message; none says "updated" and is lost."""
    names = [f"p{i}" for i in range(4)]
    write(
        ws / "perf-tasks.toml",
        "".join(
            f'[profiles.{n}]\ninherits = "release"\nopt-level = {i % 4}\n'
            for i, n in enumerate(names)
        ),
    )
    for _ in range(4):
        write(ws / "Cargo.toml", MANIFEST)
        procs = {
            name: subprocess.Popen(
                [*PROGRAM, "profiles.apply", "--profile", name, "--root", str(ws)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            for name in names
        }
        text_of = {name: proc.communicate(timeout=120) for name, proc in procs.items()}
        final = (ws / "Cargo.toml").read_text(encoding="utf-8")
        assert final.startswith(MANIFEST)
        for name, proc in procs.items():
            out, err = text_of[name]
            if proc.returncode == 0:
                assert "updated Cargo.toml" in out, out
                assert f"[profile.{name}]" in final, f"{name} said updated but was lost"
            else:
                assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
                assert "changed" in err or "another perf-tasks run" in err, err
        # The lock is held from the read to the rename: the others waited, then edited.
        assert all(proc.returncode == 0 for proc in procs.values()), text_of


def _add_line(root: str, name: str, hold: bool, results: Any) -> None:
    """One writer: read the file, add a line, write it; under the lock from the read (`hold`), or
    relying on the writer's own check alone."""
    path = Path(root) / "list.txt"
    try:
        with guarded.editing(Path(root), dry_run=not hold):
            before = guarded.read(path, shown="list.txt")
            time.sleep(0.01)  # widen the window between the read and the write
            guarded.write(Path(root), [(before, (before.text or "") + name + "\n")])
        results.put((name, "landed"))
    except PerfTasksError as exc:
        results.put((name, str(exc)))


@pytest.mark.parametrize("hold", [True, False])
def test_writers_at_once_through_the_api_land_or_are_refused(tmp_path: Path, hold: bool) -> None:
    context = multiprocessing.get_context("spawn")
    for round_ in range(3):
        (tmp_path / "list.txt").write_text("")
        results = context.Queue()
        procs = [
            context.Process(target=_add_line, args=(str(tmp_path), f"w{round_}-{i}", hold, results))
            for i in range(6)
        ]
        for p in procs:
            p.start()
        outcomes = dict(results.get(timeout=120) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        lines = (tmp_path / "list.txt").read_text().split("\n")[:-1]
        assert len(lines) == len(set(lines))
        landed = {name for name, said in outcomes.items() if said == "landed"}
        assert landed == set(lines), outcomes
        for name, said in outcomes.items():
            assert name in landed or "changed since perf-tasks read it" in said, said
        if hold:
            assert len(landed) == 6  # the second waits for the first, then edits its result
