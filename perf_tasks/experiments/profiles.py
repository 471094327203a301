"""`profiles.compare A B`: two cargo profiles measured side by side on this workspace, and a
recommendation only when the tests pass the same under both.

The profiles are applied in a scratch copy of the workspace (never in the user's files): a profile
of `perf-tasks.toml` (`[profiles.<name>]`) or of the team's set (`dev-fast`, `ci`) is written into
the copy's `Cargo.toml` as `profiles.apply` would write it; one the manifest already has, or one of
cargo's own (`dev`, `release`, ...), is built as it is. Each profile is one arm of the A/B engine
(`revision_arms.WorkspaceArm`, the copy as its tree, its own target dirs), with `--profile` on
every cargo command (`--cargo-profile` on nextest's): the incremental rebuild after the standard
touch, the tests, the doctests and the cold build, in interleaved pairs.

A profile can change behaviour (`overflow-checks`, `debug-assertions`, `panic = "abort"`): when a
test appears, disappears, changes outcome or fails under either profile, nothing is recommended
and the tests are named.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit

from perf_tasks.ab import engine, stats, worktree
from perf_tasks.ab.engine import EVERYTHING, Design, Outcome, Sample, Scope
from perf_tasks.ab.revision_arms import COLD, THRESHOLDS, Commands, WorkspaceArm, commands
from perf_tasks.ab.stats import MIN_PAIRS
from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError, ExitCode, UsageError
from perf_tasks.fs.atomic import write_atomic
from perf_tasks.fs.regular import read_text
from perf_tasks.fs.scan import scan
from perf_tasks.measure.timing import Run
from perf_tasks.profiles import apply as apply_mod
from perf_tasks.profiles import model, resolve
from perf_tasks.progress import Progress
from perf_tasks.runlock import run_lock

CARGO_OWN = ("dev", "release", "test", "bench")
SLOT = "profiles"
NO_CLEAR_DIFFERENCE = "no clear difference"
OUTCOMES_DIFFER = "outcomes differ"
MIXED = "faster on some figures, slower on others"
# What never goes into the scratch copy: build outputs, git's data, our run lock.
NOT_COPIED = ("target", ".git", ".perf-tasks.lock")


@dataclass(frozen=True)
class Request:
    a: str
    b: str
    max_pairs: int = engine.DEFAULT_MAX_PAIRS
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        for name in (self.a, self.b):
            problem = model.check_name(name) if name else "is empty"
            if problem:
                raise UsageError(f"profile {name!r} {problem}: name a cargo profile")
        if self.a == self.b:
            raise UsageError(f"profiles.compare needs two different profiles (both are {self.a!r})")
        if self.max_pairs < MIN_PAIRS:
            raise UsageError(
                f"--max-pairs {self.max_pairs} is too few: a 95% interval needs at least "
                f"{MIN_PAIRS}"
            )

    @classmethod
    def of(
        cls, a: str | None, b: str | None, max_pairs: int | None, timeout_s: float | None
    ) -> Request:
        if not a or not b:
            raise UsageError("name two profiles: profiles.compare dev dev-fast")
        pairs = engine.DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
        return cls(a, b, pairs, timeout_s or None)


@dataclass(frozen=True)
class Report:
    root: Path
    request: Request
    outcome: Outcome
    written: tuple[str, ...]  # the profiles written into the copy (from perf-tasks.toml or ours)
    differences: tuple[stats.TestChange, ...]  # tests that differ in presence or outcome
    failing: tuple[str, ...]  # tests that failed under either profile
    recommended: str | None
    verdict: str
    command: str | None  # how to use the recommended profile

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INCOMPLETE if self.differences or self.failing else ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "kind": "perf-tasks.profiles-compare",
            "root": str(self.root),
            "a": self.request.a,
            "b": self.request.b,
            "written_in_the_copy": list(self.written),
            "recommended": self.recommended,
            "verdict": self.verdict,
            "command": self.command,
            "differences": [
                {"id": t.id, "change": t.change, "a": t.before, "b": t.after}
                for t in self.differences
            ],
            "failing": list(self.failing),
            "comparison": self.outcome.as_json(),
        }


PEAK_RSS = f"{COLD}.peak_rss_bytes"  # the cold build's process tree, sampled
TARGET_BYTES = "target.bytes"  # what the cold build left in its target dir, as du counts it


class ProfileArm(WorkspaceArm):
    """A profile's arm: the workspace arm's figures, plus the cold build's peak RAM and the size
    of the target dir it filled (shown, not deciding: a profile trades them for time)."""

    cold_run: Run | None = None

    def _cold(self, target: Path) -> Run:
        self.cold_run = super()._cold(target)
        return self.cold_run

    def run(self, scope: Scope = EVERYTHING) -> Sample:  # measures everything
        self.cold_run = None
        sample = super().run()
        return replace(sample, values={**sample.values, **self._extra()})

    def _extra(self) -> dict[str, float]:
        extra: dict[str, float] = {}
        if self.cold_run is not None and self.cold_run.peak_tree_rss is not None:
            extra[PEAK_RSS] = float(self.cold_run.peak_tree_rss)
        if self.cold_target is not None:
            extra[TARGET_BYTES] = float(scan([self.cold_target]).total().bytes)
        return extra


def with_profile(cmds: Commands, profile: str) -> Commands:
    """Every command of an arm built with `profile`. Pure."""
    cargo_flag = ("--profile", profile)
    nextest_flag = ("--cargo-profile", profile)
    test_flag = nextest_flag if cmds.runner == "nextest" else cargo_flag
    clean = cmds.clean
    at = clean.index("--package")  # the crate stays last: the arm fills in its own version
    return replace(
        cmds,
        build=(*cmds.build, *cargo_flag),
        prepare_tests=(*cmds.prepare_tests, *test_flag),
        run_tests=(*cmds.run_tests, *test_flag),
        doc=None if cmds.doc is None else (*cmds.doc, *cargo_flag),
        clean=(*clean[:at], *cargo_flag, *clean[at:]),
    )


def to_write(root: Path, request: Request, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The profiles to write into the copy: those of perf-tasks.toml or the team's set. A name
    neither there, nor in the manifest, nor cargo's own is one line."""
    in_manifest = resolve.profiles_in(root / apply_mod.MANIFEST, shown=apply_mod.MANIFEST)
    out: dict[str, Any] = {}
    for name in (request.a, request.b):
        if name in known:
            out[name] = known[name]
        elif name not in in_manifest and name not in CARGO_OWN:
            raise ConfigError(
                f"unknown profile {name!r}: use one of Cargo.toml's, cargo's own "
                f"({', '.join(CARGO_OWN)}), {', '.join(known)}, or define [profiles.{name}] "
                "in perf-tasks.toml"
            )
    return out


