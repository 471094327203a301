"""Everything `doctor` looks at, gathered once and handed to the checks as plain values.

By default nothing is built or run but what the stale planner's dry run runs (its cargo probe never
compiles) and `cargo metadata`: the manifests, every cargo config file cargo reads (as
`profiles.show` resolves them), nextest's config, the workflows and scripts, the target dir (the
planner's dry run and the scanner), the last baseline record and the monitor's history. A fact that
cannot be read is kept as a problem (a line saying why), never guessed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perf_tasks.context import RunContext
from perf_tasks.errors import PerfTasksError, WorkspaceError
from perf_tasks.paths import relative

if TYPE_CHECKING:
    from perf_tasks.measure.schema import Record
    from perf_tasks.monitor.history import Entry
    from perf_tasks.profiles.resolve import Resolved
    from perf_tasks.settings import Settings

# The stale planner's dry run, as clean.target --force --dry-run --json would print it: what
# every stale unit and every unused dir of the target dir weigh. Given by the task (only tasks/
# import clean/).
Survey = Callable[[], Mapping[str, Any]]

# What clean.target removes as whole dirs that no configured command uses.
UNUSED_CATEGORIES = ("profile", "doc", "cargo-output", "nextest")
STALE_CATEGORIES = ("stale", "incremental")

# Text files that may run tests with options: scripts and task runners at the root.
SCRIPT_DIRS = ("scripts",)
ROOT_SCRIPTS = ("Makefile", "justfile", "Justfile", "noxfile.py", "tasks.py", "build.sh")
MAX_SCRIPTS = 500


@dataclass(frozen=True)
class TextFile:
    shown: str  # relative to the root when inside it, as messages show it
    text: str
    data: Mapping[str, Any] | None = None  # parsed, for TOML


@dataclass(frozen=True)
class TargetSurvey:
    """The target (and build) dir as the stale planner's dry run sizes it."""

    areas: tuple[str, ...]
    bytes: int
    budget: int
    by_category: Mapping[str, int]  # stale, incremental, profile, doc, ...: bytes it would free
    unused: tuple[tuple[str, str], ...]  # the unused whole dirs: path, reason
    stale_status: str  # "swept", "not-up-to-date", "busy", "off", ...
    stale_detail: str = ""

    @property
    def over(self) -> bool:
        return self.bytes > self.budget


@dataclass(frozen=True)
class Facts:
    root: Path
    env: Mapping[str, str]
    settings: Settings
    cargo_configs: tuple[TextFile, ...] = ()  # lowest priority first
    profiles: Resolved | None = None
    nextest: TextFile | None = None
    workflows: tuple[TextFile, ...] = ()
    scripts: tuple[TextFile, ...] = ()
    manifest: TextFile | None = None  # the workspace root's Cargo.toml
    test_targets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # package -> tests
    target_dir: Path | None = None
    build_dir: Path | None = None
    # profile dir (relative, "target/debug") -> part ("incremental", "deps") -> bytes
    profile_parts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    free_bytes: int | None = None  # free space on the target dir's file system
    survey: TargetSurvey | None = None
    record: Record | None = None
    record_path: str = ""
    history: tuple[Entry, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)  # fact -> why it is missing
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def shown(self, path: Path) -> str:
        return relative(path, self.root)


def _toml(path: Path, shown: str) -> TextFile:
    from perf_tasks import toml_data
    from perf_tasks.fs.guarded import text_of

    text = text_of(path, shown=shown, bom=True)  # cargo accepts a BOM: it is left out
    return TextFile(shown, text, toml_data.parse(text, shown=shown))


def _text(path: Path, shown: str) -> TextFile | None:
    from perf_tasks.fs.regular import read_text

    try:
        return TextFile(shown, read_text(path, limit=4 * 2**20))
    except (OSError, ValueError):  # not a regular file, too large, not UTF-8: not a script
        return None


