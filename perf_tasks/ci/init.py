"""`ci.init`: plan the two workflow files of a workspace, then write them (or refuse).

Planning reads what is there and renders what would be written; it writes nothing. Writing replaces
an existing file only when asked (`force`), and writes the files as one unit, atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from perf_tasks.ci import inputs as ci_inputs
from perf_tasks.ci import options as ci_options
from perf_tasks.ci import workflows
from perf_tasks.ci.inputs import Inputs, Lock
from perf_tasks.ci.workflows import Options
from perf_tasks.context import RunContext
from perf_tasks.edit.file import Planned
from perf_tasks.errors import FileExists, UsageError, WorkspaceError
from perf_tasks.fs import guarded


@dataclass(frozen=True)
class File(Planned):
    """A workflow file; `before` is shown relative to the root: ".github/workflows/ci.yml"."""

    @property
    def old(self) -> str | None:
        """None: there is no such file."""
        return self.before.text

    @property
    def action(self) -> str:
        if not self.exists:
            return "create"
        return "replace" if self.changes else "unchanged"

    def diff(self) -> str:
        """The unified diff from the file there to the new text ("" when none is there)."""
        return "" if self.old is None else self.unified_diff()


@dataclass(frozen=True)
class Plan:
    root: Path
    options: Options
    files: tuple[File, ...]
    notes: tuple[str, ...]  # what the user should do for the workflows to work
    inputs: Inputs  # what the workflows took from the workspace
    choices: tuple[str, ...]  # how the workflows build and cache, and why, in the user's words

    @property
    def blocked(self) -> tuple[File, ...]:
        """Files there whose text would change: replaced only with `force`."""
        return tuple(f for f in self.files if f.exists and f.changes)


def plan(
    root: Path,
    *,
    env: Mapping[str, str],
    install: str | None = None,
    use_action: str | None = None,
    shards: int = 0,
) -> Plan:
    """What `ci.init` would write in the workspace at `root`, and what to tell the user."""
    from perf_tasks import settings as settings_mod
    from perf_tasks.fs.guarded import read

    if not (root / "Cargo.toml").is_file():
        raise WorkspaceError(f"no Cargo.toml in {root}: point --root at the workspace's root")
    settings = settings_mod.load(root)
    inputs = ci_inputs.read(root, env=env)
    opts = replace(ci_options.options(root, settings, inputs, install=install), shards=shards)
    if use_action is not None:  # the perf-tasks action installs it, pinned to a commit
        from perf_tasks.ci.values import check_action

        opts = replace(opts, action=check_action(use_action, what="--use-action"))
    files = []
    from perf_tasks.ci import sharded

    ci_doc = sharded.ci(opts) if opts.shards else None
    for shown, text in workflows.render(opts, ci_doc=ci_doc).items():
        path = root / shown
        _no_link(root, shown)
        files.append(File(read(path, shown=shown), text))
    found = notes(
        root, opts, inputs, install_set=bool(install or settings.ci.install or use_action)
    )
    if not (root / settings.gates.contract).is_file():
        found += (
            f"no {settings.gates.contract}: the perf job's `perf-tasks gate` fails until there is "
            "one: write it with `perf-tasks contract.init` and commit it",
        )
    return Plan(root, opts, tuple(files), found, inputs, choices(opts, inputs))


def _no_link(root: Path, shown: str) -> None:
    """`.github`, `.github/workflows` and the file itself are the repository's own: a symlink
    (maybe dangling, maybe out of the root) would be written through, or replaced, and GitHub
    reads workflows from the repository's files, not through links."""
    path = root
    for part in Path(shown).parts:
        path = path / part
        if path.is_symlink():
            where = path.relative_to(root).as_posix()
            raise WorkspaceError(
                f"{where} is a symlink: GitHub reads workflows from the repository's own files; "
                "replace the link with a real folder or file, then run ci.init again"
            )


_LOCK_SAYS = {
    Lock.TRACKED: "Cargo.lock is committed",
    Lock.IGNORED: "git ignores Cargo.lock",
    Lock.UNTRACKED: "Cargo.lock is not committed",
    Lock.MISSING: "there is no Cargo.lock",
}


def choices(opts: Options, inputs: Inputs) -> tuple[str, ...]:
    """How the workflows build, cache and set up Rust, each with the fact it follows from."""
    nextest = f"cargo nextest run --profile {opts.nextest_profile}"
    if inputs.cargo_profile:
        built = (
            f"the tests build with cargo's [profile.{inputs.cargo_profile}] of "
            f"{inputs.profile_file} ({nextest} --cargo-profile {inputs.cargo_profile})"
        )
    else:
        built = (
            f"the tests build with cargo's dev profile ({nextest}): the workspace has no "
            f"[profile.{ci_inputs.TEAM_PROFILE}]"
        )
    keyed = workflows.LOCK_FILES if opts.lock_tracked else workflows.MANIFESTS
    why = "" if opts.lock_tracked else f" ({_LOCK_SAYS[inputs.lock]})"
    toolchain = opts.toolchain
    pinned = f"pinned by {toolchain.file}" if toolchain.file else "nothing pins one"
    return (
        built,
        f"the cargo cache is keyed on the OS, the toolchain and {keyed}{why}",
        f"CI installs Rust {toolchain.channel} ({pinned})",
    )


