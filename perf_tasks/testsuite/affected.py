"""`tests.affected`: the workspace packages whose tests a change since a revision can affect.

A changed file belongs to the package whose folder holds it, the longest match winning (a root
package's folder holds its members' folders). Every package that depends on a changed one, through
normal, build or dev-dependencies and transitively (as nextest's `rdeps()` does), is affected too:
a crate's tests may reach a changed crate only through `[dev-dependencies]`. Some files mean
everything: cargo's lock file, the workspace manifest, cargo's and nextest's config, the toolchain
file; so does a changed file in no package, unless `[affected] ignore` (documentation, by default)
matches it.

The changes are what `git` sees since the merge base of the revision and HEAD: commits, staged and
unstaged edits, and untracked files (those git does not ignore), outside cargo's target and build
dirs. The packages come from `cargo metadata --no-deps`: the workspace members, and each one's path
dependencies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from perf_tasks import command
from perf_tasks.ab import worktree
from perf_tasks.context import RunContext
from perf_tasks.errors import CommandFailed, UsageError, WorkspaceError
from perf_tasks.fs.glob import glob_match
from perf_tasks.measure import nextest_runs
from perf_tasks.measure.shell import shell_line

# Files of the root that change every package's build or tests, and why.
EVERYTHING = {
    "Cargo.lock": "the locked versions of every crate's dependencies",
    "Cargo.toml": "the workspace's manifest",
    ".config/nextest.toml": "nextest's configuration",
    "rust-toolchain": "the toolchain",
    "rust-toolchain.toml": "the toolchain",
}
CARGO_CONFIG_DIR = ".cargo"  # at the root or above it: cargo's configuration, read by every build
CARGO_CONFIG_FILES = ("config", "config.toml")
TOOLCHAIN_FILES = ("rust-toolchain", "rust-toolchain.toml")  # rustup looks up the folders too
PROFILE = "perf-tasks-affected"  # the nextest profile of --run, in our tool config
TOOL_CONFIG_FILE = Path("perf-tasks") / "nextest-affected.toml"  # inside the target dir
SHOWN_FILES = 3  # a package's changed files a line names
DEP_KINDS = {None: "normal", "normal": "normal", "build": "build", "dev": "dev"}


@dataclass(frozen=True)
class Request:
    base: str  # the revision the change is measured from: its merge base with HEAD
    run: bool = False  # run the affected tests with nextest
    dry_run: bool = False  # with run: show the command, run nothing

    def __post_init__(self) -> None:
        if not self.base or not self.base.strip():
            raise UsageError(
                "tests.affected needs --base REF: the revision to compare with (e.g. origin/main)"
            )
        if self.dry_run and not self.run:
            raise UsageError("--dry-run shows what --run would run: pass both, or neither")


@dataclass(frozen=True)
class Package:
    name: str
    folder: PurePosixPath  # relative to the root; "." for a package at the root

    def holds(self, path: PurePosixPath) -> bool:
        return self.folder == PurePosixPath(".") or self.folder in (path, *path.parents)


@dataclass(frozen=True)
class Dependency:
    dependent: str
    dependency: str
    kind: str  # "normal", "build" or "dev"


@dataclass(frozen=True)
class Graph:
    packages: tuple[Package, ...]  # the workspace members, by name
    edges: tuple[Dependency, ...]  # between members only


@dataclass(frozen=True)
class Selected:
    name: str
    files: tuple[str, ...] = ()  # its own changed files, relative to the root
    via: Dependency | None = None  # how it depends on a changed package, when it has no change

    @property
    def reason(self) -> str:
        if self.files:
            shown = ", ".join(self.files[:SHOWN_FILES])
            more = len(self.files) - SHOWN_FILES
            return f"changed: {shown}" + (f" and {more} more" if more > 0 else "")
        assert self.via is not None
        kind = "" if self.via.kind == "normal" else f" ({self.via.kind}-dependency)"
        return f"depends on {self.via.dependency}{kind}"

    def as_json(self) -> dict[str, Any]:
        via = self.via
        return {
            "name": self.name,
            "reason": self.reason,
            "changed_files": list(self.files),
            "via": None if via is None else {"dependency": via.dependency, "kind": via.kind},
        }


@dataclass(frozen=True)
class Selection:
    """What the changes select: some packages, or everything (with the files that say so)."""

    packages: tuple[Selected, ...]  # changed ones first, then their dependents; by name in each
    everything: tuple[str, ...]  # why every package is affected; empty when only some are
    ignored: tuple[str, ...]  # changed files in no package that [affected] ignore matches
    all_packages: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.all_packages if self.everything else tuple(p.name for p in self.packages)

    @property
    def filterset(self) -> str:
        """nextest's filterset of the affected tests."""
        if self.everything:
            return "all()"
        roots = sorted(p.name for p in self.packages if p.files)
        return " | ".join(f"rdeps(={name})" for name in roots) or "none()"

    @property
    def package_args(self) -> tuple[str, ...]:
        """cargo's and nextest's package selection: `-p NAME`..., or `--workspace`."""
        if self.everything:
            return ("--workspace",)
        return tuple(arg for name in sorted(self.names) for arg in ("-p", name))


