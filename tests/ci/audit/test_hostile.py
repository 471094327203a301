"""ci.audit against the hostile review's classes (../shared/REVIEW.md), through the real CLI: what
it reads and writes stays inside the workspace's own files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import perf
from workflow_fixtures import NAMED, workspace

NO_LINTERS = {"PATH": "/usr/bin:/bin"}


@pytest.mark.parametrize("linked", [".github", ".github/workflows", ".github/actions/build"])
def test_a_folder_linked_to_outside_the_root_is_neither_audited_nor_written(
    tmp_path: Path, linked: str
) -> None:
    files = {
        **NAMED,
        ".github/actions/build/action.yml": (
            "name: build\nruns:\n  using: composite\n  steps:\n"
            "    - uses: actions/upload-artifact@v4\n      with:\n"
            "        name: bench-json\n        path: bench.json\n"
        ),
    }
    root = workspace(tmp_path / "ws", files)
    outside = tmp_path / "elsewhere"
    (root / linked).rename(outside)
    (root / linked).symlink_to(outside, target_is_directory=True)
    before = {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    assert before
    proc = perf("ci.audit", "--root", str(root), "--fix", "--json", env=NO_LINTERS)
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert {p: p.read_bytes() for p in outside.rglob("*") if p.is_file()} == before
    audited = {f["file"] for f in doc["findings"]} | {f["file"] for f in doc["files"]}
    assert not [f for f in audited if f.startswith(linked)], audited