def gather(context: RunContext, *, survey: Survey | None) -> Facts:
    """Read every fact; what cannot be read goes into `problems` with what to run to get it."""
    from perf_tasks.profiles import resolve
    from perf_tasks.profiles.apply import check_is_workspace_root

    root, env = context.root, context.env
    problems: dict[str, str] = {}
    settings = context.settings
    if not (root / "Cargo.toml").is_file():
        raise WorkspaceError(f"no Cargo.toml in {root}: pass --root with a Rust workspace")
    check_is_workspace_root(root, env=env)  # a member's profiles and config are not the build's
    configs = tuple(
        f
        for p in resolve.config_files(root, env)
        for f in _with_includes(p, _config_shown(p, root, env), root)
    )
    profiles = resolve.resolve(root, env=env)
    nextest_path = root / ".config" / "nextest.toml"
    # exists(), not is_file(): a folder or a FIFO there goes to the reader, which says so
    nextest = _toml(nextest_path, ".config/nextest.toml") if nextest_path.exists() else None
    inspection = context.inspection
    ws = inspection.workspace
    target_survey = _survey(survey, problems)
    free = _free(ws.target_dir)
    facts = Facts(
        root=root,
        env=env,
        settings=settings,
        cargo_configs=configs,
        profiles=profiles,
        nextest=nextest,
        workflows=_workflows(root),
        scripts=_scripts(root),
        manifest=_toml(root / "Cargo.toml", "Cargo.toml"),
        test_targets=test_targets(inspection.metadata),
        target_dir=ws.target_dir,
        build_dir=ws.build_dir,
        # Only the checks of a tight disk need them: no second walk of a large target dir else.
        profile_parts=(
            _profile_parts(root, ws.cargo_areas)
            if tight(target_survey, free, settings.budgets.target)
            else {}
        ),
        free_bytes=free,
        survey=target_survey,
        problems=problems,
    )
    return _with_record(facts, problems)


MAX_INCLUDES = 32


def _with_includes(path: Path, shown: str, root: Path) -> list[TextFile]:
    """A cargo config file and the files its `include` names (a path, a list of paths, or
    tables with `path` and `optional`; relative to the file's folder), included first as cargo
    merges them beneath it. A missing file is left out: cargo says so when it builds."""
    found: list[TextFile] = []
    pending = [(path, shown)]
    seen: set[Path] = set()
    while pending and len(seen) < MAX_INCLUDES:
        current, name = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        config = _toml(current, name)
        found.insert(0, config)
        for target in _includes((config.data or {}).get("include")):
            included = current.parent / target
            if included.is_file():
                pending.append((included, relative(included, root)))
    return found


