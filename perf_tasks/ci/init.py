"""`ci.init`: plan the two workflow files of a workspace, then write them (or refuse).

Planning reads what is there and renders what would be written; it writes nothing. Writing replaces
an existing file only when asked (`force`), and writes the files as one unit, atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from perf_tasks.ci import options as ci_options
from perf_tasks.ci import workflows
from perf_tasks.ci.workflows import Options
from perf_tasks.context import RunContext
from perf_tasks.edit.file import Planned
from perf_tasks.errors import FileExists, WorkspaceError
from perf_tasks.fs import guarded


@dataclass(frozen=True)
class File(Planned):
    """A workflow file; `before` is shown relative to the root: ".github/workflows/ci.yml"."""

    @property
    def old(self) -> str | None:
        """None: there is no such file."""
        return self.before.text

    @property
    def changes(self) -> bool:
        return self.old != self.new

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

    @property
    def blocked(self) -> tuple[File, ...]:
        """Files there whose text would change: replaced only with `force`."""
        return tuple(f for f in self.files if f.exists and f.changes)


def plan(root: Path, *, install: str | None = None, shards: int = 0) -> Plan:
    """What `ci.init` would write in the workspace at `root`, and what to tell the user."""
    from perf_tasks import settings as settings_mod
    from perf_tasks.fs.guarded import read

    if not (root / "Cargo.toml").is_file():
        raise WorkspaceError(f"no Cargo.toml in {root}: point --root at the workspace's root")
    settings = settings_mod.load(root)
    opts = replace(ci_options.options(root, settings, install=install), shards=shards)
    files = []
    from perf_tasks.ci import sharded

    ci_doc = sharded.ci(opts) if opts.shards else None
    for shown, text in workflows.render(opts, ci_doc=ci_doc).items():
        path = root / shown
        _no_link(root, shown)
        files.append(File(read(path, shown=shown), text))
    found = notes(root, opts, install_set=bool(install or settings.ci.install))
    if not (root / settings.gates.contract).is_file():
        found += (
            f"no {settings.gates.contract}: the perf job's `perf-tasks gate` fails until there is "
            "one: write it with `perf-tasks contract.init` and commit it",
        )
    return Plan(root, opts, tuple(files), found)


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


def notes(root: Path, opts: Options, *, install_set: bool) -> tuple[str, ...]:
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
    if not (root / "Cargo.lock").is_file():
        out.append(
            "no Cargo.lock: the cache key hashes **/Cargo.lock; commit one so that the key "
            "follows the dependencies"
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
    shards: int | None = None  # None: one test job; N: build, N shard jobs, doctests, merge

    def __post_init__(self) -> None:
        from perf_tasks.errors import UsageError

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
            "notes": list(plan.notes),
        }


def init(context: RunContext, request: InitRequest) -> Initialized:
    """Plan both workflows and write them (unless a dry run), under the run lock from the read
    to the rename."""
    root = context.root
    with guarded.editing(root, dry_run=request.dry_run):
        planned = plan(root, install=request.install, shards=request.shards or 0)
        written = () if request.dry_run else write(planned, force=request.force)
    return Initialized(planned, written, request)
