"""The arms of a Rust workspace: the work tree as it is (B) against a git revision (A).

Both arms run the same commands with the same environment, each in its own tree and its own warm
target dir (`worktree.Scratch`). One run of an arm is:

1. `cargo clean -p <crate>` in the arm's build target dir, untimed: the crate the baseline's
   `build.incremental` touches (the member most others depend on), so no file's time changes;
2. `cargo build` (the baseline's build command) there, timed: `build.rebuild`, that crate and what
   depends on it compiled again;
3. the tests, timed (`tests`), with each test's time and outcome from nextest's JUnit report;
   only the suspects of the screen, when the engine asks for them (a filterset);
4. the doctests, timed (`tests.doc`), when the workspace has any;
5. with `cold_target` (a contract row or a suspicion names a cold-build figure): that dir emptied,
   then the build command there, timed (`build.cold`): the whole workspace, dependencies
   included, from nothing, as `baseline --cold` builds it. A rebuild of one crate says nothing
   about a build script or a dependency that got slower; only a cold build does.

A run measures only the phases the engine's `Scope` names: a pair that confirms a slower test runs
no build and no doctests.

The tests run from a second target dir that nothing cleans: their binaries, built once in
`prepare`, stay fresh, so no run pays to rebuild them.

Hermetic: what the user's environment says about compiling is recorded and controlled the same
way on both arms. `RUSTC_WRAPPER` and `RUSTC_WORKSPACE_WRAPPER` are set empty, which also turns off
a wrapper a cargo config file sets (a compile cache would time cache lookups, and warm one arm with
the other's work), `CARGO_INCREMENTAL=0` (a rebuild then
compiles the crate, so a change in its compile time shows in full), and `CARGO_TARGET_DIR` and
`CARGO_BUILD_BUILD_DIR` name the arm's own dir. `RUSTFLAGS` and the rest pass to both unchanged.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks import settings as settings_mod
from perf_tasks.ab.command_arm import CommandArm, OnStep
from perf_tasks.ab.engine import EVERYTHING, Sample, Scope
from perf_tasks.ab.stats import Threshold
from perf_tasks.errors import CommandFailed, ConfigError
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.fs.regular import read_text
from perf_tasks.inspection import Inspection
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.commands import TOOL_CONFIG_FILE, cargo_test_commands, nextest_commands
from perf_tasks.measure.timing import Run
from perf_tasks.settings import Settings
from perf_tasks.shards.run import default_filter


def test_of(test_id: str) -> tuple[str, str]:
    """nextest's `<binary-id> <test-name>` as (binary id, name)."""
    binary, _, name = test_id.partition(" ")
    return binary, name


BUILD = "build.rebuild"
COLD = "build.cold"
TESTS = "tests"
DOC = "tests.doc"

# When a change counts (docs/usage/compare.md): CPU time is the steadier signal of compiling,
# wall time what people wait for. The floors keep a few milliseconds from ever failing anything.
THRESHOLDS: dict[str, Threshold] = {
    f"{BUILD}.cpu_s": Threshold(delta=0.05, floor=0.10),
    f"{BUILD}.wall_s": Threshold(delta=0.10, floor=0.20),
    f"{COLD}.cpu_s": Threshold(delta=0.05, floor=0.10),
    f"{COLD}.wall_s": Threshold(delta=0.10, floor=0.20),
    f"{TESTS}.cpu_s": Threshold(delta=0.10, floor=0.10),
    f"{TESTS}.wall_s": Threshold(delta=0.10, floor=0.20),
    f"{DOC}.cpu_s": Threshold(delta=0.05, floor=0.10),
    f"{DOC}.wall_s": Threshold(delta=0.10, floor=0.20),
}

LEFT_OUT = (
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
)
CONTROLLED = (
    "CARGO_INCREMENTAL",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_BUILD_DIR",
)


@dataclass(frozen=True)
class Commands:
    """What every run of either arm runs, from the arm's root."""

    build: tuple[str, ...]
    prepare_tests: tuple[str, ...]
    run_tests: tuple[str, ...]
    doc: tuple[str, ...] | None
    clean: tuple[str, ...]  # what makes the next build compile the crate again
    crate: str  # its package id, `name@version`
    runner: str  # "nextest" or "cargo-test"
    profile: str | None  # nextest's
    tool_config: Path  # relative to the target dir


