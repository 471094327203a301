"""The one way the tool edits a user's file: read it, plan the new text, write it under the lock.

`read` goes through fs/regular (never a FIFO, a device or a runaway file; valid UTF-8) and keeps a
`Snapshot` of what was there. `write` holds the workspace's run lock while it reads each file again,
refuses one that changed since its snapshot (another run, an editor), refuses one it could not
replace without harm (read-only, hard-linked, a symlink to nothing), and only then replaces them
all atomically (fs/atomic), through a symlink to its target, keeping the target's mode. A task that
reads and writes holds the lock over both with `editing`, so that a second run waits, then edits
the first one's result instead of losing it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.errors import ConfigError, EditRefused
from perf_tasks.fs.regular import MAX_TEXT_BYTES, NotRegular, read_text

BOM = "\ufeff"
# How long an edit waits for another run's edit (or a short clean) before it gives up with `Busy`.
WAIT_S = 30.0


@dataclass(frozen=True)
class Snapshot:
    """A file's text as read, without its BOM; `text` is None when there was no file."""

    path: Path
    shown: str  # the path as messages show it, relative to the root
    text: str | None
    bom: bool = False

    @property
    def exists(self) -> bool:
        return self.text is not None


def read(path: Path, *, shown: str, bom: bool = False, limit: int = MAX_TEXT_BYTES) -> Snapshot:
    """What `path` holds; one `ConfigError` if it cannot be read. `bom`: the file's own tool
    accepts a UTF-8 byte order mark (cargo does), so it is set aside here and written back."""
    try:
        text = read_text(path, limit=limit)
    except FileNotFoundError:
        return Snapshot(path, shown, None)
    except NotRegular as exc:
        raise ConfigError(f"cannot read {shown}: {exc}; nothing was changed") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if bom and text.startswith(BOM):
        return Snapshot(path, shown, text[len(BOM) :], bom=True)
    return Snapshot(path, shown, text)


def text_of(path: Path, *, shown: str, bom: bool = False) -> str:
    """The text of a file that must be there (a manifest, a config): `ConfigError` if it is not."""
    found = read(path, shown=shown, bom=bom)
    if found.text is None:
        raise ConfigError(f"no {shown}: nothing to read")
    return found.text


@contextlib.contextmanager
def editing(root: Path, *, dry_run: bool = False) -> Iterator[None]:
    """Hold the run lock from the read of the files to edit to their rename (none for a dry run,
    which writes nothing)."""
    if dry_run:
        yield
        return
    from perf_tasks.runlock import run_lock

    with run_lock(root, wait_s=WAIT_S):
        yield


def write(root: Path, edits: Sequence[tuple[Snapshot, str]]) -> None:
    """Replace each snapshot's file by its new text: all, or (refused, or on an error) none.

    Raises `EditRefused` (one line, nothing written) when a file changed since its snapshot, is
    read-only, has other hard links, or is a symlink to nothing; `WriteFailed` when the disk or the
    folder refuses the write.
    """
    from perf_tasks.fs.atomic import write_all_atomic

    with editing(root):
        files: dict[Path, str] = {}
        modes: dict[Path, int] = {}
        for before, new in edits:
            target, mode = _checked_target(before)
            files[target] = (BOM if before.bom else "") + new
            if mode is not None:
                modes[target] = mode
        write_all_atomic(files, modes=modes)


def _checked_target(before: Snapshot) -> tuple[Path, int | None]:
    """The file to replace (a symlink's target) and its mode, once it is known to be safe."""
    shown = before.shown
    now = read(before.path, shown=shown, bom=before.bom)
    if now != before:
        raise EditRefused(
            f"{shown} changed since perf-tasks read it (another run, or an editor): nothing was "
            "written; run again"
        )
    target = before.path
    if before.path.is_symlink():
        target = before.path.resolve()
        if not before.exists:
            raise EditRefused(
                f"{shown} is a symlink to {target}, which does not exist: create it or remove "
                "the link; nothing was written"
            )
    if not before.exists:
        return target, None
    info = os.stat(target)
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise EditRefused(
            f"{shown} is read-only: make it writable (chmod u+w) if perf-tasks may edit it; "
            "nothing was written"
        )
    if info.st_nlink > 1:
        raise EditRefused(
            f"{shown} has {info.st_nlink} hard links: replacing it would leave the others "
            "behind with the old text; make it a file of its own (cp, then mv), or a symlink; "
            "nothing was written"
        )
    return target, stat.S_IMODE(info.st_mode)


def overwrite(root: Path, files: Mapping[Path, str]) -> None:
    """Replace files the tool makes whole (a record, a report), as `write` does: what they held is
    read under the lock, just before they are replaced."""
    from perf_tasks.paths import relative

    with editing(root):
        write(
            root, [(read(path, shown=relative(path, root)), text) for path, text in files.items()]
        )
