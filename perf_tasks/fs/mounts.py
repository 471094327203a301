"""Where file systems are mounted, as this process sees them.

A bind mount of a folder from the same file system has the same `st_dev` as its parent, so only the
kernel's mount table tells it apart. We read `/proc/self/mountinfo` (Linux); elsewhere we fall back
to `os.path.ismount`, which catches mounts of another device only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

MOUNTINFO = "/proc/self/mountinfo"


def parse_mountinfo(text: str) -> frozenset[Path]:
    """Mount points from mountinfo text: field 5 of each line, octal escapes (`\\040`) decoded."""
    points: set[Path] = set()
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) >= 5 and fields[4].startswith("/"):
            points.add(Path(_unescape(fields[4])))
    return frozenset(points)


def _unescape(field: str) -> str:
    out = bytearray()
    raw = os.fsencode(field)
    i = 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 4 <= len(raw) and raw[i + 1 : i + 4].isdigit():
            out.append(int(raw[i + 1 : i + 4], 8) & 0xFF)
            i += 4
            continue
        out.append(raw[i])
        i += 1
    return os.fsdecode(bytes(out))


def mount_points() -> frozenset[Path] | None:
    """Every mount point, or None when the mount table cannot be read (not Linux)."""
    try:
        with open(MOUNTINFO, encoding="utf-8", errors="surrogateescape") as table:
            return parse_mountinfo(table.read())
    except OSError:
        return None


def mounts_within(points: Iterable[Path], folders: Iterable[Path]) -> frozenset[Path]:
    """The mount points that are one of `folders` or lie below one of them."""
    chosen = tuple(folders)
    return frozenset(p for p in points if any(p == f or p.is_relative_to(f) for f in chosen))