def commands(inspection: Inspection, config: Settings) -> Commands:
    """The commands, from the work tree's inspection and settings. Pure."""
    base = config.baseline
    build = (inspection.cargo, *base.build)
    if base.touch:
        rel = settings_mod.check_relative(base.touch, what="baseline.touch", source=config.source)
        touch = inspection.root / rel
    else:
        touch = cargo_mod.touch_candidate(inspection.metadata)
    crate = package_of(inspection.metadata, touch)
    clean = (inspection.cargo, "clean", "--quiet", "--package", crate)
    doc = (inspection.cargo, "test", "--doc", "--workspace")
    has_doc = cargo_mod.has_doctests(inspection.metadata)
    profile: str | None = None
    runner = "cargo-test"
    if inspection.nextest is not None:
        # The tool config's path is filled in per arm: `{target}` is the arm's target dir.
        profile, runner = base.test_profile, "nextest"
        prepare, _, run = nextest_commands(
            inspection.nextest_program, profile, Path("{target}") / TOOL_CONFIG_FILE
        )
    else:
        prepare, run = cargo_test_commands(inspection.cargo)
    return Commands(
        build=build,
        prepare_tests=prepare,
        run_tests=run,
        doc=doc if has_doc else None,
        clean=clean,
        crate=crate,
        runner=runner,
        profile=profile,
        tool_config=TOOL_CONFIG_FILE,
    )


def package_of(metadata: Mapping[str, Any], path: Path) -> str:
    """`name@version` of the workspace member whose folder holds `path`, the deepest one."""
    best: tuple[int, str] | None = None
    for package in cargo_mod.member_packages(metadata):
        folder = Path(package["manifest_path"]).parent
        if folder in path.parents:
            depth = len(folder.parts)
            if best is None or depth > best[0]:
                best = (depth, f"{package['name']}@{package['version']}")
    if best is None:
        raise ConfigError(
            f"{path} is in no workspace member: set [baseline] touch to a file of a member"
        )
    return best[1]


def arm_env(env: Mapping[str, str], target: Path) -> dict[str, str]:
    """The environment of an arm: the user's, controlled as the module says."""
    out = {k: v for k, v in env.items() if k not in LEFT_OUT and k not in CONTROLLED}
    # Empty, not unset: an empty RUSTC_WRAPPER also turns off a `build.rustc-wrapper` of a cargo
    # config file (the usual way sccache is set up, in ~/.cargo/config.toml).
    out["RUSTC_WRAPPER"] = ""
    out["RUSTC_WORKSPACE_WRAPPER"] = ""
    out["CARGO_INCREMENTAL"] = "0"
    out["CARGO_TARGET_DIR"] = str(target)
    out["CARGO_BUILD_BUILD_DIR"] = str(target)
    return out


def controlled_note(env: Mapping[str, str]) -> str:
    """What the user's environment said, and what both arms ran with instead."""
    said = [f"{k}={env[k]!r}" for k in (*LEFT_OUT, *CONTROLLED) if env.get(k)]
    base = "both arms ran with CARGO_INCREMENTAL=0, their own target dirs and no rustc wrapper"
    return base + (f" (your environment has {', '.join(said)})" if said else "")


