"""What a timed build needs from cargo: units counted, a file touched for real."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from perf_tasks.errors import ConfigError
from perf_tasks.measure import cargo


def message(reason: str, **fields: object) -> str:
    return json.dumps({"reason": reason, **fields})


def test_units_are_counted_by_their_fresh_flag() -> None:
    stdout = "\n".join(
        [
            message("compiler-artifact", fresh=True, target={"name": "build-script-build"}),
            message("build-script-executed"),
            message("compiler-artifact", fresh=False, target={"name": "core"}),
            message("compiler-artifact", fresh=False, target={"name": "cli"}),
            "warning: not json",
            "{broken json",
            message("build-finished", success=True),
        ]
    )
    assert cargo.count_units(stdout) == cargo.Units(compiled=2, fresh=1)


def test_build_args_get_the_json_format_and_refuse_their_own() -> None:
    assert cargo.build_args(["build", "--workspace"], source="x") == (
        "build",
        "--workspace",
        "--message-format=json-render-diagnostics",
    )
    with pytest.raises(ConfigError, match="--message-format"):
        cargo.build_args(["build", "--message-format=short"], source="perf-tasks.toml")
    with pytest.raises(ConfigError, match="empty"):
        cargo.build_args([], source="perf-tasks.toml")


def metadata(tmp_path: Path) -> dict[str, object]:
    def package(name: str, deps: list[str], kinds: list[str]) -> dict[str, object]:
        return {
            "id": f"path+file://{tmp_path}/{name}#0.1.0",
            "name": name,
            "dependencies": [{"name": d, "kind": None} for d in deps]
            + [{"name": "helper", "kind": "dev"}],
            "targets": [
                {
                    "kind": [k],
                    "src_path": str(tmp_path / name / "src" / f"{k}.rs"),
                    "doctest": k == "lib",
                }
                for k in kinds
            ],
        }

    packages = [
        package("cli", ["core", "report"], ["bin"]),
        package("report", ["core"], ["lib"]),
        package("core", [], ["lib", "bin"]),
        package("helper", [], ["lib"]),  # only a dev-dependency of the others
    ]
    return {"packages": packages, "workspace_members": [p["id"] for p in packages]}


def test_touch_candidate_is_the_most_depended_on_library(tmp_path: Path) -> None:
    assert cargo.touch_candidate(metadata(tmp_path)) == tmp_path / "core" / "src" / "lib.rs"
    assert cargo.member_names(metadata(tmp_path)) == ["cli", "report", "core", "helper"]
    assert cargo.has_doctests(metadata(tmp_path))


def test_a_binary_only_workspace_touches_its_main(tmp_path: Path) -> None:
    data = metadata(tmp_path)
    data["packages"] = [data["packages"][0]]  # type: ignore[index]
    data["workspace_members"] = [data["packages"][0]["id"]]  # type: ignore[index]
    assert cargo.touch_candidate(data) == tmp_path / "cli" / "src" / "bin.rs"
    assert not cargo.has_doctests(data)


def test_touch_moves_the_mtime_forward_even_from_the_future(tmp_path: Path) -> None:
    src = tmp_path / "lib.rs"
    src.write_text("pub fn f() {}\n")
    future = 4_000_000_000 * 10**9  # the year 2096: a clock that was wrong once
    os.utime(src, ns=(future, future))
    now = 1_700_000_000 * 10**9
    after = cargo.touch(src, now_ns=now)
    assert after > future and src.stat().st_mtime_ns == after
    # From the past: to now.
    os.utime(src, ns=(now - 10**9, now - 10**9))
    assert cargo.touch(src, now_ns=now) == now
    assert src.read_text() == "pub fn f() {}\n"


def test_units_warnings_name_what_went_wrong() -> None:
    assert cargo.units_warning("build", [cargo.Units(0, 4)]) is None
    assert "compiled 2 units" in (cargo.units_warning("build", [cargo.Units(2, 2)]) or "")
    touched = cargo.units_warning("build.incremental", [cargo.Units(0, 4)], touched="src/lib.rs")
    assert (
        touched
        == "build.incremental: touching src/lib.rs rebuilt nothing: cargo did not see the change"
    )
    assert (
        cargo.units_warning("build.incremental", [cargo.Units(1, 3)], touched="src/lib.rs") is None
    )
