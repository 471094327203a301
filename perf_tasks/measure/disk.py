"""Disk usage of each output of the workspace, the way the cleanup counts it (and `du -s -B1`).

One scan per output, so that each figure equals `du -s -B1 <that path>` on its own. The target
dir is cut into disjoint pieces (each profile's `deps/`, `build/` and `incremental/`, and the
rest) and scanned in one pass, so the pieces add up to the total exactly; a file hard-linked into
several pieces (cargo links final artifacts out of `deps/`) counts once, in the first of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_tasks.cargo.dirs import profile_dirs
from perf_tasks.fs.partition import scan_with_rest
from perf_tasks.fs.scan import scan
from perf_tasks.paths import relative
from perf_tasks.quantities import format_bytes

PROFILE_PARTS = ("deps", "build", "incremental")


@dataclass(frozen=True)
class Part:
    bytes: int = 0
    files: int = 0

    def as_json(self) -> dict[str, int]:
        return {"bytes": self.bytes, "files": self.files}


@dataclass(frozen=True)
class Profile:
    bytes: int
    files: int
    parts: dict[str, Part]  # deps, build, incremental, other

    def as_json(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "files": self.files,
            **{name: part.as_json() for name, part in self.parts.items()},
        }


@dataclass(frozen=True)
class OutputUsage:
    name: str
    paths: tuple[str, ...]  # as shown: relative to the workspace root when inside it
    exists: bool
    bytes: int
    files: int
    profiles: dict[str, Profile] = field(default_factory=dict)  # target only
    other: Part | None = None  # target only: what is outside every profile dir

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.paths[0] if len(self.paths) == 1 else list(self.paths),
            "exists": self.exists,
            "bytes": self.bytes,
            "files": self.files,
        }
        if self.profiles or self.other is not None:
            data["profiles"] = {name: p.as_json() for name, p in self.profiles.items()}
            data["other"] = (self.other or Part()).as_json()
        return data


def measure_outputs(
    *, root: Path, cargo_dirs: Sequence[Path], outputs: Mapping[str, Path]
) -> dict[str, OutputUsage]:
    """`target` (cargo's dirs, broken down), then each named output, in the given order."""
    usage = {"target": measure_target(root, cargo_dirs)}
    for name, path in outputs.items():
        usage[name] = measure_plain(name, root, path)
    return usage


def added(before: Mapping[str, OutputUsage], after: Mapping[str, OutputUsage]) -> dict[str, int]:
    """What each output grew by between two measurements (only those that grew)."""
    return {
        name: after[name].bytes - usage.bytes
        for name, usage in before.items()
        if name in after and after[name].bytes > usage.bytes
    }


def added_note(grown: Mapping[str, int]) -> str | None:
    """The one line that says what a measurement left behind, or None when it left nothing."""
    if not grown:
        return None
    parts = ", ".join(f"{format_bytes(n)} to {name}" for name, n in grown.items())
    return (
        f"disk: the sizes are the workspace as it was before the measurement; the measurement "
        f"itself added {parts} (its incremental sessions, test reports), left in place: "
        "`clean` removes what is stale"
    )


def measure_plain(name: str, root: Path, path: Path) -> OutputUsage:
    result = scan([path]).of(path)
    return OutputUsage(
        name=name,
        paths=(relative(path, root),),
        exists=os.path.lexists(path),
        bytes=result.bytes,
        files=result.files,
    )


def measure_target(root: Path, cargo_dirs: Sequence[Path]) -> OutputUsage:
    folders = _disjoint(cargo_dirs)
    existing = [f for f in folders if f.is_dir()]
    profiles = {p: _profile_label(p, existing) for f in existing for p in profile_dirs(f)}
    items = [p / part for p in profiles for part in PROFILE_PARTS if os.path.lexists(p / part)]
    result = scan_with_rest(list(items), existing)

    sums: dict[str, dict[str, list[int]]] = {
        label: {part: [0, 0] for part in (*PROFILE_PARTS, "other")} for label in profiles.values()
    }
    other = [0, 0]
    for path in result.paths:  # the items, the rest beside them, and the folders between
        used = result.of(path)
        owner = next((p for p in profiles if p == path or p in path.parents), None)
        if owner is None:
            bucket = other
        else:
            part = path.name if path.parent == owner and path.name in PROFILE_PARTS else "other"
            bucket = sums[profiles[owner]][part]
        bucket[0] += used.bytes
        bucket[1] += used.files
    by_profile = {
        label: Profile(
            bytes=sum(b for b, _ in parts.values()),
            files=sum(n for _, n in parts.values()),
            parts={name: Part(b, n) for name, (b, n) in parts.items()},
        )
        for label, parts in sorted(sums.items())
    }
    total_bytes = other[0] + sum(p.bytes for p in by_profile.values())
    total_files = other[1] + sum(p.files for p in by_profile.values())
    return OutputUsage(
        name="target",
        paths=tuple(relative(f, root) for f in folders),
        exists=bool(existing),
        bytes=total_bytes,
        files=total_files,
        profiles=by_profile,
        other=Part(other[0], other[1]),
    )


def _disjoint(dirs: Sequence[Path]) -> list[Path]:
    """The cargo dirs without those inside another (a build dir inside the target dir)."""
    kept: list[Path] = []
    for d in dirs:
        if any(d == k or k in d.parents for k in kept):
            continue
        kept = [k for k in kept if d not in k.parents]
        kept.append(d)
    return kept


def _profile_label(profile: Path, folders: Sequence[Path]) -> str:
    for folder in folders:
        if folder in profile.parents:
            return profile.relative_to(folder).as_posix()
    return profile.name