class WorkspaceArm(CommandArm):
    """One arm: a workspace root (the work tree, or a revision's checkout) and its target dir."""

    def __init__(
        self,
        label: str,
        root: Path,
        target: Path,
        build_target: Path,
        *,
        commands: Commands,
        env: Mapping[str, str],
        timeout_s: float | None = None,
        on_step: OnStep | None = None,
        cold_target: Path | None = None,
    ) -> None:
        super().__init__(
            root, env=arm_env(env, target), timeout_s=timeout_s or None, on_step=on_step
        )
        self.label = label
        self.cold_target = cold_target  # emptied before each timed cold build; ours alone
        self.cold_env = None if cold_target is None else arm_env(env, cold_target)
        self.last_run_s: float | None = None  # how long the last whole run took (estimates)
        self.target = target
        self.build_env = arm_env(env, build_target)
        tool_config = str(target / commands.tool_config)
        self.commands = Commands(
            build=commands.build,
            prepare_tests=_fill(commands.prepare_tests, tool_config),
            run_tests=_fill(commands.run_tests, tool_config),
            doc=commands.doc,
            clean=commands.clean,
            crate=commands.crate,
            runner=commands.runner,
            profile=commands.profile,
            tool_config=commands.tool_config,
        )
        self.junit: Path | None = None
        if commands.profile is not None:
            self.junit = nextest_runs.junit_path(
                nextest_runs.workspace_config(root),
                profile=commands.profile,
                root=root,
                store_dir=target / "nextest",
            )

    def prepare(self) -> None:
        """Build everything once and write our nextest config. The first run after a checkout
        pays for caches the others would not: the engine's first pair (its screen) or its
        untimed warm-up is that run."""
        self._own_crate()
        self._step("build (untimed, first time may compile everything)", self.commands.build)
        self._step(
            "build again for the timed rebuilds (untimed)", self.commands.build, env=self.build_env
        )
        if self.commands.profile is not None:
            write_atomic(
                self.target / self.commands.tool_config,
                nextest_runs.tool_config(
                    self.commands.profile, store_dir=str(self.target / "nextest")
                ),
            )
        self._step("build the tests (untimed)", self.commands.prepare_tests)

    def _own_crate(self) -> None:
        """The rebuilt crate as this arm's tree names it: a revision may have another version of
        it (a version bump is a common change), and `cargo clean -p name@version` needs the
        arm's own."""
        cmds = self.commands
        name = cmds.crate.rpartition("@")[0]
        out = command.run(
            [cmds.clean[0], "metadata", "--no-deps", "--format-version", "1"],
            cwd=self.root,
            env=self.env,
            what=f"{self.label}: cargo metadata",
        )
        try:
            metadata = json.loads(out.stdout)
        except ValueError:
            raise CommandFailed(f"{self.label}: cargo metadata printed no JSON") from None
        found = [
            f"{p['name']}@{p['version']}"
            for p in cargo_mod.member_packages(metadata)
            if p.get("name") == name
        ]
        if len(found) != 1:
            raise ConfigError(
                f"{self.label}: the rebuilt crate {name} is not a workspace member there: set "
                "[baseline] touch to a file of a member both sides have"
            )
        if found[0] != cmds.crate:
            self.commands = replace(cmds, crate=found[0], clean=(*cmds.clean[:-1], found[0]))

    def run(self, scope: Scope = EVERYTHING) -> Sample:
        started = time.monotonic()
        sample = self._run(scope)
        self.last_run_s = time.monotonic() - started
        return sample

    def _run(self, scope: Scope) -> Sample:
        cmds = self.commands
        values: dict[str, float] = {}
        if scope.measures(BUILD):
            self._step("", cmds.clean, env=self.build_env)
            build = self._timed(cmds.build, env=self.build_env)
            if build.exit_code != 0:
                raise self._failed("the build", cmds.build, build)
            values.update(_figures(BUILD, build))
        times: dict[str, float] = {}
        outcomes: dict[str, str] = {}
        per_test = cmds.runner == "nextest"
        if scope.measures(TESTS):
            per_test = self._tests(scope.tests, values, times, outcomes)
        if cmds.doc is not None and scope.measures(DOC):
            doc = self._timed(cmds.doc)
            values.update(_figures(DOC, doc))
            outcomes["doctests"] = "passed" if doc.exit_code == 0 else "failed"
        if self.cold_target is not None and scope.measures(COLD):
            values.update(_figures(COLD, self._cold(self.cold_target)))
        return Sample(values=values, test_times=times, test_outcomes=outcomes, per_test=per_test)

    def _tests(
        self,
        only: frozenset[str] | None,
        values: dict[str, float],
        times: dict[str, float],
        outcomes: dict[str, str],
    ) -> bool:
        """Run the tests (`only` those, by a filterset, under nextest), timed; fill in the
        figures, each test's time and outcome. Whether per-test times were read."""
        cmds = self.commands
        argv = cmds.run_tests
        if only is not None and cmds.runner == "nextest":
            argv = (*argv, "-E", default_filter(tuple(test_of(t) for t in only)))
        if self.junit is not None:
            self.junit.unlink(missing_ok=True)
        tests = self._timed(argv, counts_tests=cmds.runner == "nextest")
        values.update(_figures(TESTS, tests))
        if self.junit is not None and self.junit.is_file():
            for case in nextest_runs.parse_junit(read_text(self.junit)):
                outcomes[case.id] = case.status
                if case.status != "skipped":
                    times[case.id] = case.time_s
            return True
        # cargo test: no per-test times, one outcome for the whole run
        outcomes["tests"] = "passed" if tests.exit_code == 0 else "failed"
        return False

    def _cold(self, target: Path) -> Run:
        """The build command from an empty target dir of this arm's own, timed."""
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        run = self._timed(self.commands.build, env=self.cold_env)
        if run.exit_code != 0:
            raise self._failed("the cold build", self.commands.build, run)
        return run


def _figures(phase: str, run: Run) -> dict[str, float]:
    return {f"{phase}.wall_s": run.wall_s, f"{phase}.cpu_s": run.cpu_s}


def _fill(argv: tuple[str, ...], tool_config: str) -> tuple[str, ...]:
    return tuple(a.replace("{target}/" + str(TOOL_CONFIG_FILE), tool_config) for a in argv)
