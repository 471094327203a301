"""Every nextest run of the tool (baseline, the A/B, tests.runners, verify) is built by one
function: `cargo-nextest` itself (no cargo alias can intercept it), and the flags that outrank the
workspace's `.config/nextest.toml` and NEXTEST_* variables. verify's runs are tested on real
nextest in tests/verify/test_workspace_config.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_tasks import settings
from perf_tasks.ab import revision_arms
from perf_tasks.inspection import Inspection
from perf_tasks.measure import baseline, nextest_runs
from perf_tasks.runners import arms
from perf_tasks.workspace import Workspace

NEXTEST = "/opt/tools/bin/cargo-nextest"


def facts(root: Path) -> Inspection:
    member = {
        "id": "core 0.1.0",
        "name": "core",
        "version": "0.1.0",
        "manifest_path": str(root / "Cargo.toml"),
        "dependencies": [],
        "targets": [{"kind": ["lib"], "src_path": str(root / "src" / "lib.rs"), "doctest": True}],
    }
    return Inspection(
        workspace=Workspace(root=root, target_dir=root / "target", build_dir=root / "target"),
        cargo="/opt/rust/bin/cargo",
        metadata={"packages": [member], "workspace_members": ["core 0.1.0"]},
        nextest="cargo-nextest 0.9.148",
        nextest_config={},
        tmp_dir=root,
        nextest_path=NEXTEST,
    )


def runs(root: Path) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Each caller's nextest commands: (build, list?, run)."""
    inspection = facts(root)
    plan = baseline.plan(inspection, settings.Settings(), baseline.Options())
    ab = revision_arms.commands(inspection, settings.Settings())
    runner = arms.commands(inspection.cargo, NEXTEST, root / "t", has_doc=True)
    steps = [s.argv for s in plan.steps if s.argv[0] == NEXTEST]
    return {
        "baseline": tuple(steps),
        "ab": (ab.prepare_tests, ab.run_tests),
        "runners": (runner.nextest_build, runner.nextest_list, runner.nextest_run),
    }


@pytest.mark.parametrize("caller", ["baseline", "ab", "runners"])
def test_every_run_is_cargo_nextest_itself_with_the_pinned_flags(
    tmp_path: Path, caller: str
) -> None:
    commands = runs(tmp_path)[caller]
    assert commands, "the caller runs nextest"
    for argv in commands:
        assert argv[:2] == (NEXTEST, "nextest"), argv  # never `cargo nextest`
    run = commands[-1]
    assert run[2] == "run" and "--no-run" not in run
    for flag in ("--ignore-default-filter", "--no-fail-fast"):
        assert flag in run, run
    assert run[run.index("--retries") + 1] == "0"
    assert run[run.index("--flaky-result") + 1] == "fail"
    for argv in commands:
        if argv[2] == "list":
            assert "--ignore-default-filter" in argv, argv


def test_one_function_builds_them() -> None:
    run = nextest_runs.argv(
        "cargo-nextest", "run", profile="p", tool_config="/c.toml", args=("-x",)
    )
    assert run == (
        "cargo-nextest",
        "nextest",
        "run",
        "-x",
        "--profile",
        "p",
        "--tool-config-file",
        "perf-tasks:/c.toml",
        *nextest_runs.PINNED_RUN,
        "--no-tests=pass",  # a selection with no test is a pass, unless the caller says
    )
    warn = nextest_runs.argv(
        "cargo-nextest", "run", profile="p", tool_config="/c.toml", args=("--no-tests=warn",)
    )
    assert [a for a in warn if a.startswith("--no-tests")] == ["--no-tests=warn"]
    build = nextest_runs.argv("cargo-nextest", "build", profile="p", tool_config="/c.toml")
    assert build[-1] == "--no-run" and "--retries" not in build  # nextest refuses both at once
