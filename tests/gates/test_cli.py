"""`contract.init`, `gate` as users run them: real files, and real cargo on the demo workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import du, git, one_core_busy, perf

from perf_tasks.quantities import format_bytes

TEST = "demo-core::core_api checksum_detects_a_single_byte_change"
CONTRACT = "benches/PERFORMANCE_CONTRACT.md"


def write_contract(ws: Path, *rows: str) -> Path:
    path = ws / CONTRACT
    path.parent.mkdir(parents=True, exist_ok=True)
    table = "\n".join(f"| {row} |" for row in rows)
    path.write_text(f"# Contract\n\nWords.\n\n| metric | bound | note |\n|---|---|---|\n{table}\n")
    return path


def small_record(path: Path, **tests: Any) -> Path:
    """A record file as `baseline` writes them, cut to what the gates read."""
    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": "2026-11-30T01:00:00Z",
        "tests": {
            "runs": 3,
            "wall_s": {"median": 2.0, "min": 1.9, "max": 2.1, "mad": 0.05},
            "durations": {"b": {"t": 0.5}},
            **tests,
        },
        "disk": {"target": {"bytes": 10**6}},
    }
    path.write_text(json.dumps(data))
    return path


@pytest.mark.cargo
@pytest.mark.slow
def test_init_then_gate_pass_and_init_never_overwrites(demo_copy: Path) -> None:
    before = du(demo_copy / "target")  # the target dir as the user left it
    init = perf("contract.init", "--root", str(demo_copy), "--runs", "2")
    assert init.returncode == 0, init.stderr
    text = (demo_copy / CONTRACT).read_text()
    for metric in (
        "build.incremental.cpu_s",
        "tests.cpu_s",
        "tests.doc.cpu_s",
        "disk.target.bytes",
    ):
        assert f"| `{metric}`" in text
    assert "tests.wall_s`" not in text  # a busy machine moves it too much for an absolute bound
    assert "| `disk.target.bytes`" in text and "| ≤ 5 GB " in text
    # its size before the measurement, not with the measurement's own incremental sessions
    assert f"the clean.target budget; measured {format_bytes(before)} |" in text, text
    assert f"| `test:{TEST}`" in text  # each test's own wall time
    assert str(demo_copy) not in text  # a project file: no local path
    with one_core_busy():  # unchanged code stays quiet on a busy machine
        gate = perf("gate", "--root", str(demo_copy), "--runs", "2", "--json")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    report = json.loads(gate.stdout)
    tests = [g for g in report["gates"] if g["metric"].startswith("test:")]
    assert report["ok"] is True and len(report["gates"]) == 4 + len(tests)
    assert len(tests) >= 5
    again = perf("contract.init", "--root", str(demo_copy), "--record", "nowhere.json")
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"error: {CONTRACT} already exists: edit it, or pass --force to replace it"
    )


@pytest.mark.cargo
@pytest.mark.slow
def test_the_starter_contract_catches_a_test_one_second_slower_without_a_base(
    demo_copy: Path,
) -> None:
    """A sleep costs no CPU: the starter's CPU bounds cannot see it; its per-test rows do."""
    init = perf("contract.init", "--root", str(demo_copy), "--runs", "2")
    assert init.returncode == 0, init.stderr
    source = demo_copy / "crates" / "demo-core" / "tests" / "core_api.rs"
    anchor = "fn checksum_detects_a_single_byte_change() {\n"
    source.write_text(
        source.read_text().replace(
            anchor, anchor + "    std::thread::sleep(Duration::from_secs(1));\n"
        )
    )
    gate = perf("gate", "--root", str(demo_copy), "--runs", "2", "--json")
    assert gate.returncode == 1, gate.stdout + gate.stderr
    report = json.loads(gate.stdout)
    assert report["breaches"] == [f"test:{TEST}"]
    (row,) = [g for g in report["gates"] if g["verdict"] == "breach"]
    assert row["value"] >= 1.0


