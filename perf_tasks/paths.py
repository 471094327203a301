"""How a path is written for people and records: relative to the workspace root when inside it."""

from __future__ import annotations

from pathlib import Path


def relative(path: Path, root: Path) -> str:
    """`path` relative to `root` (posix), or absolute when it lies outside the root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
