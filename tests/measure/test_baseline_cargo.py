"""`baseline` and `baseline.compare` as users run them, with real cargo on the demo workspace.

One run records the reference (with --runs 1 and --cold, to keep the suite short); most tests read
it. The others change a private copy: a failing test, a broken build, nextest out of reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_tree
from helpers import REPO_ROOT, du, perf, write

from perf_tasks.quantities import format_bytes

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

VENV_BIN = str(Path(sys.executable).parent)  # where the [nextest] extra puts cargo-nextest


def perf_with_nextest(
    *args: str, env: dict[str, str] | None = None, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """`perf` with this venv's scripts first on PATH (unless `env` sets PATH), so the cargo-nextest
    of the `[nextest]` extra is the one found; no timeout: real builds take what they take."""
    full = dict(env or {})
    full.setdefault("PATH", os.pathsep.join([VENV_BIN, os.environ.get("PATH", "")]))
    return perf(*args, env=full, python=python, timeout=None)


def needs_nextest() -> None:
    if shutil.which("cargo-nextest", path=os.pathsep.join([VENV_BIN, os.environ["PATH"]])) is None:
        pytest.skip("cargo-nextest is not installed (pip install -e '.[nextest]')")


@dataclass(frozen=True)
class Recorded:
    root: Path
    proc: subprocess.CompletedProcess[str]
    record: dict[str, Any]
    du_before: dict[str, int]
    du_after: dict[str, int]


@pytest.fixture(scope="module")
def recorded(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    needs_nextest()
    root = copy_tree(demo_built, tmp_path_factory.mktemp("baseline") / "ws")
    du_before = {"target": du(root / "target")}  # the workspace as the user left it
    proc = perf_with_nextest("baseline", "--root", str(root), "--runs", "1", "--cold", "--json")
    du_after = {"target": du(root / "target")}  # right away, before anything else runs here
    assert proc.returncode == 0, proc.stderr
    data = json.loads((root / "docs" / "performance" / "baseline.json").read_text())
    return Recorded(root=root, proc=proc, record=data, du_before=du_before, du_after=du_after)


def test_writes_both_files_and_json_mode_prints_only_the_record(recorded: Recorded) -> None:
    folder = recorded.root / "docs" / "performance"
    assert sorted(p.name for p in folder.iterdir()) == ["Baseline.md", "baseline.json"]
    assert json.loads(recorded.proc.stdout) == recorded.record  # stdout is the record, nothing else
    assert "tests: run 1 of 1" in recorded.proc.stderr  # progress went to stderr, as plain lines
    rec = recorded.record
    assert rec["schema_version"] == 1 and rec["ok"] is True
    assert rec["sources_changed"] == []  # the touch of build.incremental is no edit
    for key in ("cpu_model", "cpu_cores", "ram_bytes", "rustc", "cargo", "nextest", "load_average"):
        assert rec["environment"][key], key
    assert (
        rec["environment"]["cargo_lock_sha256"]
        and len(rec["environment"]["cargo_lock_sha256"]) == 64
    )


def test_disk_figures_equal_du(recorded: Recorded) -> None:
    disk = recorded.record["disk"]
    # the target dir as the user left it, not as the measurement left it
    assert disk["target"]["bytes"] == recorded.du_before["target"]
    # what the measurement added (incremental sessions, test reports) is reported apart
    added = recorded.du_after["target"] - recorded.du_before["target"]
    assert added > 0
    assert recorded.record["disk_added"] == {"target": added}
    said = f"the measurement itself added {format_bytes(added)} to target"
    assert said in recorded.proc.stderr, recorded.proc.stderr
    report = (recorded.root / "docs" / "performance" / "Baseline.md").read_text()
    assert said in report
    assert list(disk) == ["target", "output_scg", "cache", "artifacts"]
    assert disk["cache"] == {"path": "cache", "exists": False, "bytes": 0, "files": 0}
    debug = disk["target"]["profiles"]["debug"]
    parts = sum(debug[k]["bytes"] for k in ("deps", "build", "incremental", "other"))
    assert (
        parts == debug["bytes"] and debug["deps"]["bytes"] > 0 and debug["incremental"]["bytes"] > 0
    )


def test_builds_count_their_units(recorded: Recorded) -> None:
    build = recorded.record["build"]
    assert build["wall_s"]["median"] > 0 and build["exit_codes"] == [0]
    assert build["units"]["compiled"] == 0 and build["units"]["fresh"] >= 4  # nothing to do
    incremental = build["incremental"]
    assert incremental["touched"] == "crates/demo-core/src/lib.rs"
    assert incremental["units"]["compiled"] >= 3  # demo-core and both crates that depend on it
    cold = build["cold"]
    assert cold["runs"] == 1 and cold["units"]["fresh"] == 0
    assert cold["units"]["compiled"] >= build["units"]["fresh"]
    assert set(cold["env"]) == {"CARGO_TARGET_DIR", "CARGO_BUILD_BUILD_DIR"}
    scratch = Path(cold["env"]["CARGO_TARGET_DIR"]).parent
    assert not scratch.exists()  # removed after the cold build
    assert cold["cpu_s"]["median"] > 0 and cold["peak_process_rss_bytes"]["median"] > 10 * 2**20


def test_tests_are_counted_with_per_test_durations(recorded: Recorded) -> None:
    tests = recorded.record["tests"]
    assert tests["runner"] == "nextest" and tests["profile"] == "ci"
    assert tests["profile_source"] == "perf-tasks"
    assert (tests["passed"], tests["failed"], tests["skipped"], tests["ignored"]) == (13, 0, 0, 1)
    durations = tests["durations"]
    assert sum(len(v) for v in durations.values()) == 13
    assert "slow_path_when_asked" in durations["demo-core::core_api"]
    assert "--tool-config-file perf-tasks:$PWD/target/perf-tasks/nextest.toml" in tests["command"]
    doc = tests["doc"]
    assert doc["command"] == "cargo test --doc --workspace"
    assert (doc["passed"], doc["failed"]) == (5, 0)


def test_markdown_has_the_tables_and_the_commands(recorded: Recorded) -> None:
    text = (recorded.root / "docs" / "performance" / "Baseline.md").read_text()
    for heading in ("## Build", "## Tests", "## Disk", "## Environment", "## Reproduce"):
        assert heading in text
    assert (
        "| target | `target` | " in text and str(recorded.record["disk"]["target"]["bytes"]) in text
    )
    assert (
        'hyperfine -N --runs 1 --warmup 0 "cargo-nextest nextest run --workspace --no-tests=warn --profile ci'
        in text
    )
    assert "du -s -B1 target output/scg cache artifacts" in text
    assert str(recorded.root) not in text  # nothing tied to where the workspace lives
    # It was recorded with the perf-tasks program: that is the program to run again.
    assert "perf-tasks baseline --runs 1 --warmup 0 --cold" in text and "invoke" not in text


def test_number_flags_take_numbers_and_compare_has_a_dry_run(recorded: Recorded) -> None:
    shown = perf_with_nextest("--help", "baseline")
    assert "--runs=INT" in shown.stdout and "--warmup=INT" in shown.stdout, shown.stdout
    assert "--cold-runs=INT" in shown.stdout and shown.stdout.count("STRING") == 2  # -r, --root
    assert "--runs=INT" in perf_with_nextest("--help", "baseline.compare").stdout
    bad = perf_with_nextest(
        "baseline", "--root", str(recorded.root), "--runs", "three", "--dry-run"
    )
    assert bad.returncode == 2 and "whole number" in bad.stderr and "Traceback" not in bad.stderr
    folder = recorded.root / "docs" / "performance"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    dry = perf_with_nextest("baseline.compare", "--root", str(recorded.root), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["dry_run"] is True
    timed = [s for s in plan["steps"] if s["timed"]]
    assert {s["runs"] for s in timed} == {1}  # as the reference had
    assert any(s["phase"] == "build.cold" for s in timed)
    text = perf_with_nextest(
        "baseline.compare", "--root", str(recorded.root), "--dry-run", "--runs", "2"
    )
    assert text.returncode == 0 and "(2 runs)" in text.stdout and "nothing was run" in text.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_different_build_environment_makes_times_and_target_size_advisory(
    recorded: Recorded, tmp_path: Path
) -> None:
    old = recorded.root / "docs" / "performance" / "baseline.json"
    data = json.loads(old.read_text())
    data["environment"]["build_env"] = {"RUSTFLAGS": "-C opt-level=3", "CARGO_TARGET_DIR": "t2"}
    for key in ("median", "min", "max"):  # slower, every run
        data["build"]["wall_s"][key] = data["build"]["wall_s"][key] * 3 + 5
    data["disk"]["target"]["bytes"] *= 2  # larger
    new = tmp_path / "new.json"
    new.write_text(json.dumps(data))
    proc = perf_with_nextest("baseline.compare", "--old", str(old), "--new", str(new), "--json")
    assert proc.returncode == 0, proc.stdout  # the slower build is not counted against it
    result = json.loads(proc.stdout)
    why = " ".join(result["advisory"])
    assert "RUSTFLAGS: unset -> '-C opt-level=3'" in why and "CARGO_TARGET_DIR" in why
    rows = {r["metric"]: r for r in result["rows"]}
    assert (
        rows["build.wall_s"]["verdict"] == "regression" and rows["build.wall_s"]["counts"] is False
    )
    assert rows["disk.target.bytes"]["counts"] is False
    assert rows["tests.failed"]["counts"] is True  # test counts still count


def test_messages_name_the_program_that_runs(demo_built: Path) -> None:
    own = perf_with_nextest("baseline.compare", "--root", str(demo_built))
    assert own.returncode == 2
    assert "run `perf-tasks baseline` first" in own.stderr, own.stderr
    under_invoke = subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO_ROOT), "baseline.compare"],
        env={**os.environ, "PERF_TASKS_ROOT": str(demo_built)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert under_invoke.returncode == 2
    assert "run `invoke baseline` first" in under_invoke.stderr, under_invoke.stderr


def test_compare_flags_an_injected_slowdown_and_keeps_the_reference(recorded: Recorded) -> None:
    reference = recorded.root / "docs" / "performance" / "baseline.json"
    before = reference.read_bytes()
    saved = recorded.root.parent / "fresh.json"
    proc = perf_with_nextest(
        "baseline.compare",
        "--root",
        str(recorded.root),
        "--json",
        "--save",
        str(saved),
        # The slowdown comes from the environment, which a same-time A/B gives both arms: it
        # would rightly not confirm it. This checks the record comparison alone.
        "--no-confirm",
        env={"DEMO_SLOW_MS": "1500"},
    )
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    # The slow test is named, however busy the machine was (its wall time may then not count).
    assert "test:demo-core::core_api slow_path_when_asked" in result["regressions"]
    row = next(r for r in result["rows"] if r["metric"] == "tests.wall_s")
    assert row["new"] - row["old"] >= 1.0 and row["verdict"] == "regression"
    assert reference.read_bytes() == before  # the reference is never overwritten
    fresh = json.loads(saved.read_text())
    assert fresh["settings"]["cold"] is True  # like with like: the reference had a cold build
    assert fresh["tests"]["durations"]["demo-core::core_api"]["slow_path_when_asked"] >= 1.4


def test_compare_of_two_files_needs_no_workspace(recorded: Recorded, tmp_path: Path) -> None:
    old = recorded.root / "docs" / "performance" / "baseline.json"
    new = tmp_path / "new.json"
    data = json.loads(old.read_text())
    data["disk"]["target"]["bytes"] += 50 * 2**20
    new.write_text(json.dumps(data))
    same = perf_with_nextest(
        "baseline.compare", "--old", str(old), "--new", str(old), "--root", str(tmp_path)
    )
    assert same.returncode == 0, same.stderr
    assert same.stdout.strip().splitlines()[-1] == "no change outside the noise"
    grown = perf_with_nextest("baseline.compare", "--old", str(old), "--new", str(new))
    assert grown.returncode == 1
    assert "1 regression outside the noise: disk.target.bytes (+52.4 MB" in grown.stdout


def test_a_failing_test_is_recorded_and_fails_the_run(demo_copy: Path) -> None:
    needs_nextest()
    write(
        demo_copy / "crates" / "demo-core" / "tests" / "broken.rs",
        '#[test]\nfn broken() { panic!("no") }\n',
    )
    proc = perf_with_nextest("baseline", "--root", str(demo_copy), "--runs", "1")
    assert proc.returncode == 1, proc.stderr
    data = json.loads((demo_copy / "docs" / "performance" / "baseline.json").read_text())
    assert data["ok"] is False and data["tests"]["failed"] == 1 and data["tests"]["passed"] == 13
    assert "1 test FAILED" in proc.stdout.strip().splitlines()[-1]


def test_a_broken_build_is_one_error_with_the_compiler_lines(demo_copy: Path) -> None:
    shutil.rmtree(demo_copy / "docs", ignore_errors=True)  # a record of the repo's own demo
    lib = demo_copy / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\nfn broken( {\n")
    proc = perf_with_nextest("baseline", "--root", str(demo_copy), "--runs", "1")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("error: `cargo build --workspace` failed (exit 101) in ")
    assert "error" in proc.stderr.split(first, 1)[1]  # the compiler's own last lines follow
    assert not (demo_copy / "docs" / "performance").exists()


def python_without_nextest(venv: Path) -> str:
    """A Python that sees our packages but whose scripts dir has no cargo-nextest in it (the
    baseline task also looks for the [nextest] extra beside the running Python)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    paths = [p for p in sys.path if p.endswith("site-packages")]
    (site / "parent.pth").write_text("\n".join([*paths, str(REPO_ROOT)]) + "\n")
    return str(venv / "bin" / "python")