def notes(root: Path, opts: Options, inputs: Inputs, *, install_set: bool) -> tuple[str, ...]:
    """What the workflows need from the workspace that it does not have yet."""
    from perf_tasks.measure.nextest_runs import has_profile, workspace_config

    out = []
    if not install_set:
        out.append(
            f"CI installs perf-tasks as {opts.install!r} from the package index: if perf-tasks is "
            "not published there, set [ci] install (or --install) to a pinned git revision or a "
            "wheel (docs/usage/ci.md)"
        )
    if not has_profile(workspace_config(root), opts.nextest_profile):
        out.append(
            f".config/nextest.toml has no [profile.{opts.nextest_profile}]: run `perf-tasks "
            "nextest.init` so that `cargo nextest run --profile ci` finds it and writes JUnit"
        )
    if inputs.cargo_profile is None:
        out.append(
            f"no [profile.{ci_inputs.TEAM_PROFILE}] in Cargo.toml: CI builds the tests with "
            f"cargo's dev profile; `perf-tasks profiles.apply --profile {ci_inputs.TEAM_PROFILE}` "
            "adds the team's, and ci.init --force then builds with it"
        )
    if inputs.lock is not Lock.TRACKED:
        out.append(
            f"{_LOCK_SAYS[inputs.lock]}: CI has none to hash, so the cache key hashes the "
            "manifests (**/Cargo.toml) and misses a dependency update; commit Cargo.lock for a "
            "key that follows the dependencies"
        )
    if not (root / ".git").exists():
        out.append(
            "the root is not a git repository's top: GitHub reads workflows only from "
            ".github/workflows at the top of the repository"
        )
    return tuple(out)


def write(plan: Plan, *, force: bool) -> tuple[File, ...]:
    """Write the files whose text changes, all or none, through the guarded writer; the files
    written. Without `force`, a file there whose text would change stops it before anything is
    written."""
    blocked = plan.blocked
    if blocked and not force:
        names = " and ".join(f.shown for f in blocked)
        verb = "exists" if len(blocked) == 1 else "exist"
        raise FileExists(
            f"{names} {verb}: pass --force to replace (--dry-run shows the diff); "
            "nothing was written"
        )
    from perf_tasks.fs import guarded

    todo = tuple(f for f in plan.files if f.changes)
    guarded.write(plan.root, [(f.before, f.new) for f in todo])
    return todo


SCHEMA_VERSION = 1
MAX_SHARDS = 256  # GitHub's limit of jobs in one matrix


@dataclass(frozen=True)
class InitRequest:
    install: str | None = None  # the pip requirement CI installs perf-tasks with
    force: bool = False  # replace workflow files that are already there
    dry_run: bool = False
    use_action: str | None = None  # the perf-tasks action installs it: OWNER/REPO@<commit>
    shards: int | None = None  # None: one test job; N: build, N shard jobs, doctests, merge

    def __post_init__(self) -> None:
        if self.install is not None and self.use_action is not None:
            raise UsageError(
                "--install and --use-action do not go together: the action installs the "
                "perf-tasks of the commit it is pinned to; give one of them"
            )
        if self.shards is not None and not 2 <= self.shards <= MAX_SHARDS:
            raise UsageError(
                f"--shards {self.shards}: give a whole number from 2 to {MAX_SHARDS} "
                "(GitHub's matrix runs at most 256 jobs), or leave it out for one test job"
            )


@dataclass(frozen=True)
class Initialized:
    """`ci.init`: the plan, and the files written (none in a dry run)."""

    plan: Plan
    written: tuple[File, ...]
    request: InitRequest
    exit_code = 0

    def as_json(self) -> dict[str, Any]:
        plan, force = self.plan, self.request.force
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": True,
            "dry_run": self.request.dry_run,
            "install": plan.options.install,
            "action": plan.options.action or None,
            "files": [
                {
                    "file": f.shown,
                    "action": f.action,
                    "needs_force": f.exists and f.changes and not force,
                    "written": f in self.written,
                    "diff": f.diff(),
                    "text": f.new,
                }
                for f in plan.files
            ],
            "cargo_profile": plan.inputs.cargo_profile,
            "cargo_lock": plan.inputs.lock.value,
            "cache_key": workflows.cargo_key(plan.options),
            "toolchain": plan.options.toolchain.channel,
            "toolchain_file": plan.options.toolchain.file,
            "choices": list(plan.choices),
            "notes": list(plan.notes),
        }


def init(context: RunContext, request: InitRequest) -> Initialized:
    """Plan both workflows and write them (unless a dry run), under the run lock from the read
    to the rename."""
    root = context.root
    with guarded.editing(root, dry_run=request.dry_run):
        planned = plan(
            root,
            env=context.env,
            install=request.install,
            use_action=request.use_action,
            shards=request.shards or 0,
        )
        written = () if request.dry_run else write(planned, force=request.force)
    return Initialized(planned, written, request)
