"""Cutting a folder into the paths a plan removes and the rest, so that one scan sizes both."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from perf_tasks.fs.scan import Scan, scan


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


def scan_with_rest(
    items: Sequence[Path], folders: Iterable[Path], *, prescan: Scan | None = None
) -> Scan:
    """One scan of `items` and of the rest of `folders`, so that items and folders add up.

    Item paths come first, in the order given. `prescan` is used instead when it already covers
    every path this scan would take.
    """
    item_set = set(items)
    # dicts as ordered sets: folders may overlap, and membership must not cost a pass over a list
    rest: dict[Path, None] = {}
    shallow: dict[Path, None] = {}
    for folder in folders:
        r, s = partition(folder, item_set)
        rest.update(dict.fromkeys(r))
        shallow.update(dict.fromkeys(s))
    tops = [*dict.fromkeys(items), *(p for p in rest if p not in item_set)]
    if prescan is not None and prescan.covers([*tops, *shallow]):
        return prescan
    return scan(tops, shallow=list(shallow))
