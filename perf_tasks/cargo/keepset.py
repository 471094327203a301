"""The keep-set: every unit the configured commands produce today, read from cargo's own messages.

A unit's hash comes from where cargo says its files are:
- the `filenames` and `executable` of each `compiler-artifact` message (`deps/libfoo-<hash>.rlib`,
  `build/foo-<hash>/build-script-build`, `build/foo/<hash>/out/...`);
- the `out_dir` of each `build-script-executed` message (`build/foo-<hash>/out`);
- for an uplifted file (`target/debug/foo`, `target/debug/libfoo.rlib`, `examples/foo`), the unit
  file it is a hard link of (or, where the file system cannot link, a byte-equal copy of).

A profile dir is judged only when the commands use it; one whose files we cannot place is not
judged at all (`problems`).
"""

from __future__ import annotations

import filecmp
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks.cargo import layout
from perf_tasks.cargo.dirs import locks_of
from perf_tasks.cargo.probe import CommandOutput, FileId, PlannedUnit
from perf_tasks.quantities import plural
from perf_tasks.workspace import Workspace


@dataclass(frozen=True)
class LiveUnit:
    hash: str
    crate_name: str  # "" for a build script's run, which rustc never compiles
    area: Path  # the profile dir of the build dir its files are in
    mtime: float  # newest mtime of its outputs: when rustc last finished it


@dataclass(frozen=True)
class KeepSet:
    hashes: frozenset[str]
    areas: tuple[Path, ...]  # profile dirs of the build dir that hold the commands' units
    profiles: frozenset[Path]  # every profile dir the commands touch, target and build dir
    units: tuple[LiveUnit, ...]
    problems: Mapping[Path, str] = field(default_factory=dict)  # area -> why it is not judged
    # Some command would have compiled: the keep-set is cargo's logged plan of every command
    # (`from_plan`), or, when that plan cannot be trusted, there is none (`untrusted` says why).
    from_plan: bool = False
    untrusted: str = ""

    def live_in(self, area: Path) -> list[LiveUnit]:
        return [u for u in self.units if u.area == area]


