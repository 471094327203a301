"""What `ci.init` takes from the workspace, through the real CLI on real files and real git: the
team's cargo `ci` profile, whether git carries Cargo.lock (the cache key), and the pinned toolchain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import git, one_line_error, perf, tiny_workspace, write

from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE

TEAM_PROFILE = '\n[profile.ci]\ninherits = "dev"\nopt-level = 1\n'
LOCK_KEY = "${{ runner.os }}-cargo-${{ steps.toolchain.outputs.rustc }}-${{ hashFiles(%s) }}"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "Cargo.lock", "version = 4\n")
    write(root / ".config" / "nextest.toml", "[profile.ci]\n")
    git("init", "-q", cwd=root)
    return root


def dry_run(root: Path) -> dict[str, Any]:
    proc = perf("ci.init", "--root", str(root), "--install", "perf-tasks==1", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    report["ci"], report["monitoring"] = (yaml.safe_load(f["text"]) for f in report["files"])
    return report


def rust_jobs(report: dict[str, Any]) -> list[dict[str, Any]]:
    ci, mon = report["ci"]["jobs"], report["monitoring"]["jobs"]
    return [ci["test"], ci["perf"], mon["monitor"]]


def cargo_keys(report: dict[str, Any]) -> set[str]:
    return {
        s["with"]["key"]
        for job in rust_jobs(report)
        for s in job["steps"]
        if s.get("id") == "cargo-cache"
    }


def nextest_line(report: dict[str, Any]) -> str:
    test = report["ci"]["jobs"]["test"]
    script = next(s["run"] for s in test["steps"] if s.get("name") == "cargo nextest run")
    line = next(x for x in script.splitlines() if x.startswith("cargo nextest run"))
    # What follows is tests.affected's selection (tests/ci/test_affected_step.py)
    return line.removesuffix(' --no-tests=pass -E "$filter"')


# ------------------------------------------------------------------------ the team's profile


@pytest.mark.parametrize("where", ["Cargo.toml", ".cargo/config.toml"])
def test_the_teams_cargo_profile_builds_the_tests(ws: Path, where: str) -> None:
    if where == "Cargo.toml":
        with (ws / "Cargo.toml").open("a") as manifest:
            manifest.write(TEAM_PROFILE)
    else:
        write(ws / where, TEAM_PROFILE)
    report = dry_run(ws)
    assert nextest_line(report) == "cargo nextest run --workspace --profile ci --cargo-profile ci"
    text = report["files"][0]["text"]
    assert "# Two profiles named alike: --profile ci is nextest's ([profile.ci] of" in text
    assert "--cargo-profile ci is cargo's ([profile.ci] of the\n" in text
    assert report["cargo_profile"] == "ci"
    assert report["choices"][0] == (
        f"the tests build with cargo's [profile.ci] of {where} "
        "(cargo nextest run --profile ci --cargo-profile ci)"
    )
    assert not any("[profile.ci]" in note for note in report["notes"])


@pytest.mark.parametrize("manifest", ["", '\n[profile.ci-fast]\ninherits = "dev"\n'])
def test_without_the_profile_the_tests_build_as_before_and_the_result_says_so(
    ws: Path, manifest: str
) -> None:
    with (ws / "Cargo.toml").open("a") as f:
        f.write(manifest)
    report = dry_run(ws)
    assert nextest_line(report) == "cargo nextest run --workspace --profile ci"
    assert report["cargo_profile"] is None
    assert "the workspace has no [profile.ci]" in report["choices"][0]
    assert any(
        note.startswith("no [profile.ci] in Cargo.toml: CI builds the tests with cargo's dev")
        and "perf-tasks profiles.apply --profile ci" in note
        for note in report["notes"]
    )


def test_the_profile_written_by_profiles_apply_is_found(ws: Path) -> None:
    applied = perf("profiles.apply", "--root", str(ws), "--profile", "ci")
    assert applied.returncode == 0, applied.stderr
    assert "--cargo-profile ci" in nextest_line(dry_run(ws))


# ------------------------------------------------------------------------ the cache key


def test_a_committed_lock_file_keys_the_cache(ws: Path) -> None:
    git("add", "Cargo.lock", cwd=ws)
    report = dry_run(ws)
    assert cargo_keys(report) == {LOCK_KEY % "'**/Cargo.lock'"}
    assert report["cargo_lock"] == "tracked"
    assert not any("Cargo.lock" in note for note in report["notes"])


@pytest.mark.parametrize(
    ("setup", "state", "says"),
    [
        (lambda ws: write(ws / ".gitignore", "/target\nCargo.lock\n"), "ignored", "git ignores"),
        (
            lambda ws: write(ws / ".git" / "info" / "exclude", "Cargo.lock\n"),
            "ignored",
            "git ignores",
        ),
        (lambda ws: None, "untracked", "Cargo.lock is not committed"),
        (lambda ws: (ws / "Cargo.lock").unlink(), "missing", "there is no Cargo.lock"),
    ],
    ids=["gitignore", "info-exclude", "untracked", "missing"],
)
def test_a_lock_file_git_does_not_carry_keys_on_the_manifests(
    ws: Path, setup: Any, state: str, says: str
) -> None:
    setup(ws)
    report = dry_run(ws)
    assert cargo_keys(report) == {LOCK_KEY % "'**/Cargo.toml'"}
    assert report["cargo_lock"] == state
    assert report["choices"][1] == (
        f"the cargo cache is keyed on the OS, the toolchain and **/Cargo.toml ({says} Cargo.lock)"
        if state == "ignored"
        else f"the cargo cache is keyed on the OS, the toolchain and **/Cargo.toml ({says})"
    )
    assert any(
        note.startswith(says) and "the cache key hashes the manifests" in note
        for note in report["notes"]
    )
    for text in (f["text"] for f in report["files"]):
        assert "# Cargo.lock is not committed, so CI has none to hash.\n" in text


def test_the_text_run_says_what_the_key_follows(ws: Path) -> None:
    write(ws / ".gitignore", "Cargo.lock\n")
    proc = perf("ci.init", "--root", str(ws), "--install", "perf-tasks==1")
    assert proc.returncode == 0, proc.stderr
    assert (
        "the cargo cache is keyed on the OS, the toolchain and **/Cargo.toml "
        "(git ignores Cargo.lock)\n"
    ) in proc.stdout
    assert "warning: git ignores Cargo.lock: CI has none to hash" in proc.stdout
    assert "hashFiles('**/Cargo.toml')" in (ws / CI_FILE).read_text()
    assert "hashFiles('**/Cargo.toml')" in (ws / MONITORING_FILE).read_text()


# ------------------------------------------------------------------------ the toolchain


def toolchain_steps(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in rust_jobs(report) for s in job["steps"] if s.get("id") == "toolchain"]


@pytest.mark.parametrize(
    ("name", "text", "channel", "flags"),
    [
        (
            "rust-toolchain.toml",
            '[toolchain]\nchannel = "1.78.0"\ncomponents = ["clippy", "rustfmt"]\n',
            "1.78.0",
            "--component clippy --component rustfmt",
        ),
        ("rust-toolchain", "nightly-2024-05-01\n", "nightly-2024-05-01", ""),
        (
            "rust-toolchain",
            '[toolchain]\nchannel = "1.80"\ntargets = ["wasm32-unknown-unknown"]\n',
            "1.80",
            "--target wasm32-unknown-unknown",
        ),
    ],
    ids=["toml", "legacy-line", "legacy-toml"],
)
def test_the_pinned_toolchain_is_installed_and_keys_the_cache(
    ws: Path, name: str, text: str, channel: str, flags: str
) -> None:
    git("add", "Cargo.lock", cwd=ws)
    write(ws / name, text)
    report = dry_run(ws)
    steps = toolchain_steps(report)
    assert len(steps) == 3
    for step in steps:
        assert step["env"] == {"TOOLCHAIN": channel}
        assert step["run"].startswith(
            f'rustup toolchain install "$TOOLCHAIN" --profile minimal --no-self-update {flags}'.rstrip()
            + "\n"
        )
        assert "rustup default" not in step["run"]  # the pin in the checkout selects it
    assert cargo_keys(report) == {LOCK_KEY % f"'{name}', '**/Cargo.lock'"}
    assert report["toolchain"] == channel and report["toolchain_file"] == name
    assert report["choices"][2] == f"CI installs Rust {channel} (pinned by {name})"


def test_with_no_pin_ci_installs_stable_and_keys_on_its_version(ws: Path) -> None:
    report = dry_run(ws)
    for step in toolchain_steps(report):
        assert step["env"] == {"TOOLCHAIN": "stable"}
        assert 'rustup default "$TOOLCHAIN"\n' in step["run"]
        assert 'echo "rustc=$(rustc -V' in step["run"]
    assert report["choices"][2] == "CI installs Rust stable (nothing pins one)"


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("rust-toolchain.toml", '[toolchain]\npath = "/opt/rust"\n', "toolchain.path names a"),
        ("rust-toolchain.toml", '[toolchain]\nchannel = "1.78 $(x)"\n', "toolchain.channel = "),
        ("rust-toolchain", "[toolchain\n", "rust-toolchain: not valid TOML"),
        ("rust-toolchain.toml", 'channel = "1.78"\n', "no [toolchain] table"),
        (
            "rust-toolchain.toml",
            '[toolchain]\nchannel = "1.78"\ncomponents = "clippy"\n',
            "toolchain.components = 'clippy' is not a list",
        ),
    ],
    ids=["path", "shell", "not-toml", "no-table", "components-string"],
)
def test_a_pin_ci_cannot_install_is_one_line_and_exit_2(
    ws: Path, name: str, text: str, says: str
) -> None:
    write(ws / name, text)
    line = one_line_error(perf("ci.init", "--root", str(ws), "--install", "perf-tasks==1"))
    assert line.startswith(f"error: {name}: ") and says in line
    assert not (ws / ".github").exists()


@pytest.mark.parametrize("kind", ["fifo", "not-utf8", "folder"])
def test_a_toolchain_file_that_cannot_be_read_is_one_line_never_a_hang(ws: Path, kind: str) -> None:
    path = ws / "rust-toolchain.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b'[toolchain]\nchannel = "1.78\xff"\n')
    proc = perf("ci.init", "--root", str(ws), "--install", "perf-tasks==1", timeout=60)
    line = one_line_error(proc)
    assert line.startswith("error: cannot read rust-toolchain.toml: "), line
    assert not (ws / ".github").exists()


def test_a_toolchain_file_with_a_byte_order_mark_is_read(ws: Path) -> None:
    (ws / "rust-toolchain.toml").write_bytes(b'\xef\xbb\xbf[toolchain]\nchannel = "1.79.0"\n')
    assert dry_run(ws)["toolchain"] == "1.79.0"
