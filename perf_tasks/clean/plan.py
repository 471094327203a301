"""Planning: decide what each mode removes, and measure it with one scan.

A mode returns a `Selection` (candidate paths with a category and a reason, and the folders it works
in). `build_plan` runs every candidate through the guard, then scans the items and the rest of each
folder in one pass, so that item sizes and folder totals agree with `du` and nothing is walked
twice.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from perf_tasks.clean import model
from perf_tasks.clean.model import Area, Failure, Item, Plan, Skip
from perf_tasks.clean.safety import TRASH_DIR, Guard, build_in_progress, profile_dirs
from perf_tasks.fs.scan import Scan, scan
from perf_tasks.settings import ArtifactRule, Settings

DAY = 86400.0


@dataclass(frozen=True)
class Candidate:
    path: Path
    category: str
    reason: str


@dataclass
class Selection:
    candidates: list[Candidate] = field(default_factory=list)
    areas: list[tuple[str, Path]] = field(default_factory=list)  # (label, folder)
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prescan: Scan | None = None  # a scan that may already cover what build_plan needs

    def extend(self, other: Selection) -> Selection:
        self.candidates += other.candidates
        self.areas += [a for a in other.areas if a not in self.areas]
        self.skipped += other.skipped
        self.notes += other.notes
        self.prescan = self.prescan or other.prescan
        return self


def label(root: Path, path: Path) -> str:
    try:
        return f"{path.relative_to(root).as_posix()}/"
    except ValueError:
        return f"{path}/"


# ----------------------------------------------------------------------------------------- modes


def select_nuke(guard: Guard, settings: Settings) -> Selection:
    """Everything the workspace generates: cargo's target and build dirs, and the listed outputs."""
    ws = guard.workspace
    sel = Selection()
    for name in settings.clean.nuke:
        if name == "target":
            for cargo_dir in ws.cargo_areas:
                category = model.TARGET if cargo_dir == ws.target_dir else model.BUILD
                sel.candidates.append(Candidate(cargo_dir, category, "build output (nuke)"))
                sel.areas.append((label(ws.root, cargo_dir), cargo_dir))
        else:
            path = ws.root / settings.output_path(name)
            sel.candidates.append(Candidate(path, model.OUTPUT, f"generated output {name} (nuke)"))
            sel.areas.append((label(ws.root, path), path))
    return sel


def select_cache(guard: Guard) -> Selection:
    """Caches that only cost a rebuild: incremental state, nextest's store, generated docs."""
    ws = guard.workspace
    sel = Selection()
    for area in ws.cargo_areas:
        sel.areas.append((label(ws.root, area), area))
    for cargo_dir in ws.cargo_dirs:
        for profile in profile_dirs(cargo_dir):
            sel.candidates.append(
                Candidate(
                    profile / "incremental", model.INCREMENTAL, "incremental compilation cache"
                )
            )
        # `doc/` of the host, and `<triple>/doc/` of cross builds
        for doc in (cargo_dir / "doc", *sorted(cargo_dir.glob("*/doc"))):
            sel.candidates.append(Candidate(doc, model.DOC, "generated documentation"))
        sel.candidates.append(Candidate(cargo_dir / "nextest", model.NEXTEST, "nextest's store"))
    return sel


@dataclass(frozen=True)
class RunInfo:
    path: Path
    newest_mtime: float
    marker: str | None  # the name of a marker file that says the run is being written


def select_runs(guard: Guard, settings: Settings, *, now: float) -> Selection:
    ws = guard.workspace
    folder = ws.root / settings.output_path(settings.runs.output)
    sel = Selection(areas=[(label(ws.root, folder), folder)])
    try:
        # One listing: whether an entry is a real folder (not a link to one) comes with it.
        with os.scandir(folder) as entries:
            children = sorted(
                (e.name, e.is_dir(follow_symlinks=False)) for e in entries if e.name != TRASH_DIR
            )
    except FileNotFoundError:
        return sel
    except OSError as exc:
        sel.skipped.append(Skip(folder, f"cannot list: {exc.strerror}"))
        return sel
    runs = [folder / name for name, is_dir in children if is_dir]
    others = [folder / name for name, is_dir in children if not is_dir]
    sel.prescan = scan([*runs, *others], shallow=[folder])
    infos = [
        RunInfo(r, sel.prescan.of(r).newest_mtime, _marker(r, settings.runs.markers)) for r in runs
    ]
    remove, skipped = decide_runs(infos, settings, now=now)
    sel.candidates += [Candidate(path, model.RUNS, reason) for path, reason in remove]
    sel.skipped += skipped
    return sel


def decide_runs(
    runs: Sequence[RunInfo], settings: Settings, *, now: float
) -> tuple[list[tuple[Path, str]], list[Skip]]:
    """Keep the newest N runs and any younger than the age limit; never touch a run in progress.

    A run's age is the newest mtime of anything inside it.
    """
    policy = settings.runs
    remove: list[tuple[Path, str]] = []
    skipped: list[Skip] = []
    by_age = sorted(runs, key=lambda r: r.newest_mtime, reverse=True)
    for rank, run in enumerate(by_age):
        idle_s = now - run.newest_mtime
        if run.marker is not None:
            skipped.append(Skip(run.path, f"still being written: holds {run.marker}"))
            continue
        if idle_s < policy.active_minutes * 60:
            skipped.append(
                Skip(run.path, f"still being written: changed {idle_s / 60:.0f} min ago")
            )
            continue
        if rank < policy.keep_newest or idle_s < policy.keep_days * DAY:
            continue
        remove.append(
            (
                run.path,
                f"run last written {idle_s / DAY:.0f} days ago: older than {policy.keep_days:g} "
                f"days and not among the newest {policy.keep_newest}",
            )
        )
    return remove, skipped