class _Resolver:
    """Maps a path cargo reported to (area, hash), finding uplifted files through their links."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._profile_of_dir: dict[Path, Path | None] = {}
        self._index: dict[Path, dict[tuple[int, int], Path]] = {}

    def cargo_dir_of(self, path: Path) -> Path | None:
        best = None
        for cargo_dir in self.ws.cargo_dirs:
            if path.is_relative_to(cargo_dir) and (best is None or cargo_dir.is_relative_to(best)):
                best = cargo_dir
        return best

    def profile_of(self, path: Path) -> Path | None:
        """The nearest folder above `path`, inside a cargo dir, that holds a cargo lock."""
        top = self.cargo_dir_of(path)
        if top is None:
            return None
        for parent in path.parents:
            if parent == top or not parent.is_relative_to(top):
                return None
            if parent not in self._profile_of_dir:
                self._profile_of_dir[parent] = parent if locks_of(parent) else None
            if self._profile_of_dir[parent] is not None:
                return parent
        return None

    def area_of(self, profile: Path) -> Path:
        """The build-dir twin of a profile dir (itself when target and build dir are one)."""
        top = self.cargo_dir_of(profile)
        assert top is not None
        return self.ws.build_dir / profile.relative_to(top)

    def twin_of(self, area: Path) -> Path:
        return self.ws.target_dir / area.relative_to(self.ws.build_dir)

    def linked(self, area: Path, seen: FileId) -> list[Path]:
        """Unit files of `area` that are the file `seen`: its hard links, else equal copies."""
        index = self._index.get(area)
        if index is None:
            index = {}
            for candidate in layout.unit_files(area):
                if layout.hash_of(candidate, area) is None:
                    continue  # an uplifted file itself (`examples/foo`): not what we look for
                try:
                    st = os.lstat(candidate)
                except OSError:
                    continue
                index.setdefault((st.st_dev, st.st_ino), candidate)
            self._index[area] = index
        hit = index.get((seen.dev, seen.ino))
        if hit is not None:
            return [hit]
        return []

    def copies(self, area: Path, path: Path, seen: FileId) -> list[Path]:
        found = []
        for candidate in layout.unit_files(area):
            if layout.hash_of(candidate, area) is None:
                continue
            try:
                st = os.lstat(candidate)
            except OSError:
                continue
            if st.st_size != seen.size or (st.st_dev, st.st_ino) == (seen.dev, seen.ino):
                continue
            try:
                if filecmp.cmp(path, candidate, shallow=False):
                    found.append(candidate)
            except OSError:
                continue
        return found


def build(outputs: Sequence[CommandOutput], ws: Workspace) -> KeepSet:
    """The keep-set of the commands' outputs, for the workspace's target and build dirs."""
    resolver = _Resolver(ws)
    hashes: set[str] = set()
    areas: list[Path] = []
    profiles: set[Path] = set()
    found: dict[tuple[Path, str], tuple[str, float]] = {}  # (area, hash) -> (crate, mtime)
    problems: dict[Path, str] = {}

    def use(profile: Path) -> Path:
        area = resolver.area_of(profile)
        if area not in areas:
            areas.append(area)
        profiles.update((profile, area, resolver.twin_of(area)))
        return area

    def keep(area: Path, unit_hash: str, crate: str, mtime: float) -> None:
        hashes.add(unit_hash)
        old_crate, old_mtime = found.get((area, unit_hash), ("", 0.0))
        found[(area, unit_hash)] = (old_crate or crate, max(old_mtime, mtime))

    reported_by: list[set[str]] = []
    for output in outputs:
        reported: set[str] = set()
        reported_by.append(reported)
        for artifact in output.artifacts:
            for path in artifact.paths:
                profile = resolver.profile_of(path)
                if profile is None:
                    continue  # not in a profile dir (generated docs, ...): no unit to keep
                area = use(profile)
                seen = output.seen.get(path)
                mtime = seen.mtime if seen else 0.0
                direct = layout.hash_of(path, area)
                if direct is not None:
                    keep(area, direct, artifact.crate_name, mtime)
                    reported.add(direct)
                    continue
                if seen is None:
                    problems.setdefault(area, f"{path} was reported by cargo but is not there")
                    continue
                matches = resolver.linked(area, seen) or resolver.copies(area, path, seen)
                placed = [h for h in (layout.hash_of(m, area) for m in matches) if h]
                if not placed:
                    problems.setdefault(
                        area,
                        f"cannot tell which unit {path} comes from: it is neither a hard link "
                        "nor a copy of a unit file",
                    )
                for unit_hash in placed:
                    keep(area, unit_hash, artifact.crate_name, mtime)
                    reported.add(unit_hash)
        for script in output.scripts:
            placed_at = _unit_at(script.out_dir, resolver, use)
            if placed_at is None:
                continue
            area, run_hash = placed_at
            if run_hash is None:
                problems.setdefault(area, f"build script OUT_DIR {script.out_dir} names no unit")
                continue
            keep(area, run_hash, "", 0.0)
            reported.add(run_hash)
    from_plan = any(not output.complete for output in outputs)
    untrusted = ""
    if from_plan:
        for output, reported in zip(outputs, reported_by, strict=True):
            listed = _listed(output.planned, resolver, use)
            untrusted = _distrust(output, listed, reported)
            if untrusted:
                break
            for area, unit_hash, crate, mtime in listed:
                keep(area, unit_hash, crate, mtime)
    return KeepSet(
        hashes=frozenset(hashes),
        areas=tuple(areas),
        profiles=frozenset(profiles),
        units=tuple(LiveUnit(h, c, a, m) for (a, h), (c, m) in found.items()),
        problems=problems,
        from_plan=from_plan,
        untrusted=untrusted,
    )


def _listed(
    planned: Sequence[PlannedUnit], resolver: _Resolver, use: Callable[[Path], Path]
) -> list[tuple[Path, str, str, float]]:
    """(area, hash, crate, mtime) of each planned unit that lies in a profile dir."""
    listed = []
    for unit in planned:
        placed_at = _unit_at(unit.fingerprint, resolver, use)
        if placed_at is None:
            continue
        area, unit_hash = placed_at
        if unit_hash is None:
            continue
        # A build script's run is never compiled by rustc: it has no incremental session.
        compiled = not unit.fingerprint.name.startswith("run-")
        crate = unit.target.replace("-", "_") if compiled else ""
        listed.append((area, unit_hash, crate, _newest_mtime(unit.fingerprint.parent)))
    return listed


def _unit_at(
    path: Path, resolver: _Resolver, use: Callable[[Path], Path]
) -> tuple[Path, str | None] | None:
    """The area of the profile dir that holds `path`, and the unit hash `path` names there (None:
    no unit's); None when `path` is in no profile dir."""
    profile = resolver.profile_of(path)
    if profile is None:
        return None
    area = use(profile)
    return area, layout.hash_of(path, area)


def _distrust(
    output: CommandOutput, listed: Sequence[tuple[Path, str, str, float]], reported: set[str]
) -> str:
    """Why cargo's logged plan of one command cannot be trusted, or "" when it can: it must name
    units, and every unit cargo reported fresh (or whose build script ran) must be among them."""
    shown = " ".join(output.argv)
    if not listed:
        return f"`{shown}`: cargo logged no plan (its log format may have changed)"
    missing = reported - {unit_hash for _, unit_hash, _, _ in listed}
    if missing:
        return (
            f"`{shown}`: cargo's logged plan lacks {plural(len(missing), 'unit')} it reported, "
            f"such as {sorted(missing)[0]}"
        )
    return ""


def _newest_mtime(folder: Path) -> float:
    """When rustc last finished the unit: the newest file of its fingerprint folder (0: never)."""
    try:
        with os.scandir(folder) as entries:
            return max((e.stat(follow_symlinks=False).st_mtime for e in entries), default=0.0)
    except OSError:
        return 0.0
