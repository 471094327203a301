"""A cold-build verdict is given on cold builds, on the real demo workspace: a build script that
got 1.5 s of CPU slower fails `gate --against` with a cold row and `baseline.compare`, where a
rebuild of one crate would see nothing; unchanged code passes with a core kept busy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import git, one_core_busy, perf

GATE = ("gate", "--against", "HEAD", "--runs", "1", "--json", "--root")
CONTRACT = "benches/PERFORMANCE_CONTRACT.md"
BUILD_RS = Path("crates") / "demo-report" / "build.rs"
# 1.5 s of CPU in the build script, counted by the kernel (utime + stime, in ticks of 10 ms):
# a loop timed by the wall clock would get less CPU on a busy machine. Only a cold build runs it
# again; a rebuild of one crate never does.
BURN = """
    let ticks = || -> u64 {
        let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux");
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    };
    let start = ticks();
    let mut x: u64 = 1;
    while ticks() - start < 150 {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
"""


def committed(ws: Path) -> None:
    (ws / ".gitignore").write_text("target/\ndocs/\n.perf-tasks.lock\n*.json\n")
    contract = ws / CONTRACT
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(
        "# Contract\n\n| metric | bound | note |\n|---|---|---|\n"
        "| `build.cold.cpu_s` | ≤ +10% | a cold build, against the base |\n"
    )
    git("init", "-q", cwd=ws)
    git("add", "-A", cwd=ws)
    git("commit", "-q", "-m", "base", cwd=ws)


def gate_row(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    (row,) = [g for g in json.loads(done.stdout)["gates"] if g["metric"] == "build.cold.cpu_s"]
    return dict(row)


@pytest.mark.cargo
@pytest.mark.slow
def test_a_slower_build_script_fails_the_cold_gate_and_the_comparison(demo_copy: Path) -> None:
    committed(demo_copy)
    base = perf("baseline", "--root", str(demo_copy), "--cold", "--runs", "1")
    assert base.returncode == 0, base.stderr
    build_rs = demo_copy / BUILD_RS
    text = build_rs.read_text()
    anchor = 'println!("cargo:rerun-if-changed=build.rs");\n'
    build_rs.write_text(text.replace(anchor, anchor + BURN))

    compared = perf("baseline.compare", "--root", str(demo_copy), "--max-pairs", "6", timeout=900)
    flat = " ".join((compared.stdout + compared.stderr).split())
    assert compared.returncode == 1, flat
    assert "the A/B times cold builds" in flat  # said before it starts
    assert "confirmed by the same-time A/B against" in flat and "build.cold.cpu_s" in flat

    gate = perf(*GATE, str(demo_copy), timeout=900)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    row = gate_row(gate)
    assert row["verdict"] == "breach"
    assert str(row["evidence"]).startswith("build.cold.cpu_s: median pair ratio ")
    # the forecast, from the screening pair: the row always pairs its cold build
    assert "confirming in pairs, each run measuring build.cold" in gate.stderr


@pytest.mark.cargo
@pytest.mark.slow
def test_unchanged_code_passes_the_cold_gate_with_a_core_kept_busy(demo_copy: Path) -> None:
    committed(demo_copy)
    with one_core_busy():
        gate = perf(*GATE, str(demo_copy), timeout=900)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    row = gate_row(gate)
    assert row["verdict"] == "pass"
    assert str(row["evidence"]).startswith("build.cold.cpu_s: median pair ratio ")


@pytest.mark.cargo
@pytest.mark.slow
def test_plain_gate_measures_a_cold_build_when_a_row_names_one(demo_copy: Path) -> None:
    """Without a base, the fresh measurement builds cold itself: the row is never refused for a
    figure the tool can measure."""
    contract = demo_copy / CONTRACT
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(
        "| metric | bound | note |\n|---|---|---|\n| `build.cold.cpu_s` | ≤ 10 min | cold |\n"
    )
    done = perf("gate", "--root", str(demo_copy), "--runs", "1", "--json", timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    row = gate_row(done)
    assert row["verdict"] == "pass" and str(row["evidence"]).startswith("median ")
    assert 0 < float(str(row["value"])) < 600
    daily = perf("monitor", "--root", str(demo_copy), "--runs", "1", "--json", timeout=900)
    assert daily.returncode == 0, daily.stdout + daily.stderr  # the monitor too
    (row,) = json.loads(daily.stdout)["gates"]["gates"]
    assert (row["metric"], row["verdict"]) == ("build.cold.cpu_s", "pass")