def patched(manifest_text: str, manifest_dir: Path) -> dict[str, str]:
    """`[patch.<source>] name = { path = "…" }` of the root manifest: a dependency on `name`,
    from any source, is the crate at that path (real path -> name)."""
    from perf_tasks import toml_data

    try:
        data = toml_data.loads(manifest_text)
    except ValueError:
        return {}  # cargo metadata read it: this cannot be; nothing is patched, then
    out: dict[str, str] = {}
    sources = data.get("patch")
    for table in sources.values() if isinstance(sources, dict) else ():
        for name, spec in table.items() if isinstance(table, dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                renamed = spec.get("package")
                key = renamed if isinstance(renamed, str) else str(name)
                out[os.path.realpath(manifest_dir / spec["path"])] = key
    return out


def graph_of(
    metadata: Mapping[str, Any], root: Path, *, patches: Mapping[str, str] | None = None
) -> Graph:
    """The members of `cargo metadata --no-deps` and the dependencies between them: path
    dependencies, and dependencies by name on a member the root manifest's `[patch]` points at
    (`patches`: real path -> name)."""
    members = set(metadata.get("workspace_members") or ())
    real_root = Path(os.path.realpath(root))
    packages: list[Package] = []
    by_dir: dict[str, str] = {}
    for pkg in metadata.get("packages") or ():
        if pkg.get("id") not in members:
            continue
        folder = Path(os.path.realpath(Path(pkg["manifest_path"]).parent))
        try:
            rel = PurePosixPath(folder.relative_to(real_root).as_posix())
        except ValueError:  # a member outside the root: no change under the root is in it
            continue
        packages.append(Package(pkg["name"], rel))
        by_dir[str(folder)] = pkg["name"]
    # A `[patch]` that points at a member makes every dependency on that name one on the member.
    patched_members = {
        name: by_dir[folder] for folder, name in (patches or {}).items() if folder in by_dir
    }
    edges = set()
    for pkg in metadata.get("packages") or ():
        if pkg.get("id") not in members:
            continue
        for dep in pkg.get("dependencies") or ():
            path = dep.get("path")
            target = (
                by_dir.get(os.path.realpath(path)) if path else patched_members.get(dep["name"])
            )
            if target is not None and target != pkg["name"]:
                edges.add(Dependency(pkg["name"], target, DEP_KINDS.get(dep.get("kind"), "normal")))
    order = {"normal": 0, "build": 1, "dev": 2}
    return Graph(
        tuple(sorted(packages, key=lambda p: p.name)),
        tuple(sorted(edges, key=lambda e: (e.dependent, e.dependency, order[e.kind]))),
    )


def _root_patches(metadata: Mapping[str, Any]) -> dict[str, str]:
    from perf_tasks.fs.guarded import text_of

    root = metadata.get("workspace_root")
    if not isinstance(root, str):
        return {}
    manifest = Path(root) / "Cargo.toml"
    return patched(text_of(manifest, shown=str(manifest), bom=True), manifest.parent)


def owner(packages: Sequence[Package], path: PurePosixPath) -> Package | None:
    """The package whose folder holds `path`: the longest such folder."""
    holding = [p for p in packages if p.holds(path)]
    if not holding:
        return None
    return max(holding, key=lambda p: 0 if p.folder == PurePosixPath(".") else len(p.folder.parts))


def select(
    graph: Graph, files: Sequence[str], *, outside: Sequence[str] = (), ignore: Sequence[str] = ()
) -> Selection:
    """The packages `files` (relative to the root) affect; `outside`: cargo's config and toolchain
    files above the root that changed."""
    everything: list[str] = []
    ignored: list[str] = []
    changed: dict[str, list[str]] = {}
    for name in outside:
        above = (
            "the toolchain"
            if PurePosixPath(name).name in TOOLCHAIN_FILES
            else "cargo's configuration"
        )
        everything.append(f"{name}: {above}, above the workspace root")
    for name in files:
        path = PurePosixPath(name)
        why = _everything_reason(path)
        if why is not None:
            everything.append(f"{name}: {why}")
            continue
        pkg = owner(graph.packages, path)
        if pkg is not None:
            changed.setdefault(pkg.name, []).append(name)
        elif any(glob_match(pattern, name) for pattern in ignore):
            ignored.append(name)
        else:
            everything.append(f"{name}: in no package, and no [affected] ignore glob matches it")
    selected = [Selected(name, tuple(sorted(found))) for name, found in sorted(changed.items())]
    selected += _dependents(graph, set(changed))
    return Selection(
        tuple(selected),
        tuple(everything),
        tuple(sorted(ignored)),
        tuple(p.name for p in graph.packages),
    )


def _dependents(graph: Graph, changed: set[str]) -> list[Selected]:
    """Every package that reaches a changed one through dependencies, breadth first: each with the
    first dependency on the way."""
    reached = set(changed)
    found: list[Selected] = []
    frontier = sorted(changed)
    while frontier:
        step: dict[str, Dependency] = {}
        for edge in graph.edges:
            if edge.dependency in frontier and edge.dependent not in reached:
                step.setdefault(edge.dependent, edge)
        found += [Selected(name, via=step[name]) for name in sorted(step)]
        reached |= set(step)
        frontier = sorted(step)
    return found


def _everything_reason(path: PurePosixPath) -> str | None:
    if str(path) in EVERYTHING:
        return EVERYTHING[str(path)]
    if path.parts[0] == CARGO_CONFIG_DIR:
        return "cargo's configuration"
    return None


def _is_cargo_config(path: PurePosixPath) -> bool:
    return path.parent.name == CARGO_CONFIG_DIR and path.name in CARGO_CONFIG_FILES


# ------------------------------------------------------------------------------ what git says


@dataclass(frozen=True)
class Changes:
    ref: str
    commit: str  # the revision's commit
    merge_base: str  # where the changes are counted from
    files: tuple[str, ...]  # changed files under the root, relative to it
    outside: tuple[str, ...]  # cargo's config and toolchain files above the root that changed


def changes_since(
    root: Path, ref: str, *, env: Mapping[str, str], skip: Sequence[Path] = ()
) -> Changes:
    """Files changed since the merge base of `ref` and HEAD: committed, staged, unstaged, and
    untracked but not ignored; none under `skip` (cargo's target and build dirs)."""
    revision = worktree.resolve(root, ref, env=env)
    top = worktree.toplevel(root, env=env)
    try:
        base = command.run(
            ["git", "merge-base", revision.commit, "HEAD"], cwd=top, env=env, what="git merge-base"
        ).stdout.strip()
    except CommandFailed:
        raise UsageError(
            f"{ref!r} and HEAD have no commit in common: name a revision of this branch's "
            "history (in a shallow clone, fetch more of it first: git fetch --unshallow)"
        ) from None
    diffed = _git(top, env, "diff", "--name-only", "--no-renames", "-z", base, "--")
    # `literal`: a target dir's name is a name, never a glob.
    excludes = [f":(exclude,top,literal){rel}" for rel in _inside(skip, top)]
    untracked = _git(top, env, "ls-files", "--others", "--exclude-standard", "-z", "--", *excludes)
    paths = {p for p in (diffed + untracked).split("\0") if p}
    real_top = Path(os.path.realpath(top))
    real_root = Path(os.path.realpath(root))
    prefix = "" if real_root == real_top else real_root.relative_to(real_top).as_posix() + "/"
    files, outside = [], []
    skipped = [Path(os.path.realpath(s)) for s in skip]
    for rel in sorted(paths):
        full = real_top / rel
        if any(full == s or s in full.parents for s in skipped):
            continue
        if not rel.startswith(prefix):
            # Above the root, only cargo's config and rustup's toolchain file in a folder
            # holding the root change its builds: both are looked for up the folders.
            if (
                _is_cargo_config(PurePosixPath(rel)) and full.parent.parent in real_root.parents
            ) or (full.name in TOOLCHAIN_FILES and full.parent in real_root.parents):
                outside.append(rel)
            continue
        files.append(rel[len(prefix) :])
    return Changes(ref, revision.commit, base, tuple(files), tuple(outside))


def _inside(paths: Sequence[Path], top: Path) -> list[str]:
    real_top = Path(os.path.realpath(top))
    out = []
    for path in paths:
        try:
            out.append(Path(os.path.realpath(path)).relative_to(real_top).as_posix())
        except ValueError:
            continue
    return [rel for rel in out if rel != "."]


def _git(top: Path, env: Mapping[str, str], *args: str) -> str:
    argv = ["git", "-c", "core.quotePath=false", *args]
    try:
        return command.run(argv, cwd=top, env=env, what=f"git {args[0]}").stdout
    except CommandFailed as exc:
        raise WorkspaceError(f"cannot list the changes since the base: {exc}") from None


# ------------------------------------------------------------------------------ the entry point


@dataclass(frozen=True)
class Ran:
    argv: tuple[str, ...]
    exit_code: int
    wall_s: float


@dataclass(frozen=True)
class Affected:
    root: Path
    changes: Changes
    selection: Selection
    command: tuple[str, ...] | None  # what --run runs (or would, with --dry-run); None: nothing
    request: Request
    ran: Ran | None = None

    @property
    def exit_code(self) -> int:
        return self.ran.exit_code if self.ran is not None else 0

    def as_json(self) -> dict[str, Any]:
        s = self.selection
        return {
            "root": str(self.root),
            "base": {
                "ref": self.changes.ref,
                "commit": self.changes.commit,
                "merge_base": self.changes.merge_base,
            },
            "changed_files": list(self.changes.files),
            "everything": bool(s.everything),
            "everything_because": list(s.everything),
            "ignored_files": list(s.ignored),
            "packages": list(s.names),
            "reasons": [p.as_json() for p in s.packages],
            "filterset": s.filterset,
            "package_args": list(s.package_args),
            "command": None if self.command is None else shell_line(self.command, self.root),
            "dry_run": self.request.dry_run,
            "ran": None
            if self.ran is None
            else {"exit_code": self.ran.exit_code, "wall_s": round(self.ran.wall_s, 3)},
        }


def affected(ctx: RunContext, request: Request, *, stream_fd: int | None = None) -> Affected:
    """The packages the changes since `request.base` affect; with `run`, their tests run by
    nextest (its output to `stream_fd`)."""
    inspection = ctx.inspection
    ws = inspection.workspace
    changes = changes_since(
        ctx.root, request.base, env=inspection.env, skip=(ws.target_dir, ws.build_dir)
    )
    graph = graph_of(inspection.metadata, ctx.root, patches=_root_patches(inspection.metadata))
    selection = select(
        graph, changes.files, outside=changes.outside, ignore=ctx.settings.affected.ignore
    )
    tool_config = ws.target_dir / TOOL_CONFIG_FILE
    argv = None
    if request.run and selection.names:
        # The tool's own run: pinned flags (no retry hides a failure, no fail-fast hides the
        # rest), our profile over the workspace's default one.
        argv = nextest_runs.argv(
            inspection.nextest_program,
            "run",
            profile=PROFILE,
            tool_config=tool_config,
            args=(*selection.package_args, "-E", selection.filterset),
        )
    result = Affected(ctx.root, changes, selection, argv, request)
    if argv is None or request.dry_run:
        return result
    if inspection.nextest is None:
        from perf_tasks.errors import ToolMissing

        raise ToolMissing(
            "cargo-nextest is not installed: --run runs the affected tests with it "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    from perf_tasks.fs.atomic import write_atomic
    from perf_tasks.measure.timing import run_once
    from perf_tasks.runlock import run_lock

    with run_lock(ctx.root):  # no clean deletes the tests' build under them
        tool_config.parent.mkdir(parents=True, exist_ok=True)
        store = str(ws.target_dir / "nextest")
        write_atomic(tool_config, nextest_runs.tool_config(PROFILE, store_dir=store))
        done = run_once(argv, cwd=ctx.root, env=inspection.env, stream_fd=stream_fd, sample=False)
    return Affected(
        ctx.root,
        changes,
        selection,
        argv,
        request,
        Ran(argv, done.exit_code, done.wall_s),
    )
