"""The guards every deletion goes through.

`Guard.refuse(path)` says why a path must not be removed, or None. The planner uses `Guard.split` to
turn a folder that holds something we must keep (a tracked file, a cargo lock, a CACHEDIR.TAG) into
its removable parts, and `apply` asks `refuse` again for every item just before it goes.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from perf_tasks import command
from perf_tasks.cargo.dirs import (
    CACHEDIR_TAG,
    LOCK_NAMES,
    BuildLocks,
    build_in_progress,
    has_cachedir_tag,
    locks_of,
    profile_dirs,
)
from perf_tasks.clean.model import Skip
from perf_tasks.clean.quarantine import MARKER, TRASH_DIR
from perf_tasks.errors import ConfigError, ToolMissing
from perf_tasks.fs import mounts
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace


@dataclass(frozen=True)
class GitIndex:
    """Every file git tracks under some folders, and every folder that holds one."""

    files: frozenset[Path] = frozenset()
    folders: frozenset[Path] = frozenset()

    def holds_tracked(self, path: Path) -> bool:
        return path in self.files or path in self.folders

    @classmethod
    def load(cls, areas: Iterable[Path]) -> GitIndex:
        files: set[Path] = set()
        for area in areas:
            files.update(_tracked_under(area))
        return cls(frozenset(files), frozenset(_ancestors(files)))


def _tracked_under(area: Path) -> list[Path]:
    if not area.is_dir() or not _inside_git_repo(area):
        return []
    try:
        out = command.run(
            ["git", "-C", str(area), "ls-files", "-z", "--cached"],
            cwd=area,
            env=os.environ,
            what="`git ls-files`",
        )
    except ToolMissing:
        raise ToolMissing(
            f"{area} is in a git repository but git is not on PATH: install git, which we need to "
            "leave tracked files alone"
        ) from None
    return [area / name for name in out.stdout.split("\0") if name]


def _inside_git_repo(path: Path) -> bool:
    return any((p / ".git").exists() for p in (path, *path.parents))


class Rule(enum.Enum):
    """Why a path may not be removed. The value is the message the user reads."""

    NOT_PLAIN = "not a plain absolute path"
    SHARED = (
        "cargo dir outside the workspace root, which other workspaces may share (one "
        "CARGO_TARGET_DIR, build.target-dir or build-dir for several): left alone; pass --shared "
        "to clean it too"
    )
    OUTSIDE = (
        "not in a folder perf-tasks cleans (cargo's target and build dirs, the configured outputs)"
    )
    UNTAGGED = "has no valid CACHEDIR.TAG, so it may not be cargo's: left alone"
    AREA_ITSELF = "is a folder perf-tasks cleans inside of, never removed itself"
    SYMLINKED = "reached through a symlink"
    CARGO_LOCK = "cargo lock file: never removed"
    KEPT = "kept by design"
    HOLDS_KEPT = "holds a cargo lock or CACHEDIR.TAG"
    TRACKED = "tracked by git"
    HOLDS_TRACKED = "holds files tracked by git"
    MOUNT_POINT = "is a mount point: it and what is mounted there stay"
    HOLDS_MOUNT = "holds a mount point"
    OTHER_REPO = "has its own .git: another repository, never ours"
    HOLDS_OTHER_REPO = "holds another repository"


# Rules about what a folder holds: the planner removes its other parts instead.
_HOLDS = frozenset(
    {Rule.HOLDS_KEPT, Rule.HOLDS_TRACKED, Rule.HOLDS_MOUNT, Rule.HOLDS_OTHER_REPO, Rule.AREA_ITSELF}
)
# Rules the user is not told about: our own files, kept on every run.
_SILENT = frozenset({Rule.KEPT, Rule.CARGO_LOCK})
# Rules that leave the run incomplete (exit 1): something the user asked to go stays.
_BLOCKING = frozenset({Rule.MOUNT_POINT})


@dataclass(frozen=True)
class Refusal:
    """A decision that `path` stays."""

    path: Path
    rule: Rule
    detail: str = ""

    @property
    def message(self) -> str:
        return f"{self.rule.value}{f' ({self.detail})' if self.detail else ''}"

    def as_skip(self) -> Skip:
        return Skip(self.path, self.message, blocking=self.rule in _BLOCKING)


@dataclass
class Guard:
    """What may be removed in one workspace: the one place that decides.

    Allowed are paths strictly inside an allowed folder: cargo's target and build dirs (when they
    carry cargo's CACHEDIR.TAG), the configured output folders (checked by `check_outputs`), and
    the quarantine folders of this tool that `quarantine.proven` accepts. Inside those, a path
    stays when it is reached through a symlink, is or holds a cargo lock, a CACHEDIR.TAG, a file
    git tracks, a mount point or another repository. Unless `shared`, nothing in a cargo dir
    outside the root goes: every mode asks here, so none can judge such a dir by its own rule.
    """

    workspace: Workspace
    outputs: tuple[Path, ...] = ()
    git: GitIndex = field(default_factory=GitIndex)
    # Paths that stay whatever the mode: cargo's locks and CACHEDIR.TAGs, our own quarantine.
    keep: frozenset[Path] = frozenset()
    mounts: frozenset[Path] = frozenset()
    repos: frozenset[Path] = frozenset()  # folders with their own `.git`, found while scanning
    quarantines: frozenset[Path] = frozenset()
    # Cargo dirs outside the root may be shared with other workspaces (however cargo is told:
    # CARGO_TARGET_DIR, build.target-dir in any parent's .cargo/config.toml, build-dir), whose
    # outputs are not ours to judge: they stay unless the user says --shared ([stale] shared).
    shared: bool = False
    _holding: dict[Path, Rule] = field(default_factory=dict)

    @classmethod
    def for_workspace(
        cls, ws: Workspace, settings: Settings | None = None, *, shared: bool | None = None
    ) -> Guard:
        """The guard of `ws`. Raises ConfigError when a configured output is not a safe place.
        `shared` (`--shared`; None: `[stale] shared`) lets cargo dirs outside the root be cleaned.
        """
        settings = settings or Settings()
        outputs = check_outputs(ws, settings)
        keep: set[Path] = set()
        for area in (ws.root, *ws.cargo_dirs):
            keep.add(area / TRASH_DIR)
        for cargo_dir in ws.cargo_dirs:
            keep.add(cargo_dir / CACHEDIR_TAG)
            keep.update(lock for profile in profile_dirs(cargo_dir) for lock in locks_of(profile))
        guard = cls(
            ws,
            outputs,
            GitIndex.load((ws.root, *ws.cargo_dirs)),
            frozenset(keep),
            shared=settings.stale.shared if shared is None else shared,
        )
        guard.refresh_mounts()
        return guard

    @property
    def left_alone(self) -> tuple[Path, ...]:
        """The cargo dirs outside the root that stay whole: all of them, unless `shared`."""
        if self.shared:
            return ()
        root = self.workspace.root
        return tuple(d for d in self.workspace.cargo_dirs if not d.is_relative_to(root))

    def leaves_alone(self, path: Path) -> Path | None:
        """The cargo dir outside the root that holds `path` and stays whole, if any."""
        return next((d for d in self.left_alone if path.is_relative_to(d)), None)

    @property
    def areas(self) -> tuple[Path, ...]:
        return (*self.workspace.cargo_dirs, *self.outputs, *self.quarantines)

    def refresh_mounts(self) -> None:
        """Read the mount table again (apply does, just before it moves anything)."""
        points = mounts.mount_points()
        if points is not None:
            self.mounts = mounts.mounts_within(points, (self.workspace.root, *self.areas))
        self._reindex()

    def with_repos(self, repos: Iterable[Path]) -> None:
        self.repos = self.repos | frozenset(repos)
        self._reindex()

    def with_quarantines(self, runs: Iterable[Path]) -> None:
        """Allow the contents of proven quarantines (`quarantine.find`); their markers stay."""
        runs = frozenset(runs)
        self.quarantines = self.quarantines | runs
        self.keep = self.keep | {run / MARKER for run in runs}
        self._reindex()

    def _reindex(self) -> None:
        # Lowest priority first: a folder holding both a tracked file and a mount says "mount".
        holding: dict[Path, Rule] = dict.fromkeys(_ancestors(self.keep), Rule.HOLDS_KEPT)
        holding.update(dict.fromkeys(self.git.folders, Rule.HOLDS_TRACKED))
        holding.update(dict.fromkeys(_ancestors(self.mounts), Rule.HOLDS_MOUNT))
        holding.update(dict.fromkeys(_ancestors(self.repos), Rule.HOLDS_OTHER_REPO))
        self._holding = holding

    def area_of(self, path: Path) -> Path | None:
        """The allowed folder `path` is in: the deepest one that holds it."""
        best: Path | None = None
        for area in self.areas:
            if path.is_relative_to(area) and (best is None or area.is_relative_to(best)):
                best = area
        return best

    def trash_home(self, path: Path) -> Path:
        """Where `path` is quarantined: the cargo dir it is in, else the workspace root."""
        for cargo_dir in self.workspace.cargo_dirs:
            if path.is_relative_to(cargo_dir):
                return cargo_dir
        return self.workspace.root

    def decide(self, path: Path, *, parent_is_real: bool = False) -> Refusal | None:
        """Why `path` must not be removed, or None when it may go.

        `parent_is_real` skips the symlink check of the parent, for a caller that has just listed
        that parent after checking it (`split`, walking down a deep tree).
        """

        def no(rule: Rule, detail: str = "") -> Refusal:
            return Refusal(path, rule, detail)

        if not path.is_absolute() or ".." in path.parts or os.path.normpath(path) != str(path):
            return no(Rule.NOT_PLAIN)
        area = self.area_of(path)
        if area is None:
            return no(Rule.OUTSIDE)
        shared_dir = self.leaves_alone(path)  # a quarantine in there too: another run's, maybe
        if shared_dir is not None:
            return no(Rule.SHARED, "" if path == shared_dir else f"in {shared_dir}")
        if area in self.workspace.cargo_dirs and not has_cachedir_tag(area):
            return no(Rule.UNTAGGED, str(area))
        if path == area and area not in self.outputs:
            return no(Rule.AREA_ITSELF)  # an output folder itself may go (clean.nuke); cargo's not
        if not parent_is_real and os.path.realpath(path.parent) != str(path.parent):
            return no(Rule.SYMLINKED)
        if path.name in LOCK_NAMES:
            return no(Rule.CARGO_LOCK)
        if path in self.keep:
            return no(Rule.KEPT)
        if path in self.mounts:
            return no(Rule.MOUNT_POINT)
        if path in self.repos:
            return no(Rule.OTHER_REPO)
        if path in self.git.files:
            return no(Rule.TRACKED)
        holding = self._holding.get(path)
        if holding is not None:
            return no(holding)
        return None

    def refuse(self, path: Path) -> str | None:
        """`decide`, as the message a user reads."""
        refusal = self.decide(path)
        return None if refusal is None else refusal.message

    def split(self, path: Path) -> tuple[list[Path], list[Skip]]:
        """The removable parts of `path`: itself, or the parts around what it holds that we keep.

        Skips are reported only where the user would care (tracked files, mounts, other repos);
        our own kept files (locks, tags, quarantine) are silent. Iterative: trees may be deep.
        """
        allowed: list[Path] = []
        skipped: list[Skip] = []
        stack = [(path, False)]
        while stack:
            current, parent_is_real = stack.pop()
            refusal = self.decide(current, parent_is_real=parent_is_real)
            if refusal is None:
                allowed.append(current)
                continue
            if refusal.rule not in _HOLDS or os.path.islink(current):
                if refusal.rule not in _SILENT:
                    skipped.append(refusal.as_skip())
                continue
            try:
                names = os.listdir(current)
            except OSError as exc:
                skipped.append(Skip(current, f"cannot list: {exc.strerror}", blocking=True))
                continue
            stack.extend((current / name, True) for name in sorted(names, reverse=True))
        return allowed, skipped

    def profile_of(self, path: Path) -> Path | None:
        """The cargo profile dir (one holding a build lock) that `path` is in, if any."""
        for parent in (path, *path.parents):
            if any((parent / name) in self.keep for name in LOCK_NAMES):
                return parent
        return None


class BusyProfiles:
    """The one rule for builds in progress: an item inside a profile dir that a cargo build holds
    waits for it, unless forced. Each profile is asked once; with `hold`, its locks are taken and
    kept (apply deletes under them), else only probed (the planner)."""

    def __init__(self, guard: Guard, *, hold: BuildLocks | None = None) -> None:
        self._guard = guard
        self._hold = hold
        self._busy: dict[Path, bool] = {}

    def skip_for(self, path: Path) -> Skip | None:
        """A skip when a cargo build holds the profile dir `path` is in; None when it may go."""
        profile = self._guard.profile_of(path)
        if profile is None:
            return None
        if profile not in self._busy:
            held = self._hold.try_hold(profile) if self._hold else not build_in_progress(profile)
            self._busy[profile] = not held
        if not self._busy[profile]:
            return None
        return Skip(
            path, f"a cargo build holds {profile.name}/: run again when it ends, or pass --force"
        )


def _ancestors(paths: Iterable[Path]) -> set[Path]:
    """Every folder above any of `paths`; each chain is walked only until it meets a known one."""
    seen: set[Path] = set()
    for path in paths:
        for parent in path.parents:
            if parent in seen:
                break
            seen.add(parent)
    return seen


def check_outputs(ws: Workspace, settings: Settings) -> tuple[Path, ...]:
    """The configured output folders, each checked to be a place we may clean inside.

    An output may never be the root or hold it (through a symlink too), nor be a file, nor hold
    `.git`, a `Cargo.toml`, or the sources or manifest of a workspace member. Raises ConfigError:
    this is a configuration mistake, refused before anything is scanned.
    """
    folders: list[Path] = []
    members = (*ws.manifests, *ws.sources)
    for name in settings.output_names():
        rel = settings.output_path(name)
        what = f"{settings.source}: outputs.{name} = {getattr(settings.outputs, name)!r}"
        path = ws.root / rel
        real = Path(os.path.realpath(path))
        problem = None
        if real == ws.root or ws.root.is_relative_to(real):
            problem = "names the workspace root or a folder that holds it"
        elif os.path.exists(real) and not os.path.isdir(real):
            problem = "is a file, not a folder"  # the root's Cargo.toml, perf-tasks.toml, notes
        elif ".git" in real.parts:
            problem = "is inside a .git folder"
        elif os.path.lexists(real / ".git"):
            problem = "holds .git: it is a repository, not an output"
        elif os.path.lexists(real / "Cargo.toml"):
            problem = "holds a Cargo.toml: it is a crate, not an output"
        else:
            held = next(
                (m for m in members if m.is_relative_to(path) or m.is_relative_to(real)), None
            )
            if held is not None:
                problem = f"holds {held}, a source or manifest of the workspace"
        if problem is not None:
            raise ConfigError(f"{what} {problem}: point it at a folder of generated files")
        folders.append(path)
    return tuple(folders)