def _marker(run: Path, patterns: Sequence[str]) -> str | None:
    try:
        names = os.listdir(run)
    except OSError:
        return None
    for name in sorted(names):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return name
    return None


def select_artifacts(guard: Guard, settings: Settings, *, now: float) -> Selection:
    ws = guard.workspace
    folder = ws.root / settings.output_path(settings.artifacts.output)
    sel = Selection(areas=[(label(ws.root, folder), folder)])
    for path, mtime in _files_with_mtime(folder):
        rel = path.relative_to(folder).as_posix()
        rule = match_rule(settings.artifacts.rules, rel)
        if rule is None:
            continue
        age_days = (now - mtime) / DAY
        if age_days > rule.days:
            sel.candidates.append(
                Candidate(
                    path,
                    model.ARTIFACTS,
                    f"{rule.name} older than {rule.days:g} days ({age_days:.0f} days)",
                )
            )
    return sel


def match_rule(rules: Sequence[ArtifactRule], rel_path: str) -> ArtifactRule | None:
    """The first rule with a glob matching `rel_path` (posix, relative to the artifacts folder)."""
    for rule in rules:
        if any(glob_match(g, rel_path) for g in rule.globs):
            return rule
    return None


def glob_match(pattern: str, rel_path: str) -> bool:
    """Shell-style glob over a relative path: `*` stays in one segment, `**` spans any number."""
    return _glob_regex(pattern).fullmatch(rel_path) is not None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _files_with_mtime(folder: Path) -> Iterable[tuple[Path, float]]:
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name != TRASH_DIR:
                            stack.append(Path(entry.path))
                        continue
                    try:
                        yield Path(entry.path), entry.stat(follow_symlinks=False).st_mtime
                    except OSError:
                        continue
        except OSError:
            continue


def select_unfinished(guard: Guard) -> Selection:
    """Quarantine folders left by an interrupted run: finishing them is the first job of any run."""
    sel = Selection()
    ws = guard.workspace
    for area in (ws.root, *ws.cargo_dirs):
        trash = area / TRASH_DIR
        try:
            runs = sorted(trash.iterdir())
        except OSError:
            continue
        for run in runs:
            sel.candidates.append(
                Candidate(run, model.TRASH, "left by an interrupted run: finishing its removal")
            )
    return sel


# ------------------------------------------------------------------------------------- plan


def build_plan(
    mode: str, guard: Guard, selection: Selection, *, force: bool = False
) -> tuple[Plan, Scan]:
    """Guard every candidate, then size the items and their folders with one scan."""
    ws = guard.workspace
    meta: dict[Path, Candidate] = {}
    skipped = list(selection.skipped)
    for candidate in selection.candidates:
        if candidate.category == model.TRASH:
            meta[candidate.path] = candidate
            continue
        if not os.path.lexists(candidate.path):
            continue
        allowed, skips = guard.split(candidate.path)
        skipped += skips
        for path in allowed:
            meta.setdefault(path, candidate)
    if not force:
        meta, busy = _without_busy_profiles(guard, meta)
        skipped += busy
    items = sorted(meta)
    item_set = set(items)
    # dicts as ordered sets: folders may overlap, and membership must not cost a pass over a list
    rest: dict[Path, None] = {}
    shallow: dict[Path, None] = {}
    for _, folder in selection.areas:
        r, s = partition(folder, item_set)
        rest.update(dict.fromkeys(r))
        shallow.update(dict.fromkeys(s))
    tops = [*items, *rest]
    pre = selection.prescan
    if pre is not None and pre.covers([*tops, *shallow]):
        result = pre
    else:
        result = scan(tops, shallow=list(shallow))
    plan_items = tuple(
        Item(
            path=p,
            bytes=result.of(p).bytes,
            files=result.of(p).files,
            category=meta[p].category,
            reason=meta[p].reason,
        )
        for p in items
    )
    areas = tuple(
        Area(name, folder, _area_bytes(result, folder)) for name, folder in selection.areas
    )
    plan = Plan(
        mode=mode,
        root=ws.root,
        items=plan_items,
        skipped=tuple(skipped),
        freed_bytes=result.freed(items),
        freed_by_category={
            c: result.freed(paths) for c, paths in model.by_category(plan_items).items()
        },
        areas=areas,
        notes=tuple(selection.notes),
        scan_errors=tuple(Failure(Path(p), e) for p, e in result.errors),
    )
    return plan, result


def _without_busy_profiles(
    guard: Guard, meta: dict[Path, Candidate]
) -> tuple[dict[Path, Candidate], list[Skip]]:
    busy: dict[Path, bool] = {}
    kept: dict[Path, Candidate] = {}
    skipped: list[Skip] = []
    for path, candidate in meta.items():
        profile = guard.profile_of(path)
        if profile is not None:
            if profile not in busy:
                busy[profile] = build_in_progress(profile)
            if busy[profile]:
                skipped.append(
                    Skip(
                        path,
                        f"a cargo build holds {profile.name}/: run again when it ends, "
                        "or pass --force",
                    )
                )
                continue
        kept[path] = candidate
    return kept, skipped


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


def _area_bytes(result: Scan, folder: Path) -> int:
    """Bytes of the scanned paths inside `folder` (paths are clean and absolute: a prefix test)."""
    name = os.fspath(folder)
    below = name.rstrip("/") + "/"
    return sum(
        result.of(p).bytes
        for p in result.paths
        if (s := os.fspath(p)) == name or s.startswith(below)
    )


def measure_areas(areas: Sequence[Area]) -> tuple[Area, ...]:
    """A fresh scan of each folder, for the closing line after a run."""
    result = scan([a.path for a in areas])
    return tuple(Area(a.label, a.path, result.of(a.path).bytes) for a in areas)
