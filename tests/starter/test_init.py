"""`perf-tasks init` as users run it, on real files: the starter perf-tasks.toml holds every key of
the schema (and of docs/configuration.md) at its default with its description, the loader reads it
back as the defaults, and it is never written over without --force; --gitignore, --dry-run, --json,
and the guarded writer's refusals."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import REPO_ROOT, git, one_line_error, perf, work_tree_files, write

from perf_tasks import settings
from perf_tasks.settings import SETTINGS_FILE, Settings

DOCS = REPO_ROOT / "docs" / "configuration.md"
KEY_LINE = re.compile(r"^#(\[\[[a-z_.]+\]\]|[a-z_]+ = .*)$")
SCHEMA_KEYS = [name for name, _f, _k in settings.schema()]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "Cargo.toml", '[package]\nname = "ws"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "")
    git("init", "-q", cwd=root)
    return root


def init(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return perf("init", "--root", str(ws), *args)


def starter(ws: Path) -> str:
    proc = init(ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"created {SETTINGS_FILE}\n"
    return (ws / SETTINGS_FILE).read_text(encoding="utf-8")


def uncommented(text: str) -> str:
    """The starter with every key line set: what a user gets who removes each `#` of a key."""
    return "\n".join(line[1:] if KEY_LINE.match(line) else line for line in text.split("\n"))


def values(loaded: Settings) -> dict[str, Any]:
    return {
        name: getattr(getattr(loaded, name.split(".")[0]), name.split(".")[1])
        for name in SCHEMA_KEYS
    }


# ------------------------------------------------------------------------- the file, from the schema


def test_the_loader_reads_the_starter_as_the_defaults(ws: Path) -> None:
    starter(ws)
    loaded = settings.load(ws)
    assert loaded.source == str(ws / SETTINGS_FILE)
    assert values(loaded) == values(Settings())
    assert loaded.profiles == {}


def test_every_key_set_reads_as_its_default(ws: Path) -> None:
    """Each commented key, once set, is its default: the starter never suggests another value."""
    text = starter(ws)
    write(ws / SETTINGS_FILE, uncommented(text))
    loaded = settings.load(ws)
    assert values(loaded) == values(Settings())
    assert {n for n in loaded.given if not n.startswith("profiles.")} == set(SCHEMA_KEYS)


def test_every_documented_key_is_in_the_starter(ws: Path) -> None:
    """A key in docs/configuration.md's table that the starter lacks fails here."""
    documented = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(), flags=re.M)
    assert documented  # the table is where this test reads it
    parsed = tomlkit.parse(uncommented(starter(ws))).unwrap()
    starter_keys = [f"{s}.{k}" for s, table in parsed.items() if s != "profiles" for k in table]
    assert sorted(starter_keys) == sorted(documented) == sorted(SCHEMA_KEYS)


def test_each_key_comes_with_its_description(ws: Path) -> None:
    lines = starter(ws).split("\n")
    for name, _f, declaration in settings.schema():
        section, key = name.split(".")
        header = lines.index(f"[{section}]")
        at = next(
            i
            for i, line in enumerate(lines)
            if i > header and line.startswith((f"#{key} = ", f"#[[{name}]]"))
        )
        above = []
        for line in reversed(lines[:at]):
            if not line.startswith("# "):
                break
            above.insert(0, line[2:])
        assert " ".join(above).startswith(" ".join(declaration.doc.split())[:40]), name
        assert not any(line.startswith("[") for line in lines[header + 1 : at]), name


def test_lines_are_short_but_for_long_defaults(ws: Path) -> None:
    for line in starter(ws).split("\n"):
        assert len(line) <= 100 or KEY_LINE.match(line), line


# ----------------------------------------------------------------------------- never over a file


def test_a_second_run_has_nothing_to_do(ws: Path) -> None:
    starter(ws)
    again = init(ws)
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{SETTINGS_FILE} is up to date\n"


