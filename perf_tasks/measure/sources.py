"""The workspace's sources, fingerprinted between the steps of a baseline: an edit while it ran
marks the record and is named.

A fingerprint is each file's size and mtime, or its content hash for the file the incremental
build touches on purpose. The files are what git knows (tracked, and untracked but not ignored);
outside a git checkout, every file under the root but the excluded dirs (target, outputs, the
record dir).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ToolMissing
from perf_tasks.fs.regular import read_bytes

Fingerprint = dict[str, tuple[int, int] | str]


def fingerprint(
    root: Path, *, env: Mapping[str, str], exclude: Iterable[Path], hashed: Path
) -> Fingerprint:
    """`relative path -> (size, mtime_ns)`; `hashed` by its content instead of its mtime."""
    skip = [p.resolve() for p in exclude]
    tracked = _git_files(root, env)
    names = (
        _walk(root, skip)
        if tracked is None
        else [n for n in tracked if not _inside(root / n, skip)]
    )
    hashed_rel = _rel(hashed, root)
    found: Fingerprint = {}
    for name in names:
        path = root / name
        try:
            if name == hashed_rel:
                found[name] = hashlib.sha256(read_bytes(path)).hexdigest()
            else:
                st = path.stat()
                found[name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            continue  # gone: absent from this fingerprint
    return found


def changed(before: Fingerprint, after: Fingerprint) -> tuple[str, ...]:
    """The files added, removed or modified between two fingerprints, sorted."""
    names = set(before) | set(after)
    return tuple(sorted(n for n in names if before.get(n) != after.get(n)))


def _git_files(root: Path, env: Mapping[str, str]) -> list[str] | None:
    try:
        out = command.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            env=env,
            timeout_s=60,
        )
    except (CommandFailed, ToolMissing):
        return None
    return sorted({n for n in out.stdout.split("\0") if n})


def _walk(root: Path, skip: list[Path]) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d != ".git" and (here / d).resolve() not in skip]
        found += [_rel(here / f, root) for f in filenames]
    return sorted(found)


def _inside(path: Path, skip: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(s) for s in skip)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
