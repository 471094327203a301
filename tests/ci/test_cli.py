"""`ci.init` as users run it, on real files in a temporary workspace: what it writes, what it
refuses, --force, --dry-run, --json, and the settings it reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import git, one_line_error, perf, tiny_workspace, write

from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE

FILES = (CI_FILE, MONITORING_FILE)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tiny_workspace(tmp_path / "ws")
    with (root / "Cargo.toml").open("a") as manifest:
        manifest.write(TEAM_PROFILE)
    write(root / "Cargo.lock", "version = 4\n")
    git("init", "-q", cwd=root)
    git("add", "Cargo.lock", cwd=root)
    write(
        root / ".config" / "nextest.toml", '[profile.ci]\n[profile.ci.junit]\npath = "junit.xml"\n'
    )
    write(root / "benches" / "PERFORMANCE_CONTRACT.md", "| metric | bound |\n|--|--|\n")
    return root


TEAM_PROFILE = '\n[profile.ci]\ninherits = "dev"\nopt-level = 1\n'
CHOICES = (
    "the tests build with cargo's [profile.ci] of Cargo.toml "
    "(cargo nextest run --profile ci --cargo-profile ci)\n"
    "the cargo cache is keyed on the OS, the toolchain and **/Cargo.lock\n"
    "CI installs Rust stable (nothing pins one)\n"
)


def init(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return perf("ci.init", "--root", str(ws), "--install", "perf-tasks==0.1.0", *args)


def texts(ws: Path) -> dict[str, str | None]:
    return {f: (ws / f).read_text() if (ws / f).exists() else None for f in FILES}


def test_writes_both_files_then_has_nothing_to_do(ws: Path) -> None:
    proc = init(ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"created {CI_FILE}\ncreated {MONITORING_FILE}\n{CHOICES}"
    written = texts(ws)
    assert all(written.values())
    assert "PERF_TASKS_SPEC: perf-tasks==0.1.0" in str(written[CI_FILE])
    assert sorted(p.name for p in (ws / ".github" / "workflows").iterdir()) == [
        "ci.yml",
        "monitoring.yml",
    ]
    again = init(ws)
    assert again.returncode == 0, again.stderr
    assert again.stdout == (f"{CI_FILE} is up to date\n{MONITORING_FILE} is up to date\n{CHOICES}")
    assert texts(ws) == written


def test_an_existing_file_is_refused_without_force_and_nothing_is_written(ws: Path) -> None:
    write(ws / CI_FILE, "name: ours\n")
    line = one_line_error(init(ws))
    assert line == (
        f"error: {CI_FILE} exists: pass --force to replace (--dry-run shows the diff); "
        "nothing was written"
    )
    assert texts(ws) == {CI_FILE: "name: ours\n", MONITORING_FILE: None}


def test_force_replaces_atomically(ws: Path) -> None:
    write(ws / CI_FILE, "name: ours\n")
    write(ws / MONITORING_FILE, "name: theirs\n")
    proc = init(ws, "--force")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"replaced {CI_FILE}\nreplaced {MONITORING_FILE}\n{CHOICES}"
    assert texts(ws)[CI_FILE] != "name: ours\n"
    assert (
        texts(ws)[CI_FILE] == json.loads(init(ws, "--dry-run", "--json").stdout)["files"][0]["text"]
    )
    # No temporary file or kept copy is left beside them.
    assert sorted(p.name for p in (ws / ".github" / "workflows").iterdir()) == [
        "ci.yml",
        "monitoring.yml",
    ]


def test_dry_run_shows_both_files_and_writes_nothing(ws: Path) -> None:
    proc = init(ws, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        f"==> {CI_FILE} (would create) <==\n# Written by `perf-tasks ci.init`"
    )
    assert f"==> {MONITORING_FILE} (would create) <==\n" in proc.stdout
    assert (
        "      - name: perf-tasks monitor\n"
        "        run: perf-tasks monitor --save docs/performance/ci-record.json\n"
    ) in proc.stdout
    assert proc.stdout.endswith(
        f"dry run: would create {CI_FILE}; create {MONITORING_FILE}; nothing was written\n"
        + CHOICES
    )
    assert not (ws / ".github").exists()


def test_dry_run_shows_the_diff_against_a_file_there(ws: Path) -> None:
    assert init(ws).returncode == 0
    edited = texts(ws)[CI_FILE].replace("timeout-minutes: 60", "timeout-minutes: 5")  # type: ignore[union-attr]
    write(ws / CI_FILE, edited)
    proc = init(ws, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"--- a/{CI_FILE}\n+++ b/{CI_FILE}\n")
    assert "-    timeout-minutes: 5\n+    timeout-minutes: 60\n" in proc.stdout
    assert f"{MONITORING_FILE} is up to date\n" in proc.stdout
    assert proc.stdout.endswith(
        f"would replace {CI_FILE}, needs --force; nothing was written\n{CHOICES}"
    )
    assert texts(ws)[CI_FILE] == edited


def test_json_reports_each_file(ws: Path) -> None:
    write(ws / CI_FILE, "name: ours\n")
    dry = init(ws, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["ok"] is True and report["dry_run"] is True
    assert report["install"] == "perf-tasks==0.1.0"
    ci, mon = report["files"]
    assert (ci["file"], ci["action"], ci["needs_force"], ci["written"]) == (
        CI_FILE,
        "replace",
        True,
        False,
    )
    assert ci["diff"].startswith(f"--- a/{CI_FILE}\n")
    assert (mon["file"], mon["action"], mon["written"], mon["diff"]) == (
        MONITORING_FILE,
        "create",
        False,
        "",
    )
    assert mon["text"].startswith("# Written by")
    assert report["notes"] == []  # this workspace has all the workflows need
    refused = init(ws, "--json")
    assert refused.returncode == 2
    error = json.loads(refused.stdout)
    assert error["ok"] is False and error["error"]["kind"] == "file_exists"
    forced = json.loads(init(ws, "--json", "--force").stdout)
    assert [f["written"] for f in forced["files"]] == [True, True]
    assert [f["action"] for f in forced["files"]] == ["replace", "create"]


def test_notes_say_what_the_workspace_still_needs(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "bare")
    proc = perf("ci.init", "--root", str(root), "--dry-run", "--json")
    notes = " | ".join(json.loads(proc.stdout)["notes"])
    assert "CI installs perf-tasks as 'perf-tasks==" in notes  # the default: this version
    assert "run `perf-tasks nextest.init`" in notes
    assert (
        "there is no Cargo.lock: CI has none to hash, so the cache key hashes the manifests"
        in notes
    )
    assert "no [profile.ci] in Cargo.toml: CI builds the tests with cargo's dev profile" in notes
    assert "GitHub reads workflows only from .github/workflows at the top" in notes
    assert "no benches/PERFORMANCE_CONTRACT.md: the perf job's `perf-tasks gate` fails" in notes


def test_settings_choose_what_ci_installs_and_where_the_monitor_writes(ws: Path) -> None:
    write(
        ws / "perf-tasks.toml",
        '[ci]\ninstall = "perf-tasks @ git+https://example.com/p.git@abc"\n'
        'cron = "0 2 * * 1"\npython = "3.11"\n'
        '[monitor]\ndir = "perf/monitor"\nchart = "trend.png"\n',
    )
    report = json.loads(perf("ci.init", "--root", str(ws), "--dry-run", "--json").stdout)
    ci, mon = (f["text"] for f in report["files"])
    assert "PERF_TASKS_SPEC: perf-tasks @ git+https://example.com/p.git@abc\n" in ci
    assert "python-version: '3.11'" in ci
    # The workflow caches and uploads where the monitor writes: its [monitor] dir and chart.
    assert "path: perf/monitor/history.jsonl\n" in mon and "cron: '0 2 * * 1'" in mon
    assert "perf/monitor/trend.png\n" in mon and "trend.svg" not in mon
    # The flag wins over the setting.
    flagged = json.loads(init(ws, "--dry-run", "--json").stdout)
    assert flagged["install"] == "perf-tasks==0.1.0"


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[ci]\ncron = "daily"\n', "ci.cron = 'daily' is not a cron line of 5 fields"),
        ('[ci]\nrust_paths = ["src|x"]\n', "ci.rust_paths[0] = 'src|x' holds a character"),
        ('[ci]\ninstall = "${{ github.token }}"\n', "ci.install"),
        ('[ci]\nmonitor_dir = "../out"\n', "ci.monitor_dir = '../out' leaves the workspace root"),
        (
            '[ci]\nmonitor_dir = "perf/monitor"\n',
            "ci.monitor_dir = 'perf/monitor' but perf-tasks monitor writes to [monitor] dir = "
            "'docs/performance/monitor': set [monitor] dir",
        ),
        ("[ci]\nbranches = []\n", "ci.branches is empty"),
        (
            '[baseline]\ndir = "docs/${{ github.token }}"\n',
            "baseline.dir = 'docs/${{ github.token }}' holds '${{' or a control character",
        ),
    ],
    ids=["cron", "pattern", "expression", "outside", "not-the-monitors", "no-branch", "dir-expr"],
)
def test_bad_settings_are_one_line_and_exit_2(ws: Path, toml: str, says: str) -> None:
    write(ws / "perf-tasks.toml", toml)
    line = one_line_error(init(ws))
    assert line.startswith("error: ") and says in line
    assert not (ws / ".github").exists()


def test_a_bad_install_flag_and_a_root_without_cargo_toml(ws: Path, tmp_path: Path) -> None:
    line = one_line_error(perf("ci.init", "--root", str(ws), "--install", "a ${{ b }}"))
    assert "--install = 'a ${{ b }}' is not a pip requirement" in line
    line = one_line_error(perf("ci.init", "--root", str(tmp_path)))
    assert line == f"error: no Cargo.toml in {tmp_path}: point --root at the workspace's root"


def test_the_junit_upload_follows_nextests_config(ws: Path) -> None:
    write(
        ws / ".config" / "nextest.toml",
        '[store]\ndir = "out/nextest"\n[profile.ci]\n[profile.ci.junit]\npath = "reports/j.xml"\n',
    )
    report = json.loads(init(ws, "--dry-run", "--json").stdout)
    assert "          path: out/nextest/ci/reports/j.xml\n" in report["files"][0]["text"]


@pytest.mark.parametrize(
    ("link", "to"),
    [
        (".github", "elsewhere"),  # a folder out of the root: never written through
        (".github/workflows", "missing"),
        (CI_FILE, "missing.yml"),  # a dangling link: never replaced by a file
    ],
)
def test_a_symlink_on_the_way_is_refused_and_nothing_is_written(
    ws: Path, tmp_path: Path, link: str, to: str
) -> None:
    target = tmp_path / to
    if to == "elsewhere":
        target.mkdir()
    (ws / link).parent.mkdir(parents=True, exist_ok=True)
    (ws / link).symlink_to(target)
    for args in ((), ("--force",)):
        line = one_line_error(init(ws, *args))
        assert line == (
            f"error: {link} is a symlink: GitHub reads workflows from the repository's own files; "
            "replace the link with a real folder or file, then run ci.init again"
        )
    assert (ws / link).is_symlink()
    assert not target.exists() or not any(target.iterdir())


ACTION_SHA = "d" * 40


def test_use_action_writes_workflows_that_use_it(ws: Path) -> None:
    proc = perf("ci.init", "--root", str(ws), "--use-action", f"example/perf-tasks@{ACTION_SHA}")
    assert proc.returncode == 0, proc.stderr
    text = (ws / CI_FILE).read_text()
    assert text.count(f"uses: example/perf-tasks@{ACTION_SHA}\n") == 2
    assert "pip install" not in text
    assert f"uses: example/perf-tasks@{ACTION_SHA}\n" in (ws / MONITORING_FILE).read_text()
    assert "CI installs perf-tasks as" not in proc.stdout + proc.stderr  # the action decides
    doc = json.loads(
        perf(
            "ci.init", "--root", str(ws), "--use-action", f"o/r@{ACTION_SHA}", "--dry-run", "--json"
        ).stdout
    )
    assert doc["action"] == f"o/r@{ACTION_SHA}"


@pytest.mark.parametrize(
    "ref",
    [
        "example/perf-tasks@v1",  # a tag can be moved to other code
        "example/perf-tasks@main",
        "perf-tasks@" + "d" * 40,  # no owner
        "./",  # a local action is not in the user's repository
        "example/perf-tasks@" + "d" * 39,
        "example/perf-tasks@${{ github.sha }}",
        "example/perf tasks@" + "d" * 40,
    ],
)
def test_use_action_needs_an_action_pinned_to_a_commit(ws: Path, ref: str) -> None:
    line = one_line_error(perf("ci.init", "--root", str(ws), "--use-action", ref))
    assert "is not an action pinned to a commit" in line
    assert not (ws / ".github").exists()


@pytest.mark.parametrize(
    "install", ["perf-tasks==0.1.0", "./wheels/perf_tasks-0.1.0-py3-none-any.whl"]
)
def test_install_and_use_action_do_not_go_together(ws: Path, install: str) -> None:
    proc = perf(
        "ci.init", "--root", str(ws), "--install", install, "--use-action", f"o/r@{ACTION_SHA}"
    )
    assert "--install and --use-action do not go together" in one_line_error(proc)
    assert not (ws / ".github").exists()
