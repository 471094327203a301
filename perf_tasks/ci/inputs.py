"""What the workflows take from the workspace itself: its cargo `ci` profile, whether git carries
its Cargo.lock, and the Rust toolchain it pins. Each is read from the files the repository holds,
since CI sees only those (never `$CARGO_HOME` or a folder above the root).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import command, toml_data
from perf_tasks.ci.workflows import Toolchain
from perf_tasks.errors import CommandFailed, ConfigError, ToolMissing

TEAM_PROFILE = "ci"  # the cargo profile `profiles.apply --profile ci` writes
# rustup reads `rust-toolchain` first when both are there.
TOOLCHAIN_FILES = ("rust-toolchain", "rust-toolchain.toml")
# A channel, component or target as rustup names them: "1.78.0", "nightly-2024-05-01", "clippy",
# "wasm32-unknown-unknown". It goes into the workflow, so nothing else.
_RUSTUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Lock(enum.Enum):
    """Cargo.lock as CI's checkout will have it."""

    TRACKED = "tracked"
    IGNORED = "ignored"  # .gitignore (or another exclude file) lists it
    UNTRACKED = "untracked"  # there, but not committed
    MISSING = "missing"


@dataclass(frozen=True)
class Inputs:
    cargo_profile: str | None  # "ci" when the workspace has its [profile.ci]
    profile_file: str | None  # where: "Cargo.toml" or ".cargo/config.toml"
    lock: Lock
    toolchain: Toolchain


def read(root: Path, *, env: Mapping[str, str]) -> Inputs:
    profile_file = team_profile_file(root)
    return Inputs(
        cargo_profile=TEAM_PROFILE if profile_file else None,
        profile_file=profile_file,
        lock=lock_state(root, env=env),
        toolchain=pinned_toolchain(root),
    )


def team_profile_file(root: Path) -> str | None:
    """The file of the repository that defines `[profile.ci]`: the root's Cargo.toml, else its
    `.cargo/config.toml` (cargo reads both); None when neither does."""
    from perf_tasks.profiles.resolve import profiles_in

    for shown in ("Cargo.toml", ".cargo/config.toml", ".cargo/config"):
        if (root / shown).is_file() and TEAM_PROFILE in profiles_in(root / shown, shown=shown):
            return shown
    return None


def lock_state(root: Path, *, env: Mapping[str, str]) -> Lock:
    """Whether git carries the root's Cargo.lock to CI. Outside a git work tree (or without git),
    a Cargo.lock there counts as tracked: nothing says CI will lack it."""
    there = (root / "Cargo.lock").is_file()
    try:
        listed = command.run(
            ["git", "ls-files", "-z", "--", "Cargo.lock"], cwd=root, env=env, what="`git ls-files`"
        )
        if listed.stdout.strip("\0"):
            return Lock.TRACKED
        ignored = command.run(
            ["git", "check-ignore", "-q", "--", "Cargo.lock"],
            cwd=root,
            env=env,
            what="`git check-ignore`",
            ok_codes=(0, 1),
        )
    except (CommandFailed, ToolMissing):  # not a git work tree, or no git
        return Lock.TRACKED if there else Lock.MISSING
    if ignored.code == 0:
        return Lock.IGNORED
    return Lock.UNTRACKED if there else Lock.MISSING


def pinned_toolchain(root: Path) -> Toolchain:
    """The toolchain the root's `rust-toolchain` or `rust-toolchain.toml` pins (its channel,
    components and targets); stable when there is neither."""
    from perf_tasks.fs.guarded import read as read_file

    for name in TOOLCHAIN_FILES:
        text = read_file(root / name, shown=name, bom=True).text
        if text is not None:
            return _toolchain_of(name, text)
    return Toolchain()


def _toolchain_of(name: str, text: str) -> Toolchain:
    from perf_tasks.text import lines

    words = [line.strip() for line in lines(text) if line.strip()]
    if name == "rust-toolchain" and len(words) == 1 and not words[0].startswith("["):
        return Toolchain(_name(words[0], where=name, what="its toolchain"), name)
    table = _toml(name, text).get("toolchain")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name}: no [toolchain] table: write `[toolchain]` then `channel = ...`")
    if "path" in table:
        raise ConfigError(
            f"{name}: toolchain.path names a local toolchain, which CI cannot install: "
            'pin a channel instead (channel = "1.78.0")'
        )
    channel = table.get("channel", "stable")
    return Toolchain(
        _name(channel, where=name, what="toolchain.channel"),
        name,
        components=_names(table, "components", where=name),
        targets=_names(table, "targets", where=name),
    )


def _toml(name: str, text: str) -> dict[str, Any]:
    return toml_data.parse(text, shown=name)


def _names(table: Mapping[str, Any], key: str, *, where: str) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise ConfigError(f"{where}: toolchain.{key} = {values!r} is not a list of names")
    return tuple(_name(v, where=where, what=f"toolchain.{key}") for v in values)


def _name(value: object, *, where: str, what: str) -> str:
    if not isinstance(value, str) or not _RUSTUP_NAME.fullmatch(value):
        raise ConfigError(
            f"{where}: {what} = {value!r} is not a name rustup installs in CI, such as "
            "'1.78.0', 'stable' or 'nightly-2024-05-01'"
        )
    return value