def test_without_nextest_it_falls_back_to_cargo_test(demo_copy: Path) -> None:
    path = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not Path(d, "cargo-nextest").exists()
    ]
    proc = perf_with_nextest(
        "baseline",
        "--root",
        str(demo_copy),
        "--runs",
        "1",
        env={"PATH": os.pathsep.join(path)},
        python=python_without_nextest(demo_copy.parent / "py"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "cargo-nextest is not installed" in proc.stdout
    data = json.loads((demo_copy / "docs" / "performance" / "baseline.json").read_text())
    tests = data["tests"]
    assert tests["runner"] == "cargo-test" and tests["durations"] is None
    assert tests["command"] == "cargo test --workspace --tests --no-fail-fast"
    assert (tests["passed"], tests["failed"], tests["ignored"]) == (13, 0, 1)
    assert data["environment"]["nextest"] is None


def test_dry_run_shows_the_commands_and_runs_nothing(demo_built: Path) -> None:
    def state() -> list[tuple[str, int]]:
        return sorted((str(p), p.stat().st_mtime_ns) for p in demo_built.rglob("*"))

    before = state()
    proc = perf_with_nextest("baseline", "--root", str(demo_built), "--dry-run", "--cold")
    assert proc.returncode == 0, proc.stderr
    assert "build.cold (1 run; before each run: empty " in proc.stdout
    assert "tests.doc (3 runs): cargo test --doc --workspace" in proc.stdout
    assert state() == before  # nothing written, nothing built, nothing touched


def test_no_workspace_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = perf_with_nextest("baseline", "--root", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: no Cargo.toml in {tmp_path}: run from a Rust workspace or pass --root PATH"
    )


def test_missing_cargo_is_one_line(demo_built: Path, tmp_path: Path) -> None:
    proc = perf_with_nextest(
        "baseline", "--root", str(demo_built), env={"PATH": str(tmp_path), "CARGO": ""}
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: cargo is not on PATH")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_finds_the_nextest_extra_beside_python_when_not_on_path(demo_copy: Path) -> None:
    needs_nextest()
    if not Path(VENV_BIN, "cargo-nextest").exists():
        pytest.skip("cargo-nextest is not beside this Python")
    path = [d for d in os.environ["PATH"].split(os.pathsep) if d and d != VENV_BIN]
    path = [d for d in path if not Path(d, "cargo-nextest").exists()]
    proc = perf_with_nextest(
        "baseline",
        "--root",
        str(demo_copy),
        "--dry-run",
        "--json",
        env={"PATH": os.pathsep.join(path)},
    )
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["runner"] == "nextest" and plan["nextest"].startswith("cargo-nextest")
    assert not (demo_copy / "docs" / "performance").exists()  # nothing ran, nothing written


def test_per_test_durations_with_cargo_target_dir_set(demo_copy: Path, tmp_path: Path) -> None:
    needs_nextest()
    target = tmp_path / "elsewhere"
    proc = perf_with_nextest(
        "baseline", "--root", str(demo_copy), "--runs", "1", "--json",
        env={"CARGO_TARGET_DIR": str(target)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["workspace"]["target_dir"] == str(target)
    durations = record["tests"]["durations"]
    assert durations and "slow_path_when_asked" in durations["demo-core::core_api"]
    assert not any("JUnit" in w for w in record["warnings"])
    assert (target / "nextest" / "ci" / "junit.xml").is_file()  # where we told nextest to write
    assert not (demo_copy / "target" / "nextest").exists()


def test_a_target_dir_made_by_the_baseline_keeps_cargos_cachedir_tag(tmp_path: Path) -> None:
    from conftest import DEMO

    from perf_tasks.cargo.dirs import has_cachedir_tag

    needs_nextest()
    root = tmp_path / "ws"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "docs"))
    proc = perf_with_nextest("baseline", "--root", str(root), "--runs", "1")
    assert proc.returncode == 0, proc.stderr
    assert has_cachedir_tag(root / "target"), "cargo must create the target dir, not us"
