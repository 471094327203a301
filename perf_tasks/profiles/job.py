"""`profiles.show`, `profiles.apply` and `nextest.init`, each one call: a frozen request in, a
frozen result out. Edits are planned and written under the run lock, from the read to the rename
(`fs/guarded.editing`). Nothing here prints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.context import RunContext
from perf_tasks.edit.file import Edit
from perf_tasks.errors import ExitCode
from perf_tasks.profiles.resolve import Resolved

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ShowRequest:
    configs: tuple[str, ...] = ()  # `--config` as passed to cargo (KEY=VALUE or a file)


@dataclass(frozen=True)
class Shown:
    """The profiles cargo builds with, and what the user should know (members' own profiles)."""

    resolved: Resolved
    notes: tuple[str, ...] = ()
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        resolved = self.resolved
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": True,
            "read": list(resolved.read),
            "profiles": {
                p.name: {
                    "inherits": list(p.chain[1:]),
                    "values": {
                        key: {"value": v.value, "source": v.source, "profile": v.profile}
                        for key, v in p.values.items()
                    },
                }
                for p in resolved.profiles
            },
            "notes": [*resolved.notes, *self.notes],
        }


def show(context: RunContext, request: ShowRequest, *, cwd: Path) -> Shown:
    from perf_tasks.errors import WorkspaceError
    from perf_tasks.profiles import apply, resolve

    root, env = context.root, context.env
    if not (root / apply.MANIFEST).is_file():
        raise WorkspaceError(f"no Cargo.toml in {root}: pass --root with a Rust workspace")
    apply.check_is_workspace_root(root, env=env)
    resolved = resolve.resolve(root, env=env, config_args=list(request.configs), cwd=cwd)
    ignored = apply.members_with_profiles(root, env=env)
    return Shown(resolved, (apply.ignored_note(ignored),) if ignored else ())


@dataclass(frozen=True)
class Edited:
    """One planned edit of a TOML file: written, or only shown (a dry run)."""

    edit: Edit
    dry_run: bool
    notes: tuple[str, ...] = ()
    exit_code = ExitCode.OK

    def as_json(self) -> dict[str, Any]:
        edit = self.edit
        return {
            "schema_version": SCHEMA_VERSION,
            "ok": True,
            "dry_run": self.dry_run,
            "file": edit.shown,
            "created": edit.changes and not edit.exists,
            "changed": edit.changes,
            "tables": list(edit.tables),
            "tables_changed": list(edit.changed),
            "diff": edit.diff(),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ApplyRequest:
    profiles: tuple[str, ...] = ()  # as given: names, or names separated by commas
    dry_run: bool = False


def apply(context: RunContext, request: ApplyRequest) -> Edited:
    """Add or update the profiles asked for in the workspace root's Cargo.toml."""
    from perf_tasks.fs import guarded
    from perf_tasks.profiles import apply as apply_mod

    root, env = context.root, context.env
    wanted = apply_mod.wanted(apply_mod.names(list(request.profiles)), context.settings)
    with guarded.editing(root, dry_run=request.dry_run):  # from the read to the rename
        edit = apply_mod.plan(root, wanted)
        apply_mod.check_is_workspace_root(root, env=env)
        ignored = apply_mod.members_with_profiles(root, env=env)
        if not request.dry_run:
            edit.write(root)
    return Edited(edit, request.dry_run, (apply_mod.ignored_note(ignored),) if ignored else ())


def nextest_init(context: RunContext, *, dry_run: bool) -> Edited:
    """Create or merge .config/nextest.toml's ci profile."""
    from perf_tasks.fs import guarded
    from perf_tasks.profiles import nextest_config as nextest

    root = context.root
    with guarded.editing(root, dry_run=dry_run):  # from the read to the rename
        edit = nextest.plan(root)
        if not dry_run:
            edit.write(root)
    return Edited(edit, dry_run)
