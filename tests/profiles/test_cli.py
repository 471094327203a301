"""profiles.apply, profiles.show and nextest.init as users run them: output, exit codes, and files
that stay untouched whenever a run is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import one_line_error, perf, write

MANIFEST = '# the demo\n[workspace]\nmembers = ["crates/a"]  # one\n\n[workspace.package]\nversion = "0.1.0"\n'
MEMBER = '[package]\nname = "a"\nversion.workspace = true\nedition = "2021"\n'


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "Cargo.toml", MANIFEST)
    write(root / "crates" / "a" / "Cargo.toml", MEMBER)
    write(root / "crates" / "a" / "src" / "lib.rs", "")
    return root


def test_dry_run_shows_the_diff_and_writes_nothing(ws: Path) -> None:
    proc = perf("profiles.apply", "--profile", "dev-fast,ci", "--dry-run", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- a/Cargo.toml\n+++ b/Cargo.toml\n")
    assert '+[profile.dev-fast]\n+inherits = "dev"\n+opt-level = 1\n' in proc.stdout
    assert proc.stdout.endswith(
        "dry run: would change Cargo.toml ([profile.dev-fast], [profile.ci]); nothing was written\n"
    )
    assert (ws / "Cargo.toml").read_text() == MANIFEST


def test_apply_writes_once_then_has_nothing_to_do(ws: Path) -> None:
    (ws / "Cargo.toml").chmod(0o600)
    proc = perf("profiles.apply", "--profile", "ci", "--profile", "dev-fast", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "updated Cargo.toml: [profile.ci], [profile.dev-fast]\n"
    text = (ws / "Cargo.toml").read_text()
    assert text.startswith(MANIFEST) and "[profile.ci]\ninherits" in text
    assert (ws / "Cargo.toml").stat().st_mode & 0o777 == 0o600
    again = perf("profiles.apply", "--profile", "ci,dev-fast", "--json", "--root", str(ws))
    report = json.loads(again.stdout)
    assert report["changed"] is False and report["diff"] == ""
    assert (ws / "Cargo.toml").read_text() == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[workspace\nmembers = []\n", "Cargo.toml is not valid TOML"),
        (
            "[workspace]\nmembers = []\n[profile]\nci = { opt-level = 3 }\n",
            "dotted keys or an inline table",
        ),
    ],
    ids=["does-not-parse", "inline-profile"],
)
def test_refused_manifests_stay_untouched(ws: Path, text: str, says: str) -> None:
    write(ws / "Cargo.toml", text)
    line = one_line_error(perf("profiles.apply", "--profile", "ci", "--root", str(ws)))
    assert line.startswith("error: ") and says in line and "nothing was changed" in line
    assert (ws / "Cargo.toml").read_text() == text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "name the profiles to write: --profile dev-fast,ci"),
        (
            ("--profile", "fast"),
            "unknown profile 'fast': use dev-fast, ci, or define [profiles.fast]",
        ),
    ],
)
def test_bad_profile_flags(ws: Path, args: tuple[str, ...], says: str) -> None:
    line = one_line_error(perf("profiles.apply", *args, "--root", str(ws)))
    assert says in line
    assert (ws / "Cargo.toml").read_text() == MANIFEST


def test_profiles_of_the_settings_file(ws: Path) -> None:
    write(
        ws / "perf-tasks.toml",
        '[profiles.lean]\ninherits = "release"\nlto = "thin"\nstrip = true\n',
    )
    proc = perf("profiles.apply", "--profile", "lean", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert (
        (ws / "Cargo.toml")
        .read_text()
        .endswith('\n[profile.lean]\ninherits = "release"\nlto = "thin"\nstrip = true\n')
    )
    write(ws / "perf-tasks.toml", "[profiles.lean]\nlto = 3\n")
    line = one_line_error(perf("profiles.apply", "--profile", "lean", "--root", str(ws)))
    assert "profiles.lean.lto must be true, false" in line
    write(ws / "perf-tasks.toml", "[profiles.mine]\nopt-level = 1\n")
    line = one_line_error(perf("profiles.apply", "--profile", "ci", "--root", str(ws)))
    assert "profiles.mine: a custom profile needs `inherits`" in line


@pytest.mark.cargo
def test_members_profiles_are_named_and_never_written(ws: Path) -> None:
    member = ws / "crates" / "a" / "Cargo.toml"
    write(member, MEMBER + "\n[profile.dev]\nopt-level = 3\n")
    line = one_line_error(perf("profiles.apply", "--profile", "ci", "--root", str(member.parent)))
    assert "is a member of the workspace at" in line and "pass --root" in line
    assert member.read_text() == MEMBER + "\n[profile.dev]\nopt-level = 3\n"
    proc = perf("profiles.apply", "--profile", "ci", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert (
        "warning: crates/a/Cargo.toml has [profile.*] tables: cargo ignores profiles" in proc.stdout
    )
    assert member.read_text() == MEMBER + "\n[profile.dev]\nopt-level = 3\n"


def test_show_as_text_and_json(ws: Path) -> None:
    env = {"CARGO_PROFILE_RELEASE_LTO": "thin", "CARGO_HOME": str(ws / "no-home")}
    proc = perf("profiles.show", "--root", str(ws), "--config", "profile.dev.debug=0", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["dev", "release", "test", "<", "dev", "bench", "<", "release"]
    assert lines[2].split() == ["debug", "0", "[1]", "0", "0", "[1]", "0"]
    assert "[1] --config [profile.dev]" in lines
    assert "[2] CARGO_PROFILE_RELEASE_LTO [profile.release]" in lines
    proc = perf("profiles.show", "--json", "--root", str(ws), env=env)
    lto = json.loads(proc.stdout)["profiles"]["bench"]["values"]["lto"]
    assert lto == {"value": "thin", "source": "CARGO_PROFILE_RELEASE_LTO", "profile": "release"}


NEXTEST = """\
# ours
[store]
dir = "target/nextest"

[profile.default]
retries = 1  # keep

[profile.ci]
retries = 5
slow-timeout = "30s"
"""


def test_nextest_init_merges_and_keeps_the_rest(ws: Path) -> None:
    path = write(ws / ".config" / "nextest.toml", NEXTEST)
    proc = perf("nextest.init", "--dry-run", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert '-retries = 5\n-slow-timeout = "30s"\n+retries = 2\n' in proc.stdout
    assert path.read_text() == NEXTEST
    proc = perf("nextest.init", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == NEXTEST.replace(
        'retries = 5\nslow-timeout = "30s"\n',
        'retries = 2\nslow-timeout = {period = "60s", terminate-after = 3}\nfail-fast = false\n'
        '\n[profile.ci.junit]\npath = "junit.xml"\n',
    )
    again = perf("nextest.init", "--root", str(ws))
    assert (
        again.stdout
        == ".config/nextest.toml already has [profile.ci], [profile.ci.junit]: nothing to change\n"
    )


def test_nextest_init_creates_the_file(ws: Path) -> None:
    proc = perf("nextest.init", "--json", "--root", str(ws))
    report = json.loads(proc.stdout)
    assert report["created"] is True and report["diff"].startswith("--- /dev/null\n")
    text = (ws / ".config" / "nextest.toml").read_text()
    assert text.startswith("[profile.ci]\nfail-fast = false\nretries = 2\n")
    write(ws / ".config" / "nextest.toml", "[profile.ci\n")
    line = one_line_error(perf("nextest.init", "--root", str(ws)))
    assert ".config/nextest.toml is not valid TOML" in line
