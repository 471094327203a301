"""The plan: every command the baseline runs, decided from facts without running anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from perf_tasks import settings
from perf_tasks.errors import ConfigError
from perf_tasks.inspection import Inspection
from perf_tasks.measure import baseline
from perf_tasks.workspace import Workspace

CARGO = "/opt/rust/bin/cargo"


def facts(
    root: Path, *, nextest: str | None = "cargo-nextest 0.9.0", config: Any = None
) -> Inspection:
    member = {
        "id": "core 0.1.0",
        "name": "core",
        "dependencies": [],
        "targets": [{"kind": ["lib"], "src_path": str(root / "src" / "lib.rs"), "doctest": True}],
    }
    return Inspection(
        workspace=Workspace(root=root, target_dir=root / "target", build_dir=root / "target"),
        cargo=CARGO,
        metadata={"packages": [member], "workspace_members": ["core 0.1.0"]},
        nextest=nextest,
        nextest_config=config or {},
        tmp_dir=Path("/tmp"),
    )


def phases(plan: baseline.Plan) -> list[tuple[str, bool]]:
    return [(s.phase, s.timed) for s in plan.steps]


def test_nextest_plan_prepares_first_and_times_each_phase(tmp_path: Path) -> None:
    opts = baseline.options(settings.Settings(), runs=5, warmup=1)
    plan = baseline.plan(facts(tmp_path), settings.Settings(), opts)
    assert phases(plan) == [
        ("prepare", False),
        ("prepare", False),
        ("prepare", False),
        ("build", True),
        ("build.incremental", True),
        ("prepare", False),  # the touch made the test binaries stale: rebuilt untimed
        ("tests", True),
        ("tests.doc", True),
    ]
    tool = f"perf-tasks:{tmp_path}/target/perf-tasks/nextest.toml"
    assert plan.steps[0].argv == (CARGO, "build", "--workspace")
    ours = ("--workspace", "--profile", "ci", "--tool-config-file", tool)
    # cargo-nextest itself, not `cargo nextest`, which a cargo alias could redefine
    assert plan.steps[1].argv == (
        "cargo-nextest",
        "nextest",
        "run",
        *ours,
        "--no-run",
    )
    build = plan.step("build")
    assert build is not None
    assert build.argv == (CARGO, "build", "--workspace", "--message-format=json-render-diagnostics")
    assert (build.runs, build.warmup) == (5, 1)
    incremental = plan.step("build.incremental")
    assert incremental is not None and incremental.before == "touch src/lib.rs"
    tests = plan.step("tests")
    assert tests is not None
    assert tests.argv == (
        "cargo-nextest",
        "nextest",
        "run",
        *ours[:1],
        "--no-tests=warn",
        *ours[1:],
        "--ignore-default-filter",
        "--retries",
        "0",
        "--flaky-result",
        "fail",
        "--no-fail-fast",
        "--status-level",
        "pass",
    )
    assert plan.runner == baseline.NEXTEST and plan.profile_source == "perf-tasks"
    assert plan.junit == tmp_path / "target" / "nextest" / "ci" / "junit.xml"
    assert plan.step("build.cold") is None
    assert plan.record_dir == tmp_path / "docs" / "performance"
    assert list(plan.outputs) == ["output_scg", "cache", "artifacts"]


def test_without_nextest_it_falls_back_to_cargo_test_and_says_so(tmp_path: Path) -> None:
    plan = baseline.plan(facts(tmp_path, nextest=None), settings.Settings(), baseline.Options())
    tests = plan.step("tests")
    assert tests is not None
    assert tests.argv == (CARGO, "test", "--workspace", "--tests", "--no-fail-fast")
    assert plan.runner == baseline.CARGO_TEST and plan.junit is None and plan.tool_config is None
    assert any("cargo-nextest is not installed" in n for n in plan.notes)
    assert not any(s.argv[1] == "nextest" for s in plan.steps)


def test_the_workspace_profile_wins(tmp_path: Path) -> None:
    config = {"profile": {"ci": {"retries": 2, "junit": {"path": "ci.xml"}}}}
    plan = baseline.plan(facts(tmp_path, config=config), settings.Settings(), baseline.Options())
    assert plan.profile_source == "workspace"
    assert plan.junit == tmp_path / "target" / "nextest" / "ci" / "ci.xml"
    assert any(".config/nextest.toml" in n for n in plan.notes)


def test_cold_build_runs_in_scratch_dirs_once(tmp_path: Path) -> None:
    opts = baseline.options(settings.Settings(), runs=3, cold=True)
    plan = baseline.plan(facts(tmp_path), settings.Settings(), opts)
    cold = plan.step("build.cold")
    assert cold is not None and (cold.runs, cold.warmup) == (1, 0)
    assert plan.scratch is not None and plan.scratch.parent == Path("/tmp")
    assert cold.env == {
        "CARGO_TARGET_DIR": str(plan.scratch / "target"),
        "CARGO_BUILD_BUILD_DIR": str(plan.scratch / "build"),
    }
    assert tmp_path not in plan.scratch.parents  # the user's dirs are untouched


def test_settings_steer_the_plan(tmp_path: Path) -> None:
    config = settings.parse(
        {
            "baseline": {
                "build": ["build", "--workspace", "--release"],
                "touch": "src/main.rs",
                "test_profile": "perf",
                "dir": "perf",
                "runs": 7,
            }
        },
        source="perf-tasks.toml",
    )
    plan = baseline.plan(facts(tmp_path), config, baseline.options(config))
    build = plan.step("build")
    assert build is not None and build.runs == 7 and "--release" in build.argv
    assert plan.touch == tmp_path / "src" / "main.rs"
    assert plan.profile == "perf" and "[profile.perf]" in plan.tool_config_text
    assert plan.record_dir == tmp_path / "perf"


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"dir": "../outside"}, "baseline.dir"),
        ({"touch": "/etc/passwd"}, "baseline.touch"),
        ({"build": ["build", "--message-format=short"]}, "--message-format"),
    ],
)
def test_bad_settings_are_one_clear_error(
    tmp_path: Path, table: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):  # the schema refuses it as it reads the file
        config = settings.parse({"baseline": table}, source="perf-tasks.toml")
        baseline.plan(facts(tmp_path), config, baseline.Options())


def test_counts_are_checked() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        baseline.options(settings.Settings(), runs=0)
    with pytest.raises(ConfigError, match="negative"):
        baseline.options(settings.Settings(), warmup=-1)


def test_a_touch_file_that_does_not_exist_stops_before_any_command(tmp_path: Path) -> None:
    config = settings.parse({"baseline": {"touch": "src/gone.rs"}}, source="perf-tasks.toml")
    plan = baseline.plan(facts(tmp_path), config, baseline.Options())
    with pytest.raises(ConfigError, match=r"src/gone\.rs does not exist"):
        baseline.execute(plan, env={})  # an empty env: any command run would fail differently
