"""Reading a small text file that people edit or a cache restores: never hang on a FIFO, never
read /dev/zero or a runaway file to the end."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_TEXT_BYTES = 64 * 2**20


class NotRegular(OSError):
    """Not a regular file, too large, or not UTF-8: the message says which."""


def read_bytes(path: Path, *, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file `path`; errors as `read_text`'s, but for UTF-8."""
    # O_NONBLOCK: opening a FIFO with no writer would block forever.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    # Checked on the descriptor before it becomes a file object, which refuses a folder with a
    # message of its own ("Is a directory"): every kind of non-file is said the same way.
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotRegular("not a regular file")
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
