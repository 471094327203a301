"""Which workspace we work on, and where cargo puts its outputs.

The target and build dirs come from `cargo metadata --no-deps`; we never assume `./target`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks.errors import (
    ConfigError,
    ToolMissing,
    UnsafePathError,
    WorkspaceError,
)

ROOT_ENV = "PERF_TASKS_ROOT"


@dataclass(frozen=True)
class Workspace:
    root: Path  # absolute, symlinks resolved
    target_dir: Path
    build_dir: Path  # equal to target_dir unless cargo's build-dir is set elsewhere
    # Members' manifests and their targets' root sources: what no output folder may hold.
    manifests: tuple[Path, ...] = ()
    sources: tuple[Path, ...] = ()

    @property
    def cargo_dirs(self) -> tuple[Path, ...]:
        """The target dir, and the build dir when it is a different place."""
        if self.build_dir == self.target_dir:
            return (self.target_dir,)
        return (self.target_dir, self.build_dir)

    @property
    def cargo_areas(self) -> tuple[Path, ...]:
        """The cargo dirs as folders to measure: a build dir inside the target dir counts there."""
        dirs = self.cargo_dirs
        return tuple(d for d in dirs if not any(o != d and d.is_relative_to(o) for o in dirs))

    def label(self, path: Path) -> str:
        """A short name for messages: relative to the root when inside it."""
        try:
            rel = path.relative_to(self.root)
        except ValueError:
            return str(path)
        return f"{rel}/" if path.is_dir() else str(rel)


def resolve_root(
    flag: str | None, *, env: Mapping[str, str], config_root: str | None, cwd: Path
) -> Path:
    """`--root`, else `PERF_TASKS_ROOT`, else invoke's `perf.root`, else the current directory.

    An empty value is an error, never a reason to go on to the next source: `--root "$UNSET"` in a
    script must not clean whatever workspace the environment or the current directory names.
    """
    sources = ((flag, "--root"), (env.get(ROOT_ENV), f"${ROOT_ENV}"), (config_root, "perf.root"))
    chosen = str(cwd)
    for value, what in sources:
        if value is None:
            continue
        if not str(value).strip():
            raise ConfigError(
                f"{what} is empty (an unset variable?): give a workspace folder, or leave it out "
                "to use the current directory"
            )
        chosen = str(value)
        break
    given = cwd / Path(chosen).expanduser()
    try:
        root = given.resolve()
        # stat, not is_dir(): a loop must say so on every Python (3.13's resolve() no longer
        # raises on one, and is_dir() would call it "not a directory")
        is_dir = stat.S_ISDIR(os.stat(root).st_mode)
    except FileNotFoundError:
        is_dir = False
    except (OSError, RuntimeError) as exc:  # a name too long; a loop (RuntimeError before 3.13)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a symlink loop"
        raise WorkspaceError(
            f"workspace root {_short(given)} cannot be used ({why}): pass --root PATH"
        ) from None
    if not is_dir:
        raise WorkspaceError(f"workspace root {root} is not a directory: pass --root PATH")
    refuse_dangerous_root(root, home=Path(env.get("HOME", "~")).expanduser())
    return root


def _resolved(path: Path, *, what: str) -> Path:
    """`path` with its links resolved; one line (exit 2) for a symlink loop or a name too long."""
    try:
        resolved = path.resolve()
        with contextlib.suppress(FileNotFoundError):  # cargo makes it on its first build
            os.stat(resolved)
        return resolved
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a symlink loop"
        raise UnsafePathError(
            f"cargo's {what} {_short(path)} cannot be used ({why}): point CARGO_TARGET_DIR "
            "(or build.target-dir / build.build-dir) at a folder of its own"
        ) from None


def _short(path: Path, limit: int = 200) -> str:
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def refuse_dangerous_root(root: Path, *, home: Path) -> None:
    if root == Path(root.anchor):
        raise UnsafePathError(f"refusing to work on {root}: pass --root with a workspace folder")
    try:
        same_as_home = root == home.resolve()
    except OSError:
        same_as_home = False
    if same_as_home:
        raise UnsafePathError(
            f"refusing to work on your home directory {root}: pass --root with a workspace folder"
        )


# The variables that set cargo's dirs. cargo refuses an empty one: that is bad usage, not a failure.
CARGO_DIR_VARS = ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR")


def load(root: Path, *, env: Mapping[str, str] | None = None) -> Workspace:
    """Ask cargo where this workspace's target and build dirs are; refuse places that are not."""
    if not (root / "Cargo.toml").is_file():
        raise WorkspaceError(
            f"no Cargo.toml in {root}: run from a Rust workspace or pass --root PATH"
        )
    environ = os.environ if env is None else env
    for name in CARGO_DIR_VARS:
        if environ.get(name) == "":
            raise ConfigError(f"${name} is set but empty: unset it, or set it to a folder")
    metadata = cargo_metadata(root, env=env)
    target = _resolved(Path(str(metadata["target_directory"])), what="target dir")
    build = _resolved(Path(str(metadata.get("build_directory") or target)), what="build dir")
    home = Path(environ.get("HOME", "~")).expanduser()
    for what, path in (("target dir", target), ("build dir", build)):
        refuse_dangerous_cargo_dir(path, what=what, root=root, home=home)
    packages: Any = metadata.get("packages") or []
    manifests = tuple(Path(p["manifest_path"]) for p in packages if "manifest_path" in p)
    sources = tuple(
        Path(t["src_path"]) for p in packages for t in p.get("targets") or () if "src_path" in t
    )
    for what, path in (("target dir", target), ("build dir", build)):
        refuse_cargo_dir_of_the_workspace(path, what=what, members=(*manifests, *sources))
    return Workspace(root, target, build, manifests, sources)


