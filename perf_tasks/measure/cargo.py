"""What a timed build needs from cargo: the units it compiled, and a source file to touch."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks.cargo.messages import check_command
from perf_tasks.errors import ConfigError, WorkspaceError
from perf_tasks.quantities import plural

# JSON messages on stdout, and cargo's usual rendering of diagnostics on stderr, so that a failing
# build still says why in its last lines.
MESSAGE_FORMAT = "--message-format=json-render-diagnostics"


@dataclass(frozen=True)
class Units:
    compiled: int  # compiler artifacts built by this run
    fresh: int  # compiler artifacts cargo found up to date

    def as_json(self) -> dict[str, int]:
        return {"compiled": self.compiled, "fresh": self.fresh}


# The timed builds: built-in commands that compile and run nothing (`clippy` is left out: an alias
# in a .cargo/config.toml can shadow it), with the options the stale sweep's allowlist takes.
TIMED_SUBCOMMANDS = ("build", "check", "test", "bench")
TIMED_ALLOWLIST = (
    "`build`, `check`, `test --no-run` or `bench --no-run`, with options that choose what to "
    "build (as [stale] commands)"
)


def check_timed_build(args: Sequence[str], *, where: str) -> tuple[str, ...]:
    """`baseline.build`: the cargo arguments of a timed build, on an allowlist. The baseline runs
    them again and again, so they may only compile: `["clean"]` or `["run"]` would be run too."""
    if not args or args[0] not in TIMED_SUBCOMMANDS:
        first = f"`cargo {args[0]}`" if args else "an empty list"
        raise ConfigError(
            f"{where} = {list(args)!r}: {first} is not a build; write cargo arguments starting "
            f'with {TIMED_ALLOWLIST}, e.g. ["build", "--workspace"]'
        )
    if any(a.startswith("--message-format") for a in args):
        raise ConfigError(
            f"{where} sets --message-format; leave it out, the baseline adds "
            f"{MESSAGE_FORMAT} to count the units compiled"
        )
    if "--" in args:
        raise ConfigError(
            f"{where} = {list(args)!r}: drop `--` and what follows: a build takes none"
        )
    try:
        check_command(("cargo", *args), where=where)
    except ConfigError as exc:
        raise ConfigError(
            f"{exc} (baseline.build takes the allowlist of [stale] commands)"
        ) from None
    return tuple(args)


def build_args(configured: Sequence[str], *, source: str) -> tuple[str, ...]:
    """The cargo arguments of the timed build: the configured ones plus the JSON message format."""
    return (*check_timed_build(configured, where=f"{source}: baseline.build"), MESSAGE_FORMAT)


def count_units(stdout: str) -> Units:
    """Count cargo's `compiler-artifact` messages by their `fresh` flag. Other lines are ignored."""
    compiled = fresh = 0
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or message.get("reason") != "compiler-artifact":
            continue
        if message.get("fresh"):
            fresh += 1
        else:
            compiled += 1
    return Units(compiled=compiled, fresh=fresh)


def member_packages(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    members = set(metadata.get("workspace_members") or ())
    return [p for p in metadata.get("packages") or () if p.get("id") in members]


def touch_candidate(metadata: Mapping[str, Any]) -> Path:
    """The source file that `build.incremental` touches: the crate root of the workspace member
    that most other members depend on (a change there rebuilds the most), its library first."""
    packages = member_packages(metadata)
    if not packages:
        raise WorkspaceError(
            "cargo metadata lists no workspace member: is this a virtual manifest?"
        )
    names = {p["name"] for p in packages}
    dependents = {name: 0 for name in names}
    for package in packages:
        for dep in package.get("dependencies") or ():
            if dep.get("name") in names and dep.get("kind") in (None, "normal"):
                dependents[dep["name"]] += 1
    order = sorted(enumerate(packages), key=lambda ip: (-dependents[ip[1]["name"]], ip[0]))
    for _, package in order:
        targets = package.get("targets") or ()
        for kinds in (("lib", "rlib", "dylib", "proc-macro"), ("bin",)):
            for target in targets:
                if any(k in kinds for k in target.get("kind") or ()):
                    return Path(target["src_path"])
    raise WorkspaceError("no library or binary target in the workspace: nothing to touch")


def has_doctests(metadata: Mapping[str, Any]) -> bool:
    """Whether `cargo test --doc --workspace` has a library to run doctests of."""
    return any(
        target.get("doctest", False)
        for package in member_packages(metadata)
        for target in package.get("targets") or ()
    )


def member_names(metadata: Mapping[str, Any]) -> list[str]:
    return [p["name"] for p in member_packages(metadata)]


def touch(path: Path, *, now_ns: int) -> int:
    """Set `path`'s mtime to now, or later than it was; return the new mtime in ns.

    cargo rebuilds when a source is newer than its last build, so the mtime must really move: if
    the file system keeps coarse times and the new value rounds back to the old, move it by a
    whole second.
    """
    before = path.stat()
    for step in (1, 1_000_000_000):
        wanted = max(now_ns, before.st_mtime_ns + step)
        os.utime(path, ns=(before.st_atime_ns, wanted))
        after = path.stat().st_mtime_ns
        if after > before.st_mtime_ns:
            return after
    raise WorkspaceError(f"could not move the mtime of {path}: is the file system read-only?")


def units_warning(phase: str, units: Iterable[Units], *, touched: str | None = None) -> str | None:
    """A note when a build did not do what its phase means."""
    units = list(units)
    if not units:
        return None
    if touched is None and any(u.compiled for u in units):
        most = max(u.compiled for u in units)
        return (
            f"{phase}: a build with nothing to do compiled {plural(most, 'unit')}: something makes "
            "cargo rebuild every time (a build script without rerun-if-changed, or changing env)"
        )
    if touched is not None and not any(u.compiled for u in units):
        return f"{phase}: touching {touched} rebuilt nothing: cargo did not see the change"
    return None
