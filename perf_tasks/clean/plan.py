"""Planning: decide what each mode removes, and measure it with one scan.

A mode returns a `Selection` (candidate paths with a category and a reason, and the folders it works
in). `build_plan` runs every candidate through the guard, then scans the items and the rest of each
folder in one pass, so that item sizes and folder totals agree with `du` and nothing is walked
twice.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks.cargo.dirs import build_in_progress, profile_dirs
from perf_tasks.clean import model, quarantine
from perf_tasks.clean.model import Area, Failure, Item, Plan, Skip
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard, Rule
from perf_tasks.fs.glob import glob_match
from perf_tasks.fs.partition import partition
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

    A run's age is the newest mtime of anything inside it. A run dated in the future (a wrong clock
    wrote it) has no usable age: it is judged by its name, which sorts runs in the order they were
    made. It stays while its name is among the newest N names, and goes after that.
    """
    policy = settings.runs
    active_s = policy.active_minutes * 60
    remove: list[tuple[Path, str]] = []
    skipped: list[Skip] = []
    # Within the active window ahead, a few minutes of clock skew (NFS) is a run being written.
    future = [r for r in runs if r.newest_mtime - now > active_s]
    dated = sorted((r for r in runs if r not in future), key=lambda r: r.newest_mtime, reverse=True)
    by_name = sorted(runs, key=lambda r: r.path.name, reverse=True)
    for run in future:
        if run.marker is not None:
            skipped.append(Skip(run.path, f"still being written: holds {run.marker}"))
            continue
        ahead = (
            f"dated in the future ({_utc(run.newest_mtime)}, "
            f"{_span(run.newest_mtime - now)} ahead of this clock)"
        )
        if by_name.index(run) < policy.keep_newest:
            skipped.append(
                Skip(run.path, f"{ahead}: kept while among the newest {policy.keep_newest} by name")
            )
        else:
            remove.append(
                (run.path, f"run {ahead}, and not among the newest {policy.keep_newest} by name")
            )
    for rank, run in enumerate(dated):
        idle_s = now - run.newest_mtime
        if run.marker is not None:
            skipped.append(Skip(run.path, f"still being written: holds {run.marker}"))
            continue
        if idle_s < active_s:
            when = (
                f"changed {idle_s / 60:.0f} min ago"
                if idle_s >= 0
                else (f"changed just now (dated {_span(-idle_s)} ahead of this clock)")
            )
            skipped.append(Skip(run.path, f"still being written: {when}"))
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


def _utc(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))


def _span(seconds: float) -> str:
    if seconds < 120 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / DAY:.0f} days"


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
    repos: list[Path] = []
    for path, mtime in _files_with_mtime(folder, repos):
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
    guard.with_repos(repos)
    sel.skipped += [Skip(repo, Rule.OTHER_REPO.value) for repo in repos]
    return sel


def match_rule(rules: Sequence[ArtifactRule], rel_path: str) -> ArtifactRule | None:
    """The first rule with a glob matching `rel_path` (posix, relative to the artifacts folder)."""
    for rule in rules:
        if any(glob_match(g, rel_path) for g in rule.globs):
            return rule
    return None


def _files_with_mtime(folder: Path, repos: list[Path]) -> Iterable[tuple[Path, float]]:
    """Every file below `folder`, with its mtime. A folder holding `.git` is another repository:
    nothing in it is listed, and it is added to `repos`."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            continue
        if any(entry.name == ".git" for entry in entries):
            repos.append(Path(current))
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != TRASH_DIR:
                    stack.append(Path(entry.path))
                continue
            try:
                yield Path(entry.path), entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue


def select_unfinished(guard: Guard) -> Selection:
    """What an interrupted run left in its quarantine: finishing it is the first job of any run.

    Only quarantines this tool can prove it made are finished (`quarantine.find`), and what they
    hold goes through the guard like anything else.
    """
    sel = Selection()
    ws = guard.workspace
    for home in (ws.root, *ws.cargo_dirs):
        found = quarantine.find(home)
        sel.skipped += found.foreign
        guard.with_quarantines(found.runs)
        for run in found.runs:
            try:
                names = sorted(os.listdir(run))
            except OSError as exc:
                sel.skipped.append(Skip(run, f"cannot list: {exc.strerror}", blocking=True))
                continue
            sel.candidates += [
                Candidate(run / name, model.TRASH, "left by an interrupted run: finishing it")
                for name in names
                if name != quarantine.MARKER
            ]
    return sel


# ------------------------------------------------------------------------------------- plan


def build_plan(
    mode: str, guard: Guard, selection: Selection, *, force: bool = False
) -> tuple[Plan, Scan]:
    """Guard every candidate, then size the items and their folders with one scan.

    The scan also finds other repositories (a `.git` inside an item); when it does, the guard
    learns them and the items are split around them and sized again. That is rare.
    """
    ws = guard.workspace
    meta, skipped = _guarded(guard, selection.candidates, force=force)
    result = _scan_items(sorted(meta), selection, prescan=selection.prescan)
    nested = _repos_inside(result.repos, set(meta))
    if nested:
        guard.with_repos(nested)
        meta, skipped = _guarded(guard, selection.candidates, force=force)
        result = _scan_items(sorted(meta), selection, prescan=None)
    skipped = [*selection.skipped, *skipped]
    items = sorted(meta)
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


def _guarded(
    guard: Guard, candidates: Sequence[Candidate], *, force: bool
) -> tuple[dict[Path, Candidate], list[Skip]]:
    """The removable parts of every candidate, each with the candidate it came from."""
    meta: dict[Path, Candidate] = {}
    skipped: list[Skip] = []
    for candidate in candidates:
        if not os.path.lexists(candidate.path):
            continue
        allowed, skips = guard.split(candidate.path)
        skipped += skips
        for path in allowed:
            meta.setdefault(path, candidate)
    if not force:
        meta, busy = _without_busy_profiles(guard, meta)
        skipped += busy
    return meta, skipped


def _scan_items(items: Sequence[Path], selection: Selection, *, prescan: Scan | None) -> Scan:
    """One scan of the items and of the rest of their folders, so that both add up."""
    item_set = set(items)
    # dicts as ordered sets: folders may overlap, and membership must not cost a pass over a list
    rest: dict[Path, None] = {}
    shallow: dict[Path, None] = {}
    for _, folder in selection.areas:
        r, s = partition(folder, item_set)
        rest.update(dict.fromkeys(r))
        shallow.update(dict.fromkeys(s))
    tops = [*items, *rest]
    if prescan is not None and prescan.covers([*tops, *shallow]):
        return prescan
    return scan(tops, shallow=list(shallow))


def _repos_inside(repos: Sequence[Path], items: set[Path]) -> list[Path]:
    """The repositories that are an item or lie inside one."""
    return [r for r in repos if any(p in items for p in (r, *r.parents))]


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