def refuse_dangerous_cargo_dir(path: Path, *, what: str, root: Path, home: Path) -> None:
    """Before anything scans it: a cargo dir that is `/`, holds the root, or holds your home."""
    try:
        home = home.resolve()
    except OSError:
        home = Path(path.anchor)  # unknown: `/` is refused below anyway
    if path == Path(path.anchor):
        why = "the file system root"
    elif root.is_relative_to(path):
        why = "the workspace root" if path == root else f"a folder that holds the workspace {root}"
    elif home.is_relative_to(path) and home != Path(home.anchor):
        why = "your home directory" if path == home else f"a folder that holds your home {home}"
    else:
        return
    raise UnsafePathError(
        f"cargo's {what} is {path}, {why}: refusing to work there; point CARGO_TARGET_DIR "
        "(or build.target-dir / build.build-dir) at a folder of its own"
    )


def refuse_cargo_dir_of_the_workspace(path: Path, *, what: str, members: Sequence[Path]) -> None:
    """Before anything scans it: a cargo dir inside `.git`, holding `.git`, or holding a member's
    manifest or sources. cargo writes its CACHEDIR.TAG into whatever dir it is pointed at, so the
    tag alone does not make such a place cargo's."""
    held = next((m for m in members if m.is_relative_to(path)), None)
    if ".git" in path.parts:
        why = "inside a .git folder"
    elif os.path.lexists(path / ".git"):
        why = "a repository (it holds .git)"
    elif held is not None:
        why = f"a folder that holds {held}, a manifest or source of the workspace"
    else:
        return
    raise UnsafePathError(
        f"cargo's {what} is {path}, {why}: refusing to work there; point CARGO_TARGET_DIR "
        "(or build.target-dir / build.build-dir) at a folder of its own"
    )


def cargo_metadata(root: Path, *, env: Mapping[str, str] | None = None) -> dict[str, object]:
    environ = os.environ if env is None else env
    out = command.run(
        [cargo_program(environ), "metadata", "--no-deps", "--format-version", "1"],
        cwd=root,
        env=environ,
        what="`cargo metadata`",
    )
    data: dict[str, object] = json.loads(out.stdout)
    return data


def cargo_program(env: Mapping[str, str] | None = None) -> str:
    """The cargo to run: `$CARGO` if set, else `cargo` on PATH."""
    env = os.environ if env is None else env
    cargo = env.get("CARGO") or shutil.which("cargo", path=env.get("PATH"))
    if not cargo:
        raise ToolMissing("cargo is not on PATH: install Rust (https://rustup.rs) or set $CARGO")
    return cargo
