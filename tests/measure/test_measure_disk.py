"""Disk figures equal `du -s -B1`, and the target's pieces add up to it."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import du, tiny_workspace, write

from perf_tasks.measure import disk


def test_target_total_equals_du_and_the_parts_add_up(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    target = root / "target"
    # cargo links final artifacts out of deps/: one inode, two names, counted once.
    os.link(target / "debug" / "deps" / "libtiny-0123abcd.rlib", target / "debug" / "libtiny.rlib")
    write(target / "debug" / "build" / "tiny-1" / "out" / "gen.rs", b"g" * 20_000)
    usage = disk.measure_target(root, [target])
    assert usage.bytes == du(target)
    assert usage.files == sum(1 for p in target.rglob("*") if not p.is_dir())
    assert set(usage.profiles) == {"debug", "release"}
    debug = usage.profiles["debug"]
    assert debug.bytes == du(target / "debug")
    assert debug.parts["deps"].bytes == du(target / "debug" / "deps")  # the linked file is here
    assert debug.parts["build"].bytes == du(target / "debug" / "build")
    assert debug.parts["incremental"].bytes == du(target / "debug" / "incremental")
    assert sum(p.bytes for p in debug.parts.values()) == debug.bytes
    assert usage.other is not None
    assert usage.other.bytes + sum(p.bytes for p in usage.profiles.values()) == usage.bytes
    data = usage.as_json()
    assert data["path"] == "target" and data["bytes"] == du(target)
    assert data["profiles"]["debug"]["deps"]["bytes"] == debug.parts["deps"].bytes


def test_a_build_dir_inside_the_target_is_not_counted_twice(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    target = root / "target"
    usage = disk.measure_target(root, [target, target / "debug"])
    assert usage.bytes == du(target) and usage.paths == ("target",)


def test_a_separate_build_dir_is_added(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    build = tiny_workspace(tmp_path / "elsewhere") / "target"
    usage = disk.measure_target(root, [root / "target", build])
    assert usage.bytes == du(root / "target", build)
    assert usage.paths == ("target", str(build))


def test_plain_outputs_and_absent_ones(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "output" / "scg" / "run-1" / "result.json", b"r" * 9000)
    found = disk.measure_outputs(
        root=root,
        cargo_dirs=[root / "target"],
        outputs={"output_scg": root / "output" / "scg", "cache": root / "cache"},
    )
    assert list(found) == ["target", "output_scg", "cache"]
    assert (
        found["output_scg"].bytes == du(root / "output" / "scg") and found["output_scg"].files == 1
    )
    assert found["output_scg"].as_json() == {
        "path": "output/scg",
        "exists": True,
        "bytes": du(root / "output" / "scg"),
        "files": 1,
    }
    assert found["cache"].as_json() == {"path": "cache", "exists": False, "bytes": 0, "files": 0}