@pytest.mark.cargo
@pytest.mark.slow
def test_a_test_made_one_second_slower_fails_the_gate_and_is_named(demo_copy: Path) -> None:
    base = perf("baseline", "--root", str(demo_copy), "--runs", "1")
    assert base.returncode == 0, base.stderr
    record = demo_copy / "docs" / "performance" / "baseline.json"
    write_contract(demo_copy, "tests.each | ≤ +50% and +100 ms | no test got slower")
    gate = ["gate", "--root", str(demo_copy), "--base", str(record), "--runs", "1"]
    quiet = perf(*gate)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    source = demo_copy / "crates" / "demo-core" / "tests" / "core_api.rs"
    text = source.read_text()
    anchor = "fn checksum_detects_a_single_byte_change() {\n"
    assert anchor in text
    source.write_text(
        text.replace(anchor, anchor + "    std::thread::sleep(Duration::from_secs(1));\n")
    )
    slow = perf(*gate, "--save", str(demo_copy / "slow.json"))
    assert slow.returncode == 1, slow.stdout + slow.stderr
    flat = " ".join(slow.stdout.split())
    assert f"tests.each: test slowed {TEST} " in flat, slow.stdout
    assert "gate: 1 of 1 gate breached: tests.each" in flat
    again = perf(*gate, "--record", str(demo_copy / "slow.json"), "--json")
    assert again.returncode == 1
    (row,) = json.loads(again.stdout)["gates"]
    assert row["verdict"] == "breach"
    assert [s["test"] for s in row["slower"]] == [TEST]
    assert row["slower"][0]["after_s"] >= 1.0


@pytest.mark.cargo
@pytest.mark.slow
def test_a_test_that_panics_fails_the_gate_and_is_named(demo_copy: Path) -> None:
    """It panics at once, so every time bound holds: the outcome alone must fail the gate."""
    write_contract(demo_copy, "tests.wall_s | ≤ 10 s | the whole suite")
    source = demo_copy / "crates" / "demo-core" / "tests" / "core_api.rs"
    anchor = "fn checksum_detects_a_single_byte_change() {\n"
    source.write_text(source.read_text().replace(anchor, anchor + '    panic!("broken");\n'))
    saved = demo_copy / "failing.json"
    done = perf("gate", "--root", str(demo_copy), "--runs", "1", "--save", str(saved))
    assert done.returncode == 1, done.stdout + done.stderr
    flat = " ".join(done.stdout.split())
    assert f"tests.outcomes: tests: 1 failed: {TEST}" in flat
    assert "gate: 1 of 2 gates breached: tests.outcomes" in flat
    assert json.loads(saved.read_text())["tests"]["failing"] == [TEST]


@pytest.mark.cargo
@pytest.mark.slow
def test_a_target_dir_over_its_bound_fails_the_gate(demo_copy: Path) -> None:
    write_contract(demo_copy, "disk.target.bytes | ≤ 5 GB | the budget")
    before = du(demo_copy / "target")  # the size the gate judges: before its own measurement
    within = perf("gate", "--root", str(demo_copy), "--runs", "1", "--json")
    assert within.returncode == 0, within.stdout + within.stderr
    size = json.loads(within.stdout)["gates"][0]["value"]
    assert size == before
    bound_mb = int(size + 10**7) // 10**6  # 10 MB over what the target dir holds
    write_contract(demo_copy, f"disk.target.bytes | ≤ {bound_mb} MB | the budget")
    (demo_copy / "target" / "ballast.bin").write_bytes(os.urandom(20 * 10**6))
    over = perf("gate", "--root", str(demo_copy), "--runs", "1", "--json")
    assert over.returncode == 1, over.stdout + over.stderr
    (row,) = json.loads(over.stdout)["gates"]
    assert (row["metric"], row["verdict"]) == ("disk.target.bytes", "breach")
    assert row["value"] > bound_mb * 10**6


def test_contract_and_usage_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    record = small_record(tmp_path / "r.json")
    root = ["--root", str(tmp_path)]
    missing = perf("gate", *root, "--record", str(record))
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        f"error: no contract at {CONTRACT}: write one with `perf-tasks contract.init`, or pass "
        "--contract FILE ([gates] contract in perf-tasks.toml)",
    )
    write_contract(tmp_path, "tests.wal_s | ≤ 1 s |")
    typo = perf("gate", *root, "--record", str(record))
    assert typo.returncode == 2
    assert typo.stderr.startswith(f"error: {CONTRACT}:7: unknown metric 'tests.wal_s'")
    assert len(typo.stderr.strip().splitlines()) == 1
    write_contract(tmp_path, "build.incremental.cpu_s | ≤ 1 s |")
    absent = perf("gate", *root, "--record", str(record), "--json")
    assert absent.returncode == 2
    assert json.loads(absent.stdout)["error"]["message"].startswith(
        f"{CONTRACT}:7: build.incremental.cpu_s is not in the measured record"
    )
    write_contract(tmp_path, "tests.wall_s | ≤ +10% |")
    no_base = perf("gate", *root, "--record", str(record))
    assert no_base.returncode == 2 and "is relative: it needs a base" in no_base.stderr
    against = perf("gate", *root, "--record", str(record), "--against", "main")
    assert against.returncode == 2 and len(against.stderr.strip().splitlines()) == 1
    assert against.stderr.startswith("error: ")  # no workspace here: said before any git
    both = perf("gate", *root, "--base", str(record), "--against", "main")
    assert (both.returncode, both.stderr.strip()) == (
        2,
        "error: --base and --against both name a base: pass one",
    )
    pairs = perf("gate", *root, "--record", str(record), "--base", str(record), "--max-pairs", "8")
    assert (pairs.returncode, pairs.stderr.strip()) == (
        2,
        "error: --max-pairs bounds the A/B of --against REF: pass --against too",
    )
    few = perf("gate", *root, "--against", "main", "--max-pairs", "5")
    assert (few.returncode, few.stderr.strip()) == (
        2,
        "error: --max-pairs 5 is too few: a 95% interval needs at least 6",
    )
    cold = perf("baseline.compare", *root, "--cold")
    assert cold.returncode == 2 and cold.stderr.startswith("error: --cold asks the A/B")


