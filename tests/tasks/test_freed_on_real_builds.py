"""What `clean --dry-run` promises is what `clean` frees, to the byte, on target dirs that real
cargo builds made: rustc hard-links the same files between incremental sessions, units and the
uplifted outputs, and an inode is freed only when every one of its links goes. Per category, the
freed bytes and the "shared between categories" row add up to the total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cargo
from helpers import du, perf

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

COMMANDS = (("build", "--workspace", "--quiet"), ("test", "--workspace", "--no-run", "--quiet"))


def build(ws: Path, env: dict[str, str] | None = None) -> None:
    for args in COMMANDS:
        cargo(*args, cwd=ws, env=env)


def clean_json(ws: Path, *flags: str) -> dict[str, Any]:
    proc = perf("clean", *flags, "--json", "--root", str(ws))
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def target_after(report: dict[str, Any]) -> int:
    (area,) = (a for a in report["areas"] if a["label"] == "target/")
    after: int = area["bytes_after"]
    return after


def adds_up(totals: dict[str, Any]) -> None:
    alone = sum(c["freed_bytes"] for c in totals["by_category"].values())
    assert alone + totals["freed_shared_bytes"] == totals["freed_bytes"], totals


def dry_then_real(ws: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The dry run's report, the real run's, and the bytes `du` saw go."""
    before = du(ws / "target")
    dry = clean_json(ws, "--dry-run")
    assert du(ws / "target") == before, "a dry run deletes nothing"
    real = clean_json(ws)
    return dry, real, before - du(ws / "target")


def test_incremental_sessions_linked_to_the_next_free_what_the_dry_run_said(
    demo_copy: Path,
) -> None:
    # An edit, then a build: rustc's new session links the work products it could reuse from
    # the old one, which then holds far fewer bytes of its own than its size. Twice, since the
    # sessions of the copied fixture name other source paths and share nothing.
    lib = demo_copy / "crates" / "demo-core" / "src" / "lib.rs"
    for n in (1, 2):
        lib.write_text(lib.read_text() + f"\npub fn added_{n}() -> u32 {{\n    {n}\n}}\n")
        build(demo_copy)
    dry, real, gone = dry_then_real(demo_copy)
    incremental = dry["totals"]["by_category"]["incremental"]
    assert incremental["freed_bytes"] < incremental["bytes"], "links to what stays free nothing"
    assert dry["totals"]["freed_bytes"] == real["totals"]["freed_bytes"] == gone
    assert target_after(dry) == target_after(real) == du(demo_copy / "target")
    adds_up(dry["totals"])
    adds_up(real["totals"])


def test_stale_units_and_their_sessions_add_up_with_a_shared_row(demo_copy: Path) -> None:
    # Other RUSTFLAGS: a second set of units, whose sessions' metadata.rmeta are hard links of
    # the units' own .rmeta files; the stale sweep and the incremental rule each take one side.
    build(demo_copy, {"RUSTFLAGS": "-Cdebug-assertions=off"})
    text = perf("clean", "--dry-run", "--root", str(demo_copy)).stdout
    assert any(ln.startswith("shared between categories") for ln in text.splitlines()), text
    dry, real, gone = dry_then_real(demo_copy)
    totals = dry["totals"]
    assert {"stale", "incremental"} <= set(totals["by_category"])
    assert totals["freed_shared_bytes"] > 0, "rustc links session files to the unit's outputs"
    adds_up(totals)
    adds_up(real["totals"])
    assert totals["freed_bytes"] == real["totals"]["freed_bytes"] == gone
    assert target_after(dry) == target_after(real) == du(demo_copy / "target")
