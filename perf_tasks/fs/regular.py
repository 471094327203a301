"""Reading a small text file that people edit or a cache restores: never hang on a FIFO, never
read /dev/zero or a runaway file to the end."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from perf_tasks.errors import ConfigError, PerfTasksError

MAX_TEXT_BYTES = 64 * 2**20


class NotRegular(OSError):
    """Not a regular file, too large, or not UTF-8: the message says which."""


def read_bytes(path: Path, *, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file `path`; errors as `read_text`'s, but for UTF-8."""
    # O_NONBLOCK: opening a FIFO with no writer would block forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        # Before fdopen, which refuses a folder with its own IsADirectoryError.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular("not a regular file")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise NotRegular(f"larger than {limit // 2**20} MiB")
    return data


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of the regular file `path`. Raises FileNotFoundError when there is none,
    `NotRegular` when it is a folder, a FIFO, a device, larger than `limit` or not UTF-8 (the
    message names the first bad byte), and OSError when it cannot be read."""
    data = read_bytes(path, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotRegular(f"not UTF-8 text at byte {exc.start}") from None


def read_input(
    path: Path, *, kind: str, missing: PerfTasksError, limit: int = MAX_TEXT_BYTES
) -> str:
    """The text of a file a task reads whole (a record, a plan, a report), or one line: `missing`
    when there is none; `{path} is not {kind} ({why})` for a folder, a FIFO, a device, a runaway
    or non-UTF-8 file; `cannot read {path}: {why}` for any other error."""
    try:
        return read_text(path, limit=limit)
    except FileNotFoundError:
        raise missing from None
    except NotRegular as exc:
        raise ConfigError(f"{path} is not {kind} ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
