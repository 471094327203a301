"""Where cargo keeps each unit's files inside a profile dir, in the two layouts it knows.

A *unit* is one compilation (a crate with its features, profile, flags, toolchain...) or one run of
a build script. Cargo names it by a 16-hex-digit hash. In a profile dir of the build dir
(`target/debug/`, `target/<triple>/release/`, ...) the hash shows up in:

- the classic layout: `deps/<crate>-<hash>[.ext]`, `examples/<crate>-<hash>[.ext]`,
  `.fingerprint/<pkg>-<hash>/` and `build/<pkg>-<hash>/`;
- the new build-dir layout (`-Zbuild-dir-new-layout`, stable from cargo 1.100):
  `build/<pkg>/<hash>/{fingerprint,out,run}`.

Everything else in a profile dir (uplifted binaries and libraries, `incremental/`, locks) carries no
cargo hash. This module reads names and lists folders; it never deletes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CLASSIC = "classic"
NEW = "new"  # build/<pkg>/<hash>/

HASH = re.compile(r"[0-9a-f]{16}")
_HASHED = re.compile(r"^(?P<name>.+)-(?P<hash>[0-9a-f]{16})(?:\..*)?$")
# Entries of a unit dir in the new layout.
NEW_UNIT_PARTS = frozenset({"fingerprint", "out", "run"})
# Sub-folders of a profile dir that hold units, by layout.
UNIT_FOLDERS = ("deps", "examples", ".fingerprint", "build")


@dataclass(frozen=True)
class UnitEntry:
    """One path in a profile dir that belongs to exactly one unit."""

    path: Path
    hash: str
    name: str  # the crate or package name as the entry spells it
    layout: str


@dataclass(frozen=True)
class Listing:
    """The unit entries of one profile dir, and what in it we do not understand."""

    entries: tuple[UnitEntry, ...]
    problems: tuple[str, ...]  # each names a path and says what is odd about it

    @property
    def layouts(self) -> frozenset[str]:
        return frozenset(e.layout for e in self.entries)


def split_hashed(name: str) -> tuple[str, str] | None:
    """`libfoo-0123456789abcdef.rlib` -> ("libfoo", "0123456789abcdef"); None without a hash."""
    match = _HASHED.match(name)
    if match is None:
        return None
    return match["name"], match["hash"]


def hash_of(path: Path, area: Path) -> str | None:
    """The unit hash of a path inside the profile dir `area`, read from where it is; None when the
    place names no unit (an uplifted file, `incremental/`, ...)."""
    try:
        parts = path.relative_to(area).parts
    except ValueError:
        return None
    if len(parts) < 2:
        return None
    head = parts[0]
    if head == "build" and len(parts) >= 3 and HASH.fullmatch(parts[2]):
        return parts[2]  # new layout: build/<pkg>/<hash>/...
    if head in UNIT_FOLDERS:
        split = split_hashed(parts[1])
        return split[1] if split else None
    return None


def is_new_unit_dir(path: Path) -> bool:
    """`build/<pkg>/<hash>/` of the new layout: a hash-named dir holding fingerprint/out/run."""
    if not HASH.fullmatch(path.name) or not _is_dir(path):
        return False
    try:
        names = {child.name for child in path.iterdir()}
    except OSError:
        return False
    return bool(names) and names <= NEW_UNIT_PARTS


def list_units(area: Path) -> Listing:
    """Every unit entry of the profile dir `area`, in whichever layout (both may be present).

    Files in `deps/` and `examples/` without a hash (an uplifted example, a temp file of rustc)
    are not units and are left out. Anything in `build/` or `.fingerprint/` that fits neither
    layout is a problem: the caller must not guess what it is.
    """
    entries: list[UnitEntry] = []
    problems: list[str] = []
    for folder in ("deps", "examples"):
        for name in _names(area / folder):
            split = split_hashed(name)
            if split is not None:
                entries.append(UnitEntry(area / folder / name, split[1], split[0], CLASSIC))
    for name in _names(area / ".fingerprint"):
        path = area / ".fingerprint" / name
        split = split_hashed(name)
        if split is None or not _is_dir(path):
            problems.append(f"{path}: not a <package>-<hash> fingerprint dir")
            continue
        entries.append(UnitEntry(path, split[1], split[0], CLASSIC))
    for name in _names(area / "build"):
        path = area / "build" / name
        if not _is_dir(path):
            problems.append(f"{path}: a file where cargo keeps unit dirs")
            continue
        children = _names(path)
        if children and all(is_new_unit_dir(path / c) for c in children):
            entries += [UnitEntry(path / c, c, name, NEW) for c in children]
            continue
        split = split_hashed(name)
        if split is not None and not any(HASH.fullmatch(c) for c in children):
            entries.append(UnitEntry(path, split[1], split[0], CLASSIC))
            continue
        odd = [c for c in children if not is_new_unit_dir(path / c)]
        if split is None and odd:
            problems.append(
                f"{path / odd[0]}: neither <package>-<hash>/ nor <package>/<hash>/"
                "{fingerprint,out,run}"
            )
        elif split is None:
            continue  # an empty package dir of the new layout: nothing in it
        else:
            problems.append(f"{path}: looks like both layouts at once")
    return Listing(tuple(entries), tuple(problems))


def unit_files(area: Path) -> list[Path]:
    """The files that an uplifted file may be a hard link of: `deps/*` and `examples/*` in the
    classic layout, `build/<pkg>/<hash>/out/*` in the new one."""
    found = [area / f / n for f in ("deps", "examples") for n in _names(area / f)]
    for pkg in _names(area / "build"):
        for unit in _names(area / "build" / pkg):
            if HASH.fullmatch(unit):
                out = area / "build" / pkg / unit / "out"
                found += [out / n for n in _names(out)]
    return found


def _names(folder: Path) -> list[str]:
    try:
        return sorted(child.name for child in folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()
