"""`tests.runners` recommends nextest where it is faster: several test binaries, each with one slow
test, which cargo test runs one binary after another and nextest all at once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import perf

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

SLOW_TEST = """#[test]
fn waits() {
    std::thread::sleep(std::time::Duration::from_millis(500));
}
"""


def test_several_slow_binaries_recommend_nextest(tmp_path: Path) -> None:
    root = tmp_path / "slowbins"
    (root / "src").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "Cargo.toml").write_text(
        '[package]\nname = "slowbins"\nversion = "0.1.0"\nedition = "2021"\n'
    )
    (root / "src" / "lib.rs").write_text("//! Nothing but its tests.\n")
    for name in ("one", "two", "three", "four"):
        (root / "tests" / f"{name}.rs").write_text(SLOW_TEST)
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    proc = perf(
        "tests.runners",
        "--root",
        str(root),
        "--max-pairs",
        "6",
        "--json",
        env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["differences"] == []
    (wall,) = [m for m in data["comparison"]["metrics"] if m["metric"] == "wall_s"]
    # cargo test: 4 x 0.5 s in a row; nextest: the four at once (at least 2 at a time).
    assert data["runners"]["cargo test"]["wall_s"] > 2.0
    assert wall["ratio"]["high"] < 1 / 1.1, wall
    assert data["recommended"] == "nextest" and data["verdict"] == "nextest"