@pytest.mark.parametrize(
    "existing",
    ["[runs]\nkeep_newest = 3\n", "", "# only a comment, no newline"],
    ids=["edited", "empty", "comment"],
)
def test_an_existing_file_is_kept_without_force(ws: Path, existing: str) -> None:
    write(ws / SETTINGS_FILE, existing)
    before = work_tree_files(ws)
    line = one_line_error(init(ws, "--gitignore"))
    assert f"{SETTINGS_FILE} exists: pass --force" in line
    assert "nothing was written" in line
    assert work_tree_files(ws) == before
    forced = init(ws, "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == f"replaced {SETTINGS_FILE}\n"
    assert values(settings.load(ws)) == values(Settings())


def test_a_broken_file_is_replaced_with_force_only(ws: Path) -> None:
    write(ws / SETTINGS_FILE, "[runs\n")
    one_line_error(init(ws))
    assert (ws / SETTINGS_FILE).read_text() == "[runs\n"
    assert init(ws, "--force").returncode == 0


@pytest.mark.parametrize("as_json", [False, True])
def test_a_pyproject_table_is_not_hidden_without_force(ws: Path, as_json: bool) -> None:
    write(ws / "pyproject.toml", "[tool.perf-tasks.runs]\nkeep_newest = 3\n")
    proc = init(ws, *(["--json"] if as_json else []))
    line = one_line_error(proc)
    assert "pyproject.toml's [tool.perf-tasks] holds the settings" in line
    assert not (ws / SETTINGS_FILE).exists()
    if as_json:
        assert json.loads(proc.stdout)["error"]["kind"] == "file_exists"
    assert init(ws, "--force").returncode == 0
    assert settings.load(ws).runs.keep_newest == 10


def test_a_pyproject_without_the_table_is_no_obstacle(ws: Path) -> None:
    write(ws / "pyproject.toml", "[tool.other]\nx = 1\n")
    starter(ws)


@pytest.mark.parametrize("where", ["nothing", "a python project"])
def test_a_folder_without_cargo_toml_is_refused(tmp_path: Path, where: str) -> None:
    if where != "nothing":
        write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    line = one_line_error(perf("init", "--root", str(tmp_path)))
    assert "no Cargo.toml" in line
    assert not (tmp_path / SETTINGS_FILE).exists()


# ---------------------------------------------------------------------------------------- dry run


def test_dry_run_shows_a_diff_and_writes_nothing(ws: Path) -> None:
    before = work_tree_files(ws)
    proc = init(ws, "--dry-run", "--gitignore")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"--- /dev/null\n+++ b/{SETTINGS_FILE}\n@@ ")
    assert "+#keep_newest = 10\n" in proc.stdout
    assert "--- /dev/null\n+++ b/.gitignore\n" in proc.stdout
    assert proc.stdout.endswith(
        f"dry run: would create {SETTINGS_FILE}; create .gitignore; nothing was written\n"
    )
    assert work_tree_files(ws) == before


