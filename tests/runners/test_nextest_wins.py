"""`tests.runners` recommends nextest where it is faster: several test binaries, each with one slow
test, which cargo test runs one binary after another and nextest all at once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import package
from runners.test_cli import runners

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

SLOW_TEST = """#[test]
fn waits() {
    std::thread::sleep(std::time::Duration::from_millis(500));
}
"""


def test_several_slow_binaries_recommend_nextest(tmp_path: Path) -> None:
    tests = {name: SLOW_TEST for name in ("one", "two", "three", "four")}
    root = package(tmp_path / "slowbins", "slowbins", "//! Nothing but its tests.\n", tests=tests)
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    proc = runners(root, tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["differences"] == []
    (wall,) = [m for m in data["comparison"]["metrics"] if m["metric"] == "wall_s"]
    # cargo test: 4 x 0.5 s in a row; nextest: the four at once (at least 2 at a time).
    assert data["runners"]["cargo test"]["wall_s"] > 2.0
    assert wall["ratio"]["high"] < 1 / 1.1, wall
    assert data["recommended"] == "nextest" and data["verdict"] == "nextest"