def test_relative_gate_against_a_base_file_and_github_outputs(tmp_path: Path) -> None:
    base = small_record(tmp_path / "base.json")
    slow = small_record(
        tmp_path / "slow.json", wall_s={"median": 3.0, "min": 2.9, "max": 3.1, "mad": 0.05}
    )
    write_contract(tmp_path, "tests.wall_s | ≤ +10% | suite", "disk.target.bytes | ≤ 5 GB |")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    args = ["gate", "--root", str(tmp_path), "--base", str(base)]
    ok = perf(*args, "--record", str(base), env=env)
    assert ok.returncode == 0, ok.stderr
    assert "::error" not in ok.stdout
    failed = perf(*args, "--record", str(slow), env=env)
    assert failed.returncode == 1
    assert (
        f"::error file={CONTRACT},line=7,title=gate breached%3A tests.wall_s::tests.wall_s = "
        "3.00 s breaches ≤ +10%25: 3.00 s vs base 2.00 s: +50.0%25 (noise ±300 ms)"
    ) in failed.stdout  # GitHub's escapes: % is %25
    text = summary.read_text()
    assert text.startswith("earlier step\n### Performance gates: all 2 gates hold")
    assert "### Performance gates: 1 of 2 gates breached" in text
    assert "| `tests.wall_s` | 3.00 s | ≤ +10% | ❌ breach |" in text


