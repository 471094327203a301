"""Writing files so that a reader sees the old text or the new one, never half of either, and a
pair of files (a record and its report) both old or both new."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from perf_tasks.errors import WriteFailed

_NEW_FILE_MODE = 0o644


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write through a temporary file in the same folder, fsync it, then `os.replace` it; `text`
    as UTF-8, or bytes as they are (a chart)."""
    tmp = _staged(path, text)
    try:
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_all_atomic(files: Mapping[Path, str], *, modes: Mapping[Path, int] | None = None) -> None:
    """Write several files as one unit: after it, all are new, or (on any error) all are as before.

    Every new text is written and fsynced to a temporary file beside its target first: a full disk
    fails there, before anything is replaced. Only then are the targets replaced, one rename each;
    the old files are kept as hard links until the last rename is done, and put back if one fails.
    Raises `WriteFailed` (one line) when the files cannot be written. `modes` gives a file its
    permission bits before it replaces the old one (0644 otherwise).
    """
    staged: dict[Path, Path] = {}
    kept: dict[Path, Path] = {}
    replaced: list[Path] = []
    try:
        for path, text in files.items():
            staged[path] = _staged(path, text, (modes or {}).get(path, _NEW_FILE_MODE))
        for path in files:
            if path.exists():
                kept[path] = _kept(path)
        for path, tmp in staged.items():
            tmp.replace(path)
            replaced.append(path)
    except BaseException as exc:
        for path in replaced:  # put the old files back, or remove the new one there was none
            if path in kept:
                kept.pop(path).replace(path)
            else:
                path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            names = ", ".join(p.name for p in files)
            where = next(iter(files)).parent if files else Path()
            raise WriteFailed(
                f"cannot write {names} in {where}: {exc.strerror or exc}; nothing was changed there"
            ) from None
        raise
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        for backup in kept.values():
            backup.unlink(missing_ok=True)


def _staged(path: Path, text: str | bytes, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).chmod(mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _kept(path: Path) -> Path:
    """A hard link to the current `path` (no space needed), to put it back if need be."""
    backup = path.with_name(f".{path.name}.{os.getpid()}.old")
    backup.unlink(missing_ok=True)
    os.link(path, backup)
    return backup