def outcome_changes(outcome: Outcome) -> tuple[stats.TestChange, ...]:
    """The tests that differ in presence or outcome between the profiles (not in time). Pure."""
    kept = (stats.APPEARED, stats.DISAPPEARED, stats.OUTCOME)
    return tuple(t for t in outcome.tests if t.change in kept)


def recommend(outcome: Outcome, request: Request) -> tuple[str | None, str]:
    """B when it improved a deciding figure and regressed none; A the reverse; otherwise no clear
    difference (or a trade-off). Nothing when the tests differ or fail. Pure."""
    if outcome_changes(outcome) or outcome.failing:
        return None, OUTCOMES_DIFFER
    deciding = [m for m in outcome.metrics if m.decides]
    better = [m for m in deciding if m.verdict == stats.IMPROVEMENT]
    worse = [m for m in deciding if m.verdict == stats.REGRESSION]
    if better and not worse:
        return request.b, request.b
    if worse and not better:
        return request.a, request.a
    return None, MIXED if better else NO_CLEAR_DIFFERENCE


def check_copyable(root: Path, metadata: Mapping[str, Any]) -> None:
    """Every path dependency of the workspace's packages is inside `root`: a copy elsewhere
    would not find one outside (`path = "../shared"`), and cargo would fail after the copy.
    One line naming the first. Pure."""
    top = os.path.abspath(root)
    for package in metadata.get("packages") or ():
        for dep in package.get("dependencies") or ():
            path = dep.get("path")
            if isinstance(path, str) and os.path.commonpath([top, os.path.abspath(path)]) != top:
                raise ConfigError(
                    f"{package.get('name')}'s dependency {dep.get('name')!r} is at {path}, "
                    f"outside the workspace {root}: profiles.compare builds a copy of the "
                    "workspace elsewhere, where it is not found; compare the profiles with "
                    "`perf-tasks baseline` before and after `profiles.apply` instead"
                )