def _includes(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    paths = []
    for item in items:
        target = item.get("path") if isinstance(item, Mapping) else item
        if isinstance(target, str) and target:
            paths.append(target)
    return paths


def _config_shown(path: Path, root: Path, env: Mapping[str, str]) -> str:
    home = env.get("CARGO_HOME")
    if home and path.parent == Path(home):
        return f"$CARGO_HOME/{path.name}"
    return relative(path, root)


def _workflows(root: Path) -> tuple[TextFile, ...]:
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return ()
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yml", ".yaml") and path.is_file():
            text = _text(path, relative(path, root))
            if text is not None:
                found.append(text)
    return tuple(found)


def _scripts(root: Path) -> tuple[TextFile, ...]:
    paths = [root / name for name in ROOT_SCRIPTS if (root / name).is_file()]
    for name in SCRIPT_DIRS:
        folder = root / name
        if folder.is_dir() and not folder.is_symlink():
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                paths += [Path(dirpath, f) for f in sorted(filenames)]
                if len(paths) > MAX_SCRIPTS:
                    break
    found = (_text(p, relative(p, root)) for p in paths[:MAX_SCRIPTS] if p.is_file())
    return tuple(f for f in found if f is not None)


def test_targets(metadata: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each workspace member's integration test targets (`tests/*.rs`, `[[test]]`): each is a
    binary of its own, linked on its own."""
    members = set(metadata.get("workspace_members") or ())
    found: dict[str, tuple[str, ...]] = {}
    for package in metadata.get("packages") or ():
        if members and package.get("id") not in members:
            continue
        tests = [
            str(t.get("name"))
            for t in package.get("targets") or ()
            if "test" in (t.get("kind") or ())
        ]
        if tests:
            found[str(package.get("name"))] = tuple(sorted(tests))
    return found


PARTS = ("incremental", "deps")
# The disk is "tight" when the target dir holds this share of its budget, or the disk has less
# free space than the budget.
TIGHT_SHARE = 0.8


def tight(survey: TargetSurvey | None, free: int | None, budget: int) -> bool:
    if survey is not None and survey.bytes >= TIGHT_SHARE * survey.budget:
        return True
    return free is not None and free < budget


def _profile_parts(root: Path, areas: tuple[Path, ...]) -> dict[str, dict[str, int]]:
    """`incremental/` and `deps/` of each dev profile dir (`debug/`, `<triple>/debug/`), sized by
    the scanner in one pass."""
    from perf_tasks.cargo.dirs import profile_dirs
    from perf_tasks.fs.scan import scan

    wanted = [
        p / part
        for area in areas
        if area.is_dir()
        for p in profile_dirs(area)
        if p.name == "debug"
        for part in PARTS
    ]
    wanted = [p for p in wanted if p.is_dir()]
    if not wanted:
        return {}
    sizes = scan(wanted)
    found: dict[str, dict[str, int]] = {}
    for path in wanted:
        found.setdefault(relative(path.parent, root), {})[path.name] = sizes.of(path).bytes
    return found


def _free(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def _survey(survey: Survey | None, problems: dict[str, str]) -> TargetSurvey | None:
    if survey is None:
        problems["survey"] = "the target dir was not surveyed"
        return None
    try:
        report = survey()
    except PerfTasksError as exc:  # a build in progress, a shared dir: said, never guessed
        problems["survey"] = f"the stale planner's dry run failed: {exc}"
        return None
    return survey_of(report)


def survey_of(report: Mapping[str, Any]) -> TargetSurvey:
    """The dry run's JSON document (clean's `report_json`) as the facts the checks use."""
    extra = dict(report)
    budget = dict(extra.get("budget") or {})
    stale = dict(extra.get("stale") or {})
    totals = dict(report.get("totals") or {})
    by_category = {
        str(k): int(v.get("freed_bytes", 0))
        for k, v in dict(totals.get("by_category") or {}).items()
    }
    unused = tuple(
        (str(i.get("path")), str(i.get("reason")))
        for i in report.get("items") or ()
        if i.get("category") in UNUSED_CATEGORIES
    )
    return TargetSurvey(
        areas=tuple(str(a["path"]) for a in report.get("areas") or ()),
        bytes=int(budget.get("before_bytes", 0)),
        budget=int(budget.get("budget_bytes", 0)),
        by_category=by_category,
        unused=unused,
        stale_status=str(stale.get("status", "")),
        stale_detail=str(stale.get("detail", "")),
    )


def _with_record(facts: Facts, problems: dict[str, str]) -> Facts:
    """The last baseline record and the monitor's history, when there are any."""
    import dataclasses

    from perf_tasks.measure.commands import JSON_FILE
    from perf_tasks.measure.record import load
    from perf_tasks.monitor import history

    settings = facts.settings
    path = facts.root / settings.baseline.dir / JSON_FILE
    record = None
    if path.exists():
        try:
            record = load(path, program="perf-tasks")
        except PerfTasksError as exc:
            problems["record"] = str(exc)
    else:
        problems["record"] = f"no baseline record at {relative(path, facts.root)}"
    history_path = facts.root / settings.monitor.dir / history.HISTORY_FILE
    entries: list[Entry] = []
    try:
        entries = history.read(history_path)
    except PerfTasksError as exc:
        problems["history"] = str(exc)
    return dataclasses.replace(
        facts,
        record=record,
        record_path=relative(path, facts.root),
        history=tuple(entries),
        problems=problems,
    )
