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
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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
    words = ANSI.sub("", line).split(None, 1)
    return words[0] if words else ""


def check_command(argv: Sequence[str], *, where: str) -> None:
    """A configured command must be on the allowlist: a cargo build that neither runs what it
    builds nor edits a file. Anything else is a ConfigError naming the first word that is not."""
    if not argv or argv[0] != "cargo":
        raise ConfigError(
            f'{where} must be a cargo command (start with "cargo"), got {list(argv)!r}'
        )
    args = list(argv[1:])
    if not args or args[0] not in ALLOWED_SUBCOMMANDS:
        first = args[0] if args else "(nothing)"
        raise ConfigError(
            f"{where}: `cargo {first}` is not allowed; the stale sweep runs only "
            f"{ALLOWLIST_TEXT}, with no global flags before the subcommand"
        )
    sub, rest = args[0], args[1:]
    head, tail = (
        (rest[: rest.index("--")], rest[rest.index("--") + 1 :])
        if "--" in rest
        else (
            rest,
            [],
        )
    )
    if sub in _NEEDS_NO_RUN and "--no-run" not in head:
        raise ConfigError(
            f"{where}: `cargo {sub}` needs --no-run: the keep-set comes from building, "
            "never running"
        )
    i = 0
    while i < len(head):
        arg = head[i]
        name, has_value, value = arg.partition("=")
        if name in _VALUE_FLAGS or name in _OPTIONAL_VALUE_FLAGS:
            if not has_value and i + 1 < len(head) and not head[i + 1].startswith("-"):
                value = head[i + 1]
                i += 1
            elif not has_value and name in _VALUE_FLAGS:
                raise ConfigError(f"{where}: {name} needs a value")
            if name == "--message-format" and not value.startswith("json"):
                raise ConfigError(
                    f"{where}: drop --message-format {value}: we read cargo's JSON messages"
                )
        elif arg[:2] in _ATTACHED and len(arg) > 2:
            pass  # -pfoo, -Ffeat, -j4
        elif has_value or arg not in _FLAGS | _SUB_FLAGS.get(sub, frozenset()):
            if not arg.startswith("-") and sub in _NEEDS_NO_RUN:
                pass  # a test-name filter: nothing runs under --no-run
            else:
                raise ConfigError(
                    f"{where}: `{arg}` is not allowed in `cargo {sub}`: the stale sweep takes "
                    "only options that choose what to build (see docs/usage/clean.md)"
                )
        i += 1
    if tail and sub == "clippy":
        _check_lint_levels(tail, where=where)
    elif tail and sub not in _NEEDS_NO_RUN:
        raise ConfigError(f"{where}: `cargo {sub}` takes nothing after `--` here")


def _check_lint_levels(args: Sequence[str], *, where: str) -> None:
    """After `cargo clippy --` only lint levels may follow: `-D warnings`, `-Wclippy::all`, ..."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _LINT_FLAGS and i + 1 < len(args) and not args[i + 1].startswith("-"):
            i += 2
            continue
        if _LINT_ARG.match(arg) and arg not in _LINT_FLAGS:
            i += 1
            continue
        raise ConfigError(
            f"{where}: `{arg}` after `--` is not a lint level; clippy there takes only "
            "-D/-W/-A/-F and their lint names"
        )


# The allowlist: commands that compile without running code of the workspace's tests or binaries
# and without editing files. Built-in commands cannot be aliased by cargo; `clippy` can, which the
# probe checks before it runs (`probe.check_aliases`).
ALLOWED_SUBCOMMANDS = frozenset({"build", "check", "test", "bench", "clippy"})
ALLOWLIST_TEXT = (
    "`cargo build`, `cargo check`, `cargo test --no-run`, `cargo bench --no-run` "
    "and `cargo clippy` without --fix"
)
EXTERNAL_SUBCOMMANDS = frozenset({"clippy"})
_NEEDS_NO_RUN = frozenset({"test", "bench"})
_FLAGS = frozenset(
    {
        "--workspace",
        "--all",
        "--lib",
        "--bins",
        "--examples",
        "--tests",
        "--benches",
        "--all-targets",
        "--all-features",
        "--no-default-features",
        "--release",
        "-r",
        "--keep-going",
        "--quiet",
        "-q",
        "--verbose",
        "-v",
        "-vv",
        "--locked",
        "--offline",
        "--frozen",
        "--ignore-rust-version",
        "--future-incompat-report",
    }
)
_SUB_FLAGS = {
    "test": frozenset({"--no-run", "--no-fail-fast", "--doc"}),
    "bench": frozenset({"--no-run", "--no-fail-fast"}),
    "clippy": frozenset({"--no-deps"}),
}
_VALUE_FLAGS = frozenset(
    {
        "-p",
        "--package",
        "--exclude",
        "-F",
        "--features",
        "--profile",
        "--target",
        "-j",
        "--jobs",
        "--color",
        "--message-format",
    }
)
_OPTIONAL_VALUE_FLAGS = frozenset({"--bin", "--example", "--test", "--bench", "--timings"})
_ATTACHED = frozenset({"-p", "-F", "-j"})
_LINT_FLAGS = frozenset(
    {
        "-D",
        "-W",
        "-A",
        "-F",
        "--deny",
        "--warn",
        "--allow",
        "--forbid",
        "--force-warn",
        "--cap-lints",
    }
)
_LINT_ARG = re.compile(r"^(-[DWAF]\S*|--(deny|warn|allow|forbid|force-warn|cap-lints)(=\S+)?)$")


def subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand of an allowed command: the word after `cargo`."""
    return argv[1] if len(argv) > 1 and not argv[1].startswith(("-", "+")) else None


# What the probe needs to see, whatever the user's commands and cargo config say: JSON messages
# (its own format, not the one written in a command) and cargo's `Compiling` lines, the first sign
# of work, which `-q`, `term.quiet` in any config file or `CARGO_TERM_QUIET` would silence. The
# command line outranks the config files and the environment; a `-q` on it outranks
# `--config term.quiet=false`, so the command's own `-q` is taken out.
PROBE_FLAGS = ("--message-format=json", "--config", "term.quiet=false")
_QUIET = frozenset({"-q", "--quiet"})


def json_command(argv: Sequence[str], *, program: str) -> list[str]:
    """`argv` as the probe runs it: with `PROBE_FLAGS` (JSON messages, `Compiling` lines shown)
    instead of the command's own `-q`/`--quiet` and `--message-format`, and without lock-file or
    network changes. `program` replaces the leading `cargo` (it is `$CARGO` when set)."""
    head = list(argv[1:])
    tail: list[str] = []
    if "--" in head:
        cut = head.index("--")
        head, tail = head[:cut], head[cut:]
    kept: list[str] = []
    words = iter(head)
    for word in words:
        if word in _QUIET or word.startswith("--message-format="):
            continue
        if word == "--message-format":
            next(words, None)  # its value
            continue
        kept.append(word)
    added = list(PROBE_FLAGS)
    if "--frozen" not in kept:
        if "--locked" not in kept:
            added.append("--locked")
        if "--offline" not in kept:
            added.append("--offline")
    return [program, *kept, *added, *tail]
