"""Cutting a folder into the paths a plan removes and the rest, so that one scan sizes both."""

from __future__ import annotations

import os
from pathlib import Path


def partition(folder: Path, items: set[Path]) -> tuple[list[Path], list[Path]]:
    """The paths of `folder` that are not items, as whole subtrees plus folders counted shallowly.

    Items plus these add up to `folder` exactly, so one scan gives both the items' sizes and the
    folder's total.
    """
    if folder in items:
        return [], []
    prefix = folder.parts
    depth = len(prefix)
    inside = [i for i in items if len(i.parts) > depth and i.parts[:depth] == prefix]
    if not inside:
        return ([folder] if os.path.lexists(folder) else []), []
    # The folders between `folder` and each item: the parents of an item down to `folder` itself.
    ancestors: set[Path] = set()
    for i in inside:
        for parent in i.parents[: len(i.parts) - depth]:
            if parent in ancestors:
                break
            ancestors.add(parent)
    rest: list[Path] = []
    for directory in sorted(ancestors):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            child = directory / name
            if child not in items and child not in ancestors:
                rest.append(child)
    return rest, sorted(ancestors)
