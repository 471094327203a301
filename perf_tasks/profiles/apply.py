"""`profiles.apply`: write profiles into the workspace root's `Cargo.toml`, and nothing else.

Cargo reads `[profile.*]` only from the workspace root's manifest; in a member's it warns and
ignores them. So this writes only there, and names the members that hold some.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks.edit import file as edit_file
from perf_tasks.edit import tables
from perf_tasks.errors import ConfigError, UsageError, WorkspaceError
from perf_tasks.fs import guarded
from perf_tasks.profiles import model
from perf_tasks.settings import Settings

MANIFEST = "Cargo.toml"


def names(values: Sequence[str]) -> list[str]:
    """`--profile dev-fast --profile ci` or `--profile dev-fast,ci`: the names, once each."""
    out: list[str] = []
    for value in values:
        for name in str(value).split(","):
            if name.strip() and name.strip() not in out:
                out.append(name.strip())
    if not out:
        raise UsageError("name the profiles to write: --profile dev-fast,ci (or --profile twice)")
    return out


def known(config: Settings) -> dict[str, dict[str, Any]]:
    """The profiles we can write: the team's, each key overridden by `[profiles.<name>]`."""
    out = {name: dict(keys) for name, keys in model.TEAM.items()}
    for name, keys in config.profiles.items():
        out[name] = {**out.get(name, {}), **keys}
    return out


def wanted(requested: Sequence[str], config: Settings) -> dict[str, dict[str, Any]]:
    available = known(config)
    missing = [n for n in requested if n not in available]
    if missing:
        raise ConfigError(
            f"unknown profile {missing[0]!r}: use {', '.join(available)}, "
            f"or define [profiles.{missing[0]}] in perf-tasks.toml"
        )
    return {n: available[n] for n in requested}


def plan(root: Path, profiles: Mapping[str, Mapping[str, Any]]) -> edit_file.Edit:
    """The edit of `root/Cargo.toml` that sets `profiles`; refused (nothing written) if it would
    change anything outside those tables, or if the manifest does not parse."""
    before = edit_file.read(root / MANIFEST, shown=MANIFEST, bom=True)  # cargo accepts a BOM
    if before.text is None:
        raise WorkspaceError(f"no {MANIFEST} in {root}: pass --root with a Rust workspace")
    old = before.text
    changes: tables.Changes = {("profile", name): dict(keys) for name, keys in profiles.items()}
    new = tables.set_tables(old, changes, what=MANIFEST, same=model.same)
    changed = tuple(
        f"[profile.{name}]" for name in profiles if _table_text(old, name) != _table_text(new, name)
    )
    return edit_file.Edit(before, new, tuple(f"[profile.{n}]" for n in profiles), changed)


def _table_text(text: str, name: str) -> str | None:
    for chunk in tables.chunks(text):
        if chunk.path == ("profile", name):
            return chunk.text
    return None


def workspace_root_of(root: Path, *, env: Mapping[str, str]) -> Path | None:
    """The root of the workspace `root/Cargo.toml` belongs to, when cargo says it is elsewhere."""
    from perf_tasks.workspace import cargo_program

    line = command.first_line(
        [cargo_program(env), "locate-project", "--workspace", "--message-format", "plain"],
        cwd=root,
        env=env,
    )
    if line is None:
        return None
    parent = Path(line).parent.resolve()
    return None if parent == root.resolve() else parent


def check_is_workspace_root(root: Path, *, env: Mapping[str, str]) -> None:
    """Refuse a member: cargo would ignore the profiles written there."""
    data = tables.parse_text(
        edit_file.read(root / MANIFEST, shown=MANIFEST, bom=True).text or "", what=MANIFEST
    )
    if "workspace" in data:
        return
    outer = workspace_root_of(root, env=env)
    if outer is not None:
        raise WorkspaceError(
            f"{root / MANIFEST} is a member of the workspace at {outer}: cargo reads profiles "
            f"only from the workspace root's {MANIFEST}; pass --root {outer}"
        )


def members_with_profiles(root: Path, *, env: Mapping[str, str]) -> list[str]:
    """Members whose own `Cargo.toml` has `[profile.*]` tables, which cargo ignores."""
    from perf_tasks.errors import PerfTasksError
    from perf_tasks.workspace import cargo_metadata

    try:
        metadata = cargo_metadata(root, env=env)
    except PerfTasksError:
        return []
    packages: Any = metadata.get("packages") or []
    found = []
    for package in packages:
        manifest = Path(str(package.get("manifest_path", "")))
        if manifest.parent.resolve() == root.resolve() or not manifest.is_file():
            continue
        try:
            text = guarded.text_of(manifest, shown=str(manifest), bom=True)
            data = tables.parse_text(text, what=str(manifest))
        except PerfTasksError:
            continue
        if "profile" in data:
            found.append(
                str(manifest.relative_to(root)) if manifest.is_relative_to(root) else str(manifest)
            )
    return sorted(found)


def ignored_note(manifests: Sequence[str]) -> str:
    return (
        f"{', '.join(manifests)} {'has' if len(manifests) == 1 else 'have'} [profile.*] tables: "
        f"cargo ignores profiles outside the workspace root's {MANIFEST}; "
        "perf-tasks never writes there"
    )
