"""`perf-tasks doctor` as users run it, on copies of the built demo workspace: each planted
problem is found with its priority and exact fix, and is gone once the fix is applied."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import du, one_line_error, perf, write

pytestmark = [pytest.mark.cargo]


def doctor(ws: Path, *args: str) -> tuple[int, dict[str, Any]]:
    proc = perf("doctor", "--json", "--root", str(ws), *args)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def found(report: dict[str, Any], ident: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["id"] == ident]


def only(report: dict[str, Any], ident: str) -> dict[str, Any]:
    hits = found(report, ident)
    assert len(hits) == 1, [f["id"] for f in report["findings"]]
    return hits[0]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# ------------------------------------------------------------------------- parallelism off


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RUST_TEST_THREADS", '"1"'),
        ("RUST_TEST_THREADS", '{ value = "1", force = true }'),
        ("NEXTEST_TEST_THREADS", '"1"'),
    ],
)
def test_one_test_thread_in_cargo_env_is_an_error_until_removed(
    demo_copy: Path, name: str, value: str
) -> None:
    config = write(demo_copy / ".cargo" / "config.toml", f"[build]\n\n[env]\n{name} = {value}\n")
    code, report = doctor(demo_copy)
    f = only(report, "tests.parallelism-off")
    assert (code, f["priority"], f["level"]) == (1, "P1", "error")
    assert f["evidence"][0]["source"] == ".cargo/config.toml"
    assert f["evidence"][0]["line"] == 4
    assert f["fix"].startswith(f"remove `{name}` from [env] in .cargo/config.toml (line 4)")

    config.write_text("[build]\n\n[env]\n")  # the fix
    code, report = doctor(demo_copy)
    assert not found(report, "tests.parallelism-off")
    assert code == 0, report["findings"]


@pytest.mark.parametrize(
    ("profile", "level"), [("default", "error"), ("ci", "error"), ("local", "warning")]
)
def test_one_test_thread_in_a_nextest_profile_is_found_until_removed(
    demo_copy: Path, profile: str, level: str
) -> None:
    config = write(
        demo_copy / ".config" / "nextest.toml",
        f"[profile.{profile}]\nretries = 0\ntest-threads = 1\n",
    )
    code, report = doctor(demo_copy)
    f = only(report, "tests.parallelism-off")
    assert (f["priority"], f["level"]) == ("P1", level)
    assert code == (1 if level == "error" else 0)
    assert f["evidence"][0] == {
        "text": f"[profile.{profile}] test-threads = 1",
        "source": ".config/nextest.toml",
        "line": 3,
    }
    assert f["fix"].startswith(
        f"remove `test-threads = 1` from [profile.{profile}] in .config/nextest.toml (line 3)"
    )

    edit(config, "test-threads = 1\n", "")
    _, report = doctor(demo_copy)
    assert not found(report, "tests.parallelism-off")


# ------------------------------------------------------------------- ignored tests that run


@pytest.mark.parametrize(
    ("where", "text", "line", "flag"),
    [
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    steps:\n      - run: cargo test -- --include-ignored\n",
            5,
            "--include-ignored",
        ),
        (
            "scripts/test.sh",
            "#!/bin/sh\ncargo nextest run --run-ignored all\n",
            2,
            "--run-ignored all",
        ),
        (
            ".cargo/config.toml",
            '[alias]\nt-all = "test -- --include-ignored"\n',
            2,
            "--include-ignored",
        ),
    ],
)
def test_ignored_tests_run_anyway_are_found_until_the_flag_goes(
    demo_copy: Path, where: str, text: str, line: int, flag: str
) -> None:
    path = write(demo_copy / where, text)
    code, report = doctor(demo_copy)
    f = only(report, "tests.ignored-run")
    assert (code, f["priority"], f["level"]) == (1, "P1", "error")
    assert (f["evidence"][0]["source"], f["evidence"][0]["line"]) == (where, line)
    assert f["fix"].startswith(f"remove `{flag}` from {where} line {line}")

    edit(path, f" {flag}" if "alias" not in text else f" -- {flag}", "")
    code, report = doctor(demo_copy)
    assert not found(report, "tests.ignored-run")


def test_run_ignored_default_and_a_commented_flag_are_not_findings(demo_copy: Path) -> None:
    write(
        demo_copy / ".github" / "workflows" / "ci.yml",
        "on: push\njobs:\n  t:\n    steps:\n"
        "      # - run: cargo test -- --include-ignored\n"
        "      - run: cargo nextest run --run-ignored default\n",
    )
    _, report = doctor(demo_copy)
    assert not found(report, "tests.ignored-run")


# ------------------------------------------------------------------------------------ disk


def plant_stale_unit(ws: Path, size: int = 400_000) -> Path:
    """A unit of a hash no configured command builds (as an old toolchain or flags leave)."""
    deps = ws / "target" / "debug" / "deps"
    with (deps / "libdemo_core-0123456789abcdef.rlib").open("wb") as f:
        f.write(b"\x5a" * size)
    return deps / "libdemo_core-0123456789abcdef.rlib"


def test_a_target_dir_over_a_small_budget_with_stale_units_until_clean_target(
    demo_copy: Path,
) -> None:
    stale = plant_stale_unit(demo_copy)
    target = du(demo_copy / "target")
    budget = target - du(stale) // 2  # over it now, under it once the stale unit is gone
    write(demo_copy / "perf-tasks.toml", f"[budgets]\ntarget = {budget}\n")
    code, report = doctor(demo_copy)
    over = only(report, "disk.target-over-budget")
    assert (code, over["priority"], over["level"]) == (1, "P1", "error")
    assert over["fix"] == "perf-tasks clean.target"
    assert over["impact"]["bytes"] == target - budget
    assert over["impact"]["measured"] is True
    stale_finding = only(report, "disk.stale-units")
    assert stale_finding["fix"] == "perf-tasks clean"
    assert stale_finding["impact"]["bytes"] >= du(stale)
    assert stale.exists(), "doctor deletes nothing"

    proc = perf("clean.target", "--root", str(demo_copy))  # the fix, as doctor wrote it
    assert proc.returncode == 0, proc.stderr
    code, report = doctor(demo_copy)
    assert not found(report, "disk.target-over-budget")
    assert not found(report, "disk.stale-units")


@pytest.mark.parametrize("debug", ["2", "true", '"full"'])
def test_dev_debug_info_with_a_tight_budget_until_debug_is_0(demo_copy: Path, debug: str) -> None:
    manifest = demo_copy / "Cargo.toml"
    manifest.write_text(manifest.read_text() + f"\n[profile.dev]\ndebug = {debug}\n")
    line = manifest.read_text().split("\n").index(f"debug = {debug}") + 1
    write(demo_copy / "perf-tasks.toml", '[budgets]\ntarget = "1 MB"\n')
    _, report = doctor(demo_copy)
    f = only(report, "disk.dev-debug")
    assert (f["priority"], f["level"]) == ("P2", "warning")
    assert f["evidence"][0] == {
        "text": f"[profile.dev] debug = {debug}",
        "source": "Cargo.toml",
        "line": line,
    }
    assert f["fix"] == f"set `debug = 0` under [profile.dev] in Cargo.toml (line {line})"
    incremental = only(report, "disk.dev-incremental")  # cargo's default for dev: on
    assert incremental["evidence"][0]["source"] == "cargo's default"
    assert incremental["fix"] == "set `incremental = false` under [profile.dev] in Cargo.toml"
    assert incremental["impact"]["measured"] is True and incremental["impact"]["bytes"] > 0

    edit(manifest, f"debug = {debug}\n", "debug = 0\n")
    _, report = doctor(demo_copy)
    assert not found(report, "disk.dev-debug")


def test_dev_debug_info_with_room_to_spare_is_no_finding(demo_copy: Path) -> None:
    _, report = doctor(demo_copy)
    assert not found(report, "disk.dev-debug")
    assert not found(report, "disk.dev-incremental")


# ---------------------------------------------------------------------------------- builds


def test_the_ci_profile_missing_until_profiles_apply(demo_copy: Path) -> None:
    _, report = doctor(demo_copy)
    missing = {f["evidence"][0]["text"]: f for f in found(report, "builds.profile-missing")}
    f = missing["no [profile.ci] in Cargo.toml"]
    assert (f["priority"], f["level"]) == ("P2", "warning")
    assert f["fix"] == "perf-tasks profiles.apply --profile ci"

    proc = perf("profiles.apply", "--profile", "ci", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    _, report = doctor(demo_copy)
    texts = [f["evidence"][0]["text"] for f in found(report, "builds.profile-missing")]
    assert texts == ["no [profile.dev-fast] in Cargo.toml"]
    assert not found(report, "builds.profile-differs")


def test_a_ci_profile_with_debug_info_and_lto_is_found(demo_copy: Path) -> None:
    manifest = demo_copy / "Cargo.toml"
    manifest.write_text(
        manifest.read_text()
        + '\n[profile.ci]\ninherits = "dev"\nincremental = true\ndebug = 1\nopt-level = 1\n'
        'lto = "thin"\n'
    )
    _, report = doctor(demo_copy)
    assert only(report, "builds.ci-debug-info")["fix"].startswith(
        "set `debug = 0` under [profile.ci] in Cargo.toml"
    )
    lto = only(report, "builds.lto-in-dev")
    assert lto["fix"].startswith('remove `lto = "thin"` from [profile.ci] in Cargo.toml (line')
    assert not found(report, "builds.profile-differs")


# --------------------------------------------------------------------- the untouched demo


def test_the_demo_after_the_tools_own_setup_has_no_error(demo_copy: Path) -> None:
    for args in (("profiles.apply", "--profile", "dev-fast,ci"), ("nextest.init",), ("ci.init",)):
        proc = perf(*args, "--root", str(demo_copy))
        assert proc.returncode == 0, (args, proc.stderr)
    code, report = doctor(demo_copy)
    errors = [f for f in report["findings"] if f["level"] == "error"]
    assert (code, errors) == (0, [])
    assert report["ok"] is True
    assert not found(report, "builds.profile-missing")


# ---------------------------------------------------------------- silence, text, bad usage


def test_a_silenced_finding_is_not_counted_and_its_reason_is_printed(demo_copy: Path) -> None:
    write(demo_copy / ".cargo" / "config.toml", '[env]\nRUST_TEST_THREADS = "1"\n')
    write(
        demo_copy / "perf-tasks.toml",
        '[doctor]\nsilence = [{ id = "tests.parallelism-off", reason = "shared fixture DB" }]\n',
    )
    code, report = doctor(demo_copy)
    assert code == 0
    assert not found(report, "tests.parallelism-off")
    assert [s["silenced"] for s in report["silenced"]] == ["shared fixture DB"]

    proc = perf("doctor", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    assert "silenced: tests.parallelism-off (error): shared fixture DB" in proc.stdout


def test_text_output_in_a_log_is_plain_lines_with_the_fix(demo_copy: Path) -> None:
    write(demo_copy / ".cargo" / "config.toml", '[env]\nRUST_TEST_THREADS = "1"\n')
    proc = perf("doctor", "--root", str(demo_copy))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("P1 error   tests.parallelism"))
    assert lines[head + 1] == (
        "    evidence: .cargo/config.toml:2: RUST_TEST_THREADS = '1' in [env]"
    )
    assert any(ln.startswith("    fix:      remove `RUST_TEST_THREADS`") for ln in lines)
    assert "1 error" in lines[-1]


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ('[doctor]\nsilence = [{ id = "x", reason = "r" }]\n', "doctor.silence[0].id"),
        ('[doctor]\nsilence = [{ id = "disk.dev-debug" }]\n', "has no reason"),
        ('[doctor]\nsilence = [{ id = "disk.dev-debug", reason = "" }]\n', "is empty"),
        ("[doctor]\nsilence = 3\n", "doctor.silence must be a list of tables"),
        # one id twice: which reason doctor prints would be a guess
        (
            '[doctor]\nsilence = [{ id = "disk.dev-debug", reason = "a" },'
            ' { id = "disk.dev-debug", reason = "b" }]\n',
            "doctor.silence[1].id = 'disk.dev-debug' is already in doctor.silence[0]",
        ),
        (
            '[[doctor.silence]]\nid = "ci.zizmor"\nreason = "a"\n'
            '[[doctor.silence]]\nid = "ci.actionlint"\nreason = "b"\n'
            '[[doctor.silence]]\nid = "ci.zizmor"\nreason = "a"\n',
            "doctor.silence[2].id = 'ci.zizmor' is already in doctor.silence[0]",
        ),
    ],
)
def test_a_bad_silence_is_one_line_and_exit_2(tmp_path: Path, settings: str, says: str) -> None:
    ws = tmp_path / "ws"
    write(ws / "Cargo.toml", '[package]\nname = "w"\nversion = "0.1.0"\n')
    write(ws / "perf-tasks.toml", settings)
    assert says in one_line_error(perf("doctor", "--root", str(ws)))
    proc = perf("doctor", "--json", "--root", str(ws))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["kind"] == "config"


def test_invoke_doctor_runs_the_same_command(demo_copy: Path) -> None:
    write(demo_copy / ".cargo" / "config.toml", '[env]\nRUST_TEST_THREADS = "1"\n')
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "invoke", "doctor", "--json", "--root", str(demo_copy)],
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert only(json.loads(proc.stdout), "tests.parallelism-off")["level"] == "error"


@pytest.mark.parametrize(
    "include",
    [
        'include = ["ci.toml"]',
        '[[include]]\npath = "ci.toml"\noptional = true',
    ],
)
def test_one_thread_in_a_config_file_that_cargo_includes(demo_copy: Path, include: str) -> None:
    write(demo_copy / ".cargo" / "config.toml", f"{include}\n")
    write(demo_copy / ".cargo" / "ci.toml", '[env]\nRUST_TEST_THREADS = "1"\n')
    code, report = doctor(demo_copy)
    f = only(report, "tests.parallelism-off")
    assert (code, f["evidence"][0]["source"], f["evidence"][0]["line"]) == (
        1,
        ".cargo/ci.toml",
        2,
    )


def test_a_folder_without_cargo_toml_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert "no Cargo.toml" in one_line_error(perf("doctor", "--root", str(tmp_path)))


def test_a_member_crate_as_root_is_one_line_naming_the_workspace(demo_copy: Path) -> None:
    member = demo_copy / "crates" / "demo-core"
    line = one_line_error(perf("doctor", "--root", str(member)))
    assert "is a member of the workspace at" in line and f"--root {demo_copy}" in line


def test_a_ci_profile_that_differs_is_found_until_profiles_apply(demo_copy: Path) -> None:
    manifest = demo_copy / "Cargo.toml"
    manifest.write_text(
        manifest.read_text()
        + '\n[profile.ci]\ninherits = "dev"\nincremental = true\nopt-level = 0\n'
    )
    line = manifest.read_text().split("\n").index("opt-level = 0") + 1
    _, report = doctor(demo_copy)
    f = only(report, "builds.profile-differs")
    assert (f["priority"], f["level"], f["fix"]) == (
        "P2",
        "warning",
        "perf-tasks profiles.apply --profile ci",
    )
    assert f["evidence"] == [
        {
            "text": "[profile.ci] opt-level = 0 (the team's: 1)",
            "source": "Cargo.toml",
            "line": line,
        }
    ]
    proc = perf("profiles.apply", "--profile", "ci", "--root", str(demo_copy))
    assert proc.returncode == 0, proc.stderr
    _, report = doctor(demo_copy)
    assert not found(report, "builds.profile-differs")
    assert not found(report, "builds.ci-debug-info")


def test_a_ci_profile_in_cargos_config_counts_and_its_line_is_given(demo_copy: Path) -> None:
    write(
        demo_copy / ".cargo" / "config.toml",
        '[profile.ci]\ninherits = "dev"\nincremental = true\ndebug = 0\nopt-level = 3\n',
    )
    _, report = doctor(demo_copy)
    texts = [f["evidence"][0]["text"] for f in found(report, "builds.profile-missing")]
    assert texts == ["no [profile.dev-fast] in Cargo.toml, .cargo/config.toml"]
    f = only(report, "builds.profile-differs")
    assert f["evidence"][0]["source"] == ".cargo/config.toml"
    assert f["evidence"][0]["line"] == 5
    # cargo reads its config over Cargo.toml: profiles.apply would not change what it builds
    assert f["fix"] == "set `opt-level = 1` under [profile.ci] in .cargo/config.toml (line 5)"
    edit(demo_copy / ".cargo" / "config.toml", "opt-level = 3", "opt-level = 1")
    _, report = doctor(demo_copy)
    assert not found(report, "builds.profile-differs")


def test_ci_audits_findings_are_doctors_ci_section_until_ci_audit_fix(demo_copy: Path) -> None:
    """Two jobs with different cache keys and no restore-keys, an upload without retention-days:
    found by ci.audit, shown by doctor with ci.audit's priority and fix, gone after `--fix`."""
    cache = (
        "      - uses: actions/cache@v4\n"
        "        with:\n"
        "          path: |\n            ~/.cargo/registry\n            target\n"
        "          key: {key}\n"
    )
    write(
        demo_copy / ".github" / "workflows" / "ci.yml",
        "on:\n  pull_request:\n    paths: ['**.rs', 'Cargo.lock', '.cargo/**', 'rust-toolchain*']\n"
        "jobs:\n"
        "  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        + cache.format(key="build-${{ hashFiles('Cargo.lock') }}")
        + "      - run: cargo build\n"
        "  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        + cache.format(key="test-${{ runner.os }}")
        + "      - run: cargo nextest run --include-ignored\n"
        "      - uses: actions/upload-artifact@v4\n"
        "        with:\n          name: junit\n          path: target/nextest/ci/junit.xml\n",
    )
    _, report = doctor(demo_copy)
    ids = {f["id"] for f in report["findings"]}
    assert {"ci.cache-key-differs", "ci.cache-no-restore-keys", "ci.upload-no-retention"} <= ids
    assert "ci.include-ignored" not in ids  # shown once, as tests.ignored-run
    assert only(report, "tests.ignored-run")["evidence"][0]["source"] == ".github/workflows/ci.yml"
    upload = only(report, "ci.upload-no-retention")
    assert (upload["priority"], upload["evidence"][0]["source"]) == (
        "P1",
        ".github/workflows/ci.yml",
    )

    fixed = perf("ci.audit", "--fix", "--root", str(demo_copy))
    assert fixed.returncode in (0, 1), fixed.stderr
    _, report = doctor(demo_copy)
    ids = {f["id"] for f in report["findings"]}
    assert not ids & {"ci.cache-key-differs", "ci.cache-no-restore-keys", "ci.upload-no-retention"}


@pytest.mark.parametrize("kind", ["a folder", "a FIFO"])
def test_a_nextest_config_that_is_not_a_file_is_one_line_not_ignored(
    tmp_path: Path, kind: str
) -> None:
    # nextest refuses to run over it: doctor judging the workspace as if there were no config
    # would rank findings on settings nextest never reads
    ws = tmp_path / "ws"
    write(ws / "Cargo.toml", '[package]\nname = "w"\nversion = "0.1.0"\n')
    write(ws / "src" / "lib.rs", "")
    config = ws / ".config" / "nextest.toml"
    config.parent.mkdir(parents=True)
    if kind == "a FIFO":
        os.mkfifo(config)
    else:
        config.mkdir()
    line = one_line_error(perf("doctor", "--root", str(ws), timeout=120))
    assert "cannot read .config/nextest.toml: not a regular file" in line
    proc = perf("doctor", "--json", "--root", str(ws), timeout=120)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["kind"] == "config"
