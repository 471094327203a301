"""The configured cargo commands, made to talk JSON, and what their messages say. Pure: no I/O.

We add `--message-format=json` (it changes no unit hash), and `--locked` and `--offline` so that
working out the keep-set can never rewrite `Cargo.lock` or download anything. Nothing else is
added, and the environment is passed through as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.errors import ConfigError

# Subcommands that would run what they build; only their --no-run form is a build.
_RUNS_UNLESS_NO_RUN = frozenset({"test", "t", "bench"})
_NEVER = frozenset({"run", "r", "clean", "install", "uninstall", "publish", "fix", "update"})
# Status words on stderr that mean cargo is about to change something.
WORK_STATUSES = frozenset(
    {
        "Compiling",
        "Checking",
        "Documenting",
        "Downloading",
        "Downloaded",
        "Updating",
        "Locking",
        "Adding",
        "Removing",
        "Packaging",
        "Installing",
    }
)
BLOCKING_STATUS = "Blocking"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Artifact:
    """A `compiler-artifact` message: one unit cargo built, or found fresh."""

    package_id: str
    crate_name: str  # the target name as rustc spells it (`-` becomes `_`)
    kinds: tuple[str, ...]
    filenames: tuple[Path, ...]
    executable: Path | None
    fresh: bool

    @property
    def paths(self) -> tuple[Path, ...]:
        if self.executable is None or self.executable in self.filenames:
            return self.filenames
        return (*self.filenames, self.executable)


@dataclass(frozen=True)
class ScriptRun:
    """A `build-script-executed` message: a build script's run, and the OUT_DIR it filled."""

    package_id: str
    out_dir: Path


@dataclass(frozen=True)
class Finished:
    success: bool


Message = Artifact | ScriptRun | Finished


def parse_line(line: str) -> Message | None:
    """One line of cargo's JSON stdout; None for the messages we do not need (diagnostics...)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        data: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    reason = data.get("reason")
    if reason == "compiler-artifact":
        target = data.get("target") or {}
        executable = data.get("executable")
        return Artifact(
            package_id=str(data.get("package_id", "")),
            crate_name=str(target.get("name", "")).replace("-", "_"),
            kinds=tuple(str(k) for k in target.get("kind", ())),
            filenames=tuple(Path(f) for f in data.get("filenames") or ()),
            executable=Path(executable) if executable else None,
            fresh=bool(data.get("fresh", False)),
        )
    if reason == "build-script-executed":
        return ScriptRun(package_id=str(data.get("package_id", "")), out_dir=Path(data["out_dir"]))
    if reason == "build-finished":
        return Finished(success=bool(data.get("success", False)))
    return None


def status_word(line: str) -> str:
    """`   Compiling foo v0.1.0 (...)` -> "Compiling" (color codes removed)."""
    words = _ANSI.sub("", line).split(None, 1)
    return words[0] if words else ""


def check_command(argv: Sequence[str], *, where: str) -> None:
    """A configured command must be a cargo build that runs nothing it builds."""
    if not argv or argv[0] != "cargo":
        raise ConfigError(
            f'{where} must be a cargo command (start with "cargo"), got {list(argv)!r}'
        )
    sub = subcommand(argv)
    if sub is None:
        raise ConfigError(f"{where}: no cargo subcommand in {list(argv)!r}")
    if sub in _NEVER:
        raise ConfigError(
            f"{where}: `cargo {sub}` is not a build; use build, check or test --no-run"
        )
    if sub in _RUNS_UNLESS_NO_RUN and "--no-run" not in _before_dashdash(argv):
        raise ConfigError(
            f"{where}: `cargo {sub}` needs --no-run: the keep-set comes from building, "
            "never running"
        )
    args = _before_dashdash(argv)
    for i, arg in enumerate(args):
        value = None
        if arg == "--message-format":
            value = args[i + 1] if i + 1 < len(args) else ""
        elif arg.startswith("--message-format="):
            value = arg.partition("=")[2]
        if value is not None and not value.startswith("json"):
            raise ConfigError(
                f"{where}: drop --message-format {value}: we read cargo's JSON messages"
            )


def subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand of `cargo [+toolchain] [global flags] <sub> ...`."""
    skip_value = {"--config", "-Z", "--color", "-C", "--manifest-path"}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("+"):
            i += 1
        elif arg in skip_value:
            i += 2
        elif arg.startswith("-"):
            i += 1
        else:
            return arg
    return None


def json_command(argv: Sequence[str], *, program: str) -> list[str]:
    """`argv` with JSON messages and without lock-file or network changes. `program` replaces the
    leading `cargo` (it is `$CARGO` when set)."""
    head = list(argv[1:])
    tail: list[str] = []
    if "--" in head:
        cut = head.index("--")
        head, tail = head[:cut], head[cut:]
    added: list[str] = []
    if not any(a.startswith("--message-format") for a in head):
        added.append("--message-format=json")
    if "--frozen" not in head:
        if "--locked" not in head:
            added.append("--locked")
        if "--offline" not in head:
            added.append("--offline")
    return [program, *head, *added, *tail]


def _before_dashdash(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    return args[: args.index("--")] if "--" in args else args