def test_a_record_with_a_failing_test_fails_the_gate_whatever_the_contract(
    tmp_path: Path,
) -> None:
    write_contract(tmp_path, "tests.wall_s | ≤ 10 s | suite")
    gate = ["gate", "--root", str(tmp_path), "--record"]
    # `ok: false` and nothing else: the record's own word that a test failed
    bare = perf(*gate, str(small_record(tmp_path / "bare.json")), "--json")
    assert bare.returncode == 0, bare.stdout  # all pass: the report gains no row
    assert [g["metric"] for g in json.loads(bare.stdout)["gates"]] == ["tests.wall_s"]
    not_ok = json.loads((tmp_path / "bare.json").read_text())
    not_ok["ok"] = False
    (tmp_path / "not-ok.json").write_text(json.dumps(not_ok))
    done = perf(*gate, str(tmp_path / "not-ok.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    flat = " ".join(done.stdout.split())
    assert "tests.outcomes: tests: 1 failed: the record says ok: false" in flat
    assert "gate: 1 of 2 gates breached: tests.outcomes" in flat
    # a failing doctest, named, in GitHub's annotations too (no contract line to point at)
    doc = {"runs": 1, "wall_s": {"median": 1.0}, "passed": 1, "failed": 1}
    failing = small_record(
        tmp_path / "doc.json", doc={**doc, "failing": ["src/lib.rs - f (line 3)"]}
    )
    annotated = perf(*gate, str(failing), env={"GITHUB_ACTIONS": "true"})
    assert annotated.returncode == 1
    assert (
        f"::error file={CONTRACT},title=gate breached%3A tests.outcomes::tests.outcomes = "
        "1 failed breaches all pass: tests.doc: 1 failed: src/lib.rs - f (line 3)"
    ) in annotated.stdout


def test_a_flaky_or_newly_ignored_test_fails_the_gate(tmp_path: Path) -> None:
    write_contract(tmp_path, "disk.target.bytes | ≤ 5 GB |")
    flaky = small_record(tmp_path / "flaky.json", varied=["b t"], passed=1, failed=0)
    done = perf("gate", "--root", str(tmp_path), "--record", str(flaky), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    (row,) = [g for g in json.loads(done.stdout)["gates"] if g["verdict"] == "breach"]
    assert (row["metric"], row["evidence"]) == ("tests.outcomes", "tests: 1 flaky: b t")
    write_contract(tmp_path, "tests.wall_s | ≤ +10% | suite")
    base = small_record(
        tmp_path / "base.json", passed=2, ignored=0, durations={"b": {"t": 0.5, "u": 0.1}}
    )
    ignored = small_record(tmp_path / "ignored.json", passed=1, ignored=1)
    args = ["gate", "--root", str(tmp_path), "--base", str(base), "--record"]
    assert perf(*args, str(base)).returncode == 0
    done = perf(*args, str(ignored), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert json.loads(done.stdout)["breaches"] == ["tests.outcomes"]
    assert "tests: 1 newly ignored: b u" in done.stdout


def test_an_unwritable_step_summary_is_a_warning_and_the_verdict_stands(tmp_path: Path) -> None:
    base = small_record(tmp_path / "base.json")
    write_contract(tmp_path, "disk.target.bytes | ≤ 1 kB |")
    for summary in (tmp_path, tmp_path / "no" / "such" / "dir.md"):
        done = perf(
            "gate", "--root", str(tmp_path), "--record", str(base),
            env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"},
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert f"warning: cannot append the gate table to $GITHUB_STEP_SUMMARY ({summary}): " in (
            done.stdout
        )
        assert f"::error file={CONTRACT},line=7," in done.stdout


def test_init_never_replaces_a_dangling_symlink_or_a_directory(tmp_path: Path) -> None:
    record = small_record(tmp_path / "r.json")
    path = tmp_path / CONTRACT
    path.parent.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.md"
    path.symlink_to(elsewhere)
    args = ["contract.init", "--root", str(tmp_path), "--record", str(record)]
    linked = perf(*args)
    assert (linked.returncode, linked.stderr.strip()) == (
        2,
        f"error: {CONTRACT} (a symlink) already exists: edit it, or pass --force to replace it",
    )
    assert path.is_symlink() and not elsewhere.exists()
    path.unlink()
    path.mkdir()
    folder = perf(*args, "--force")
    assert (folder.returncode, folder.stderr.strip()) == (
        2,
        f"error: {CONTRACT} is a directory: the contract is a Markdown file",
    )


def test_a_contract_that_is_a_fifo_or_a_device_is_one_line_never_a_hang(tmp_path: Path) -> None:
    record = small_record(tmp_path / "r.json")
    fifo = tmp_path / "contract.md"
    os.mkfifo(fifo)
    for contract, shown in ((fifo, "contract.md"), (Path("/dev/zero"), "/dev/zero")):
        done = perf(
            "gate", "--root", str(tmp_path), "--record", str(record), "--contract", str(contract),
            timeout=30,
        )  # fmt: skip
        assert (done.returncode, done.stderr.strip()) == (
            2,
            f"error: cannot read the contract {shown}: not a regular file",
        )


@pytest.mark.cargo
@pytest.mark.slow
def test_the_starter_contract_gates_against_a_revision_as_ci_runs_it(demo_copy: Path) -> None:
    git("init", "-q", cwd=demo_copy)
    git("add", "-A", cwd=demo_copy)
    git("commit", "-q", "-m", "base", cwd=demo_copy)
    init = perf("contract.init", "--root", str(demo_copy), "--runs", "2")
    assert init.returncode == 0, init.stderr
    path = demo_copy / CONTRACT
    path.write_text(
        path.read_text().replace(
            "| `disk.target.bytes`",
            "| `tests.wall_s` | ≤ +10% | same-time A/B |\n| `disk.target.bytes`",
        )
    )
    gate = perf("gate", "--root", str(demo_copy), "--against", "HEAD", "--runs", "2", "--json")
    assert gate.returncode == 0, gate.stdout + gate.stderr  # disk is measured here, not by the A/B
    rows = {g["metric"]: g for g in json.loads(gate.stdout)["gates"]}
    assert rows["disk.target.bytes"]["evidence"].endswith("bytes)")
    assert rows["tests.wall_s"]["evidence"].startswith("tests.wall_s: median pair ratio ")


def test_init_force_refuses_a_read_only_or_hard_linked_contract(tmp_path: Path) -> None:
    record = small_record(tmp_path / "r.json")
    path = tmp_path / CONTRACT
    path.parent.mkdir(parents=True)
    path.write_text("# ours, kept read-only on purpose\n")
    path.chmod(0o444)
    args = ["contract.init", "--root", str(tmp_path), "--record", str(record), "--force"]
    proc = perf(*args)
    assert proc.returncode != 0 and f"{CONTRACT} is read-only" in proc.stderr
    assert path.read_text() == "# ours, kept read-only on purpose\n"
    path.chmod(0o644)
    os.link(path, tmp_path / "copy.md")
    proc = perf(*args)
    assert proc.returncode != 0 and f"{CONTRACT} has 2 hard links" in proc.stderr
    assert path.stat().st_ino == (tmp_path / "copy.md").stat().st_ino