def test_dry_run_over_an_edited_file_shows_what_force_would_change(ws: Path) -> None:
    write(ws / SETTINGS_FILE, "[runs]\nkeep_newest = 3\n")
    before = work_tree_files(ws)
    proc = init(ws, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"--- a/{SETTINGS_FILE}\n+++ b/{SETTINGS_FILE}\n" in proc.stdout
    assert "-keep_newest = 3\n" in proc.stdout
    assert proc.stdout.endswith(f"warning: {SETTINGS_FILE} exists: writing it needs --force\n")
    assert work_tree_files(ws) == before


def test_json_lists_each_file(ws: Path) -> None:
    proc = init(ws, "--json", "--gitignore")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["needs_force"] is None
    assert [(f["file"], f["action"], f["written"]) for f in doc["files"]] == [
        (SETTINGS_FILE, "create", True),
        (".gitignore", "create", True),
    ]


# --------------------------------------------------------------------------------------- gitignore


def test_gitignore_ignores_the_records_and_only_them(ws: Path) -> None:
    write(ws / ".gitignore", "/target\n")
    assert init(ws, "--gitignore").returncode == 0
    records = [
        "docs/performance/Baseline.md",
        "docs/performance/baseline.json",
        "docs/performance/monitor/history.jsonl",
        "docs/performance/monitor/report.md",
    ]
    for rel in [*records, "benches/PERFORMANCE_CONTRACT.md", "docs/performance/verify.json"]:
        write(ws / rel, "x")
    shown = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not any(rel in shown for rel in records), shown
    assert "benches/PERFORMANCE_CONTRACT.md" in shown  # the contract is the team's: committed
    assert (ws / ".gitignore").read_text().startswith("/target\n\n# perf-tasks: ")


def test_gitignore_gains_only_missing_lines_once(ws: Path) -> None:
    write(ws / ".gitignore", "target\ndocs/performance/Baseline.md")  # no final newline
    assert init(ws, "--gitignore").returncode == 0
    text = (ws / ".gitignore").read_text()
    assert text.count("Baseline.md") == 1
    assert text.startswith("target\ndocs/performance/Baseline.md\n\n# perf-tasks")
    assert "/docs/performance/baseline.json\n" in text
    again = init(ws, "--gitignore")
    assert again.returncode == 0
    assert again.stdout == f"{SETTINGS_FILE} is up to date\n.gitignore is up to date\n"
    assert (ws / ".gitignore").read_text() == text


def test_gitignore_keeps_crlf_line_ends(ws: Path) -> None:
    write(ws / ".gitignore", "/target\r\n")
    assert init(ws, "--gitignore").returncode == 0
    data = (ws / ".gitignore").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == 6


def test_gitignore_through_a_symlink_writes_its_target(ws: Path) -> None:
    write(ws / "shared.gitignore", "/target\n")
    (ws / ".gitignore").symlink_to("shared.gitignore")
    assert init(ws, "--gitignore").returncode == 0
    assert (ws / ".gitignore").is_symlink()
    assert "/docs/performance/baseline.json" in (ws / "shared.gitignore").read_text()


# ------------------------------------------------------------------------ the guarded writer's rules


def test_a_read_only_file_is_refused_even_with_force(ws: Path) -> None:
    write(ws / SETTINGS_FILE, "[runs]\n")
    os.chmod(ws / SETTINGS_FILE, 0o444)
    line = one_line_error(init(ws, "--force"))
    assert "read-only" in line
    assert (ws / SETTINGS_FILE).read_text() == "[runs]\n"


def test_a_hard_linked_gitignore_is_refused_and_nothing_is_written(ws: Path) -> None:
    write(ws / ".gitignore", "/target\n")
    os.link(ws / ".gitignore", ws / "other")
    line = one_line_error(init(ws, "--gitignore"))
    assert "hard links" in line
    assert not (ws / SETTINGS_FILE).exists()  # all or none


@pytest.mark.parametrize("name", [SETTINGS_FILE, ".gitignore"])
def test_a_folder_or_fifo_in_place_of_a_file_is_one_line(ws: Path, name: str) -> None:
    (ws / name).mkdir()
    one_line_error(init(ws, "--gitignore", "--force"))
    (ws / name).rmdir()
    os.mkfifo(ws / name)
    one_line_error(init(ws, "--gitignore", "--force"))
    assert not (ws / SETTINGS_FILE).is_file()


@pytest.mark.parametrize("first", ["/docs/performance/Baseline.md", "docs/performance/Baseline.md"])
def test_gitignore_with_a_byte_order_mark_keeps_it_and_its_first_line_counts(
    ws: Path, first: str
) -> None:
    # git skips a UTF-8 BOM at the start of a .gitignore: its first line is a pattern like any other
    write(ws / ".gitignore", f"\ufeff{first}\r\n/target\r\n".encode())
    git("init", "-q", cwd=ws)
    assert init(ws, "--gitignore").returncode == 0
    data = (ws / ".gitignore").read_bytes()
    assert data.startswith(f"\ufeff{first}\r\n".encode()) and data.count(b"\xef\xbb\xbf") == 1
    assert data.count(b"Baseline.md") == 1, data
    assert data.count(b"\n") == data.count(b"\r\n")
    write(ws / "docs" / "performance" / "baseline.json", "{}")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "docs/performance/baseline.json"], cwd=ws, check=False
    )
    assert ignored.returncode == 0
