"""`init`: plan the starter files of a workspace, then write them (or refuse).

Planning reads what is there and renders the new text; it writes nothing. `perf-tasks.toml` is
never replaced without `force`, nor written where a `[tool.perf-tasks]` table of `pyproject.toml`
holds the settings (the TOML file would hide it). `.gitignore` only ever gains lines. The files are
written as one unit through the guarded writer, under the run lock from the read to the rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.context import RunContext
from perf_tasks.edit.file import Planned
from perf_tasks.errors import FileExists, WorkspaceError
from perf_tasks.fs import guarded
from perf_tasks.settings import SETTINGS_FILE, Settings
from perf_tasks.starter import gitignore, settings_file

GITIGNORE = ".gitignore"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class File(Planned):
    @property
    def action(self) -> str:
        if not self.exists:
            return "create"
        if not self.changes:
            return "unchanged"
        return "update" if self.shown == GITIGNORE else "replace"


@dataclass(frozen=True)
class Plan:
    root: Path
    files: tuple[File, ...]
    hidden: str | None  # the pyproject table a new perf-tasks.toml would hide

    @property
    def blocked(self) -> str | None:
        """Why writing needs `force`, or None."""
        settings = self.files[0]
        if settings.action == "replace":
            return f"{settings.shown} exists"
        if settings.action == "create" and self.hidden:
            return (
                f"{self.hidden} holds the settings, and a {SETTINGS_FILE} would take its place "
                "(the TOML file wins)"
            )
        return None


def plan(root: Path, *, add_gitignore: bool) -> Plan:
    """What `init` would write in the workspace at `root`."""
    if not (root / "Cargo.toml").is_file():
        raise WorkspaceError(f"no Cargo.toml in {root}: point --root at the workspace's root")
    settings = guarded.read(root / SETTINGS_FILE, shown=SETTINGS_FILE)
    files = [File(settings, settings_file.text())]
    hidden = None
    if not settings.exists:
        from perf_tasks import settings as settings_mod

        # a broken pyproject table stops here, with one line
        if settings_mod.load(root).source != Settings().source:
            hidden = f"pyproject.toml's [{'.'.join(settings_mod.PYPROJECT_TABLE)}]"
    if add_gitignore:
        # git skips a UTF-8 BOM there: set aside, so that the first line counts, and written back
        before = guarded.read(root / GITIGNORE, shown=GITIGNORE, bom=True)
        # the settings in force once init is done: the starter's, every key at its default
        files.append(
            File(before, gitignore.added(before.text or "", gitignore.entries(Settings())))
        )
    return Plan(root, tuple(files), hidden)


def write(plan: Plan, *, force: bool) -> tuple[File, ...]:
    """Write the files whose text changes, all or none; the files written."""
    if plan.blocked and not force:
        raise FileExists(
            f"{plan.blocked}: pass --force to write it anyway (--dry-run shows the diff); "
            "nothing was written"
        )
    todo = tuple(f for f in plan.files if f.changes)
    guarded.write(plan.root, [(f.before, f.new) for f in todo])
    return todo


@dataclass(frozen=True)
class InitRequest:
    gitignore: bool = False  # add the records of one machine to .gitignore
    force: bool = False  # replace perf-tasks.toml, or write it beside a pyproject table
    dry_run: bool = False


@dataclass(frozen=True)
class Initialized:
    """`init`: the plan, and the files written (none in a dry run)."""

    plan: Plan
    written: tuple[File, ...]
    request: InitRequest
    exit_code = 0

    @property
    def needs_force(self) -> str | None:
        return None if self.request.force else self.plan.blocked

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": True,
            "dry_run": self.request.dry_run,
            "needs_force": self.needs_force,
            "files": [
                {
                    "file": f.shown,
                    "action": f.action,
                    "written": f in self.written,
                    "diff": f.unified_diff() if f.changes else "",
                }
                for f in self.plan.files
            ],
        }


def init(context: RunContext, request: InitRequest) -> Initialized:
    """Plan the starter files and write them (unless a dry run)."""
    root = context.root
    with guarded.editing(root, dry_run=request.dry_run):
        planned = plan(root, add_gitignore=request.gitignore)
        written = () if request.dry_run else write(planned, force=request.force)
    return Initialized(planned, written, request)