def copy_workspace(root: Path, copy: Path, env: Mapping[str, str]) -> None:
    """The workspace's files (not its build outputs or git data) in a fresh scratch folder, built
    with the same cargo configuration as the workspace itself."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    parents = parent_configs(root, env)
    if parents:
        _include_in_copy(copy, parents)


def parent_configs(root: Path, env: Mapping[str, str]) -> list[Path]:
    """The `.cargo/config.toml` files of `root`'s parent dirs that cargo reads for a build in
    `root`, lowest priority first: a copy elsewhere has other parents. Cargo's home config is
    not one (the copy's builds read it too, with the same environment)."""
    own, home = root / ".cargo", resolve.home_config(env)
    return [
        p
        for p in resolve.config_files(root, env)
        if p.parent != own and (home is None or not _same(p, home))
    ]


def include_parents(config_text: str, parents: Sequence[Path]) -> str:
    """The copy's own `.cargo/config.toml` with the parent dirs' files `include`d: cargo merges
    an included file below the including one's own keys, as a parent dir's file is below the
    workspace's; they go first, before any include of the file's own. Text in, text out."""
    doc = tomlkit.parse(config_text)
    theirs = doc.get("include")
    if theirs is None:
        kept: list[Any] = []
    elif isinstance(theirs, list):
        kept = list(theirs)
    else:
        kept = [theirs]
    items = tomlkit.array()
    items.extend([str(p) for p in parents] + kept)
    if "include" in doc:
        del doc["include"]
    body = tomlkit.dumps(doc)
    return tomlkit.dumps({"include": items}) + body


def _include_in_copy(copy: Path, parents: Sequence[Path]) -> None:
    folder = copy / ".cargo"
    existing = next((folder / n for n in ("config", "config.toml") if (folder / n).is_file()), None)
    target = existing or folder / "config.toml"
    text = "" if existing is None else read_text(existing)
    folder.mkdir(exist_ok=True)
    write_atomic(target, include_parents(text, parents))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def run(context: RunContext, request: Request, *, progress: Progress) -> Report:
    """`profiles.compare`, one call."""
    root, inspection = context.root, context.inspection
    known = apply_mod.known(context.settings)
    written = to_write(root, request, known)
    check_copyable(root, inspection.metadata)
    base = commands(inspection, context.settings)
    report = progress.on_pair or (lambda what, i, n: None)
    scratch = worktree.Scratch.of(root, inspection.env)
    copy = scratch.tree(SLOT)

    def on_step(label: str, what: str) -> None:
        report(f"{label}: {what}", 0, 0)

    def arm(name: str) -> ProfileArm:
        return ProfileArm(
            name,
            copy,
            scratch.target(f"{SLOT}-{name}-tests"),
            scratch.target(f"{SLOT}-{name}"),
            commands=with_profile(base, name),
            env=inspection.env,
            timeout_s=request.timeout_s,
            on_step=on_step,
            cold_target=scratch.target(f"{SLOT}-{name}-cold"),
        )

    with run_lock(root):
        scratch.claim()
        try:
            report("copy the workspace and apply the profiles there (untimed)", 0, 0)
            copy_workspace(root, copy, inspection.env)
            if written:
                edit = apply_mod.plan(copy, written)
                write_atomic(copy / apply_mod.MANIFEST, edit.new)
            design = Design(dict(THRESHOLDS), max_pairs=request.max_pairs)
            outcome = engine.compare(arm(request.a), arm(request.b), design, on_run=report)
        finally:
            shutil.rmtree(copy, ignore_errors=True)
            for name in (request.a, request.b):
                for suffix in ("", "-tests", "-cold"):
                    shutil.rmtree(scratch.target(f"{SLOT}-{name}{suffix}"), ignore_errors=True)
    recommended, verdict = recommend(outcome, request)
    command = None
    if recommended is not None:
        command = (
            f"perf-tasks profiles.apply --profile {recommended}"
            if recommended in written
            else f"cargo build --profile {recommended}"
        )
    return Report(
        root=root,
        request=request,
        outcome=outcome,
        written=tuple(written),
        differences=outcome_changes(outcome),
        failing=outcome.failing,
        recommended=recommended,
        verdict=verdict,
        command=command,
    )
