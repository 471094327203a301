"""The team's policy for a workspace: `perf-tasks.toml`, or `[tool.perf-tasks]` in `pyproject.toml`.

Every section is a frozen dataclass whose defaults are the team's current practice, so a workspace
without a settings file behaves exactly as documented in docs/configuration.md. Loading validates
strictly: an unknown key or a wrong type is one `ConfigError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from perf_tasks.cargo.messages import check_command
from perf_tasks.ci import workflows
from perf_tasks.errors import ConfigError
from perf_tasks.units import parse_size

SETTINGS_FILE = "perf-tasks.toml"
PYPROJECT_TABLE = ("tool", "perf-tasks")


@dataclass(frozen=True)
class Outputs:
    """Folders the workspace generates, by name, relative to the workspace root.

    `target` is not listed: cargo reports where its target and build dirs are.
    """

    output_scg: str = "output/scg"
    cache: str = "cache"
    artifacts: str = "artifacts"


@dataclass(frozen=True)
class Runs:
    """Run folders under `output/scg/` (cleanup_old_runs)."""

    output: str = "output_scg"  # a name from [outputs]
    keep_newest: int = 10
    keep_days: float = 14
    # A run touched this recently, or holding a marker, is still being written.
    active_minutes: float = 10
    markers: list[str] = field(default_factory=lambda: ["*.lock", "RUNNING"])


@dataclass(frozen=True)
class ArtifactRule:
    name: str
    globs: list[str]
    days: float


def _default_artifact_rules() -> list[ArtifactRule]:
    return [
        ArtifactRule("benchmark JSON", ["**/*bench*.json", "**/bench*/**/*.json"], 7),
        ArtifactRule("test reports", ["**/*junit*.xml", "**/test-report*/**", "**/*.xml"], 7),
        ArtifactRule("data artifacts", ["**/*"], 14),
    ]


@dataclass(frozen=True)
class Artifacts:
    """Retention under `artifacts/`: the first rule whose glob matches a file sets its age limit."""

    output: str = "artifacts"
    rules: list[ArtifactRule] = field(default_factory=_default_artifact_rules)


@dataclass(frozen=True)
class Clean:
    # What `clean.nuke` removes: `target` (cargo's target and build dirs) and names from [outputs].
    nuke: list[str] = field(default_factory=lambda: ["target", "output_scg", "cache", "artifacts"])


@dataclass(frozen=True)
class Budgets:
    target: int = 5 * 10**9  # bytes; written as "5 GB" in the file


def _default_stale_commands() -> list[list[str]]:
    return [["cargo", "build", "--workspace"], ["cargo", "test", "--workspace", "--no-run"]]


@dataclass(frozen=True)
class Stale:
    """The stale-unit sweep (docs/stale-sweep.md): what the team builds is what stays."""

    # The cargo commands whose units are kept; they must build on stable for any workspace.
    commands: list[list[str]] = field(default_factory=_default_stale_commands)
    incremental: bool = True  # also sweep incremental sessions no live unit uses
    incremental_keep: int = 1  # sessions kept per live unit, the nearest in time first
    shared: bool = False  # sweep a target dir outside the workspace root (other workspaces' units)


def _default_baseline_build() -> list[str]:
    return ["build", "--workspace"]


@dataclass(frozen=True)
class Baseline:
    """`invoke baseline` (docs/usage/baseline.md): what it times, and where it writes its record."""

    dir: str = "docs/performance"  # Baseline.md and baseline.json, relative to the workspace root
    build: list[str] = field(default_factory=_default_baseline_build)  # cargo args of the build
    touch: str = ""  # the source build.incremental touches; "" = the most depended-on crate root
    test_profile: str = "ci"  # nextest profile; ours (no retries, no fail-fast, JUnit) fills gaps
    runs: int = 3
    warmup: int = 0
    cold_runs: int = 1  # the cold build (--cold) is slow: once by default
    timeout: int = 3600  # seconds one run of a command may take before its tree is ended; 0: none


@dataclass(frozen=True)
class Ci:
    """`ci.init` (docs/usage/ci.md): what the workflows install, run and keep."""

    install: str = ""  # pip requirement of perf-tasks; "" = this version, "perf-tasks==X.Y.Z"
    nextest: str = workflows.NEXTEST_SPEC  # pip requirement of cargo-nextest
    python: str = "3.12"
    branches: list[str] = field(default_factory=lambda: ["main"])  # pushes here run ci.yml
    cron: str = "17 4 * * *"  # monitoring.yml's schedule (UTC)
    monitor_dir: str = "docs/performance/monitor"  # history.jsonl, trend.svg, report.md
    rust_paths: list[str] = field(default_factory=lambda: list(workflows.DEFAULT_RUST_PATHS))


class Gates:
    """`invoke gate` (docs/usage/gates.md): where the contract is, relative to the root."""

    contract: str = "benches/PERFORMANCE_CONTRACT.md"


@dataclass(frozen=True)
class Monitor:
    """`invoke monitor` (docs/usage/monitor.md): the daily job's history, chart and report."""

    dir: str = "docs/performance/monitor"  # history.jsonl, the chart and report.md
    keep_entries: int = 90  # the history keeps at most this many entries, the newest
    keep_days: float = 90  # and none older than this, counted from the run's entry
    chart: str = "trend.svg"  # the chart's file name in `dir`: .svg or .png
    clean_over_budget: bool = False  # run clean.target when the target dir is over its budget


@dataclass(frozen=True)
class Settings:
    outputs: Outputs = field(default_factory=Outputs)
    runs: Runs = field(default_factory=Runs)
    artifacts: Artifacts = field(default_factory=Artifacts)
    clean: Clean = field(default_factory=Clean)
    budgets: Budgets = field(default_factory=Budgets)
    stale: Stale = field(default_factory=Stale)
    baseline: Baseline = field(default_factory=Baseline)
    ci: Ci = field(default_factory=Ci)
    gates: Gates = field(default_factory=Gates)
    monitor: Monitor = field(default_factory=Monitor)
    # [profiles.<name>]: cargo profile keys `profiles.apply` may write (docs/usage/profiles.md).
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "defaults"  # where these came from, for messages

    def output_path(self, name: str) -> PurePosixPath:
        """The configured relative path of output `name` (not `target`), normalised."""
        return PurePosixPath(posixpath.normpath(getattr(self.outputs, name)))

    def output_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(Outputs))


# Fields whose TOML value is a human size string rather than an int.
_SIZE_FIELDS = {("budgets", "target")}


def load(root: Path) -> Settings:
    """Settings of the workspace at `root`: `perf-tasks.toml`, its pyproject table, or defaults."""
    toml_path = root / SETTINGS_FILE
    if _present(toml_path):
        return parse(_read_toml(toml_path), source=str(toml_path))
    pyproject = root / "pyproject.toml"
    if _present(pyproject):
        table = _pyproject_table(_read_toml(pyproject), source=str(pyproject))
        if table is not None:
            return parse(table, source=f"{pyproject} [tool.perf-tasks]")
    return Settings()


def _present(path: Path) -> bool:
    """Is there a settings file at `path`? Something there that is not a readable regular file (a
    folder, a pipe, a broken or looping link) is a ConfigError, never a reason to use defaults."""
    if path.is_file():
        return True
    if not os.path.lexists(path):
        return False
    raise ConfigError(
        f"{path} is not a regular file (a folder, a pipe, or a link to nothing): make it a TOML "
        "file, or remove it to use the defaults"
    )


def _pyproject_table(data: dict[str, Any], *, source: str) -> dict[str, Any] | None:
    """`[tool.perf-tasks]` of a parsed pyproject.toml, or None; any shape but a table is wrong."""
    table: Any = data
    where: list[str] = []
    for key in PYPROJECT_TABLE:
        if key not in table:
            return None
        table = table[key]
        where.append(key)
        if not isinstance(table, dict):
            raise ConfigError(
                f"{source}: {'.'.join(where)} must be a table, got {_kind(table)}: "
                f"write [{'.'.join(PYPROJECT_TABLE)}] with sections under it"
            )
    result: dict[str, Any] = table
    return result


def parse(data: dict[str, Any], *, source: str) -> Settings:
    """Validate a parsed TOML document against the schema. Pure: no I/O."""
    sections: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Settings) if f.name != "source"}
    for name, value in data.items():
        if name not in known:
            raise ConfigError(
                f"{source}: unknown section [{name}]; known: {', '.join(sorted(known))}"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{name}] must be a table, got {_kind(value)}")
        if name == "profiles":
            sections[name] = _profiles(value, source=source)
            continue
        sections[name] = _build(_SECTION_TYPES[name], value, source=source, where=name)
    settings = Settings(**sections, source=source)
    _check_consistency(settings)
    return settings


def _profiles(table: dict[str, Any], *, source: str) -> dict[str, dict[str, Any]]:
    """`[profiles.<name>]`: each a table of cargo profile keys, checked as cargo would."""
    from perf_tasks.profiles.model import check_profile

    out = {}
    for name, keys in table.items():
        if not isinstance(keys, dict):
            raise ConfigError(
                f"{source}: profiles.{name} must be a table of cargo profile keys, "
                f"got {_kind(keys)}"
            )
        out[name] = check_profile(name, keys, where=f"{source}: profiles.{name}")
    return out


def _check_consistency(settings: Settings) -> None:
    names = {f.name for f in dataclasses.fields(Outputs)}
    for key, name in (
        ("runs.output", settings.runs.output),
        ("artifacts.output", settings.artifacts.output),
    ):
        if name not in names:
            raise ConfigError(
                f"{settings.source}: {key} = {name!r} is not an output; use one of {sorted(names)}"
            )
    for name in settings.clean.nuke:
        if name != "target" and name not in names:
            raise ConfigError(
                f"{settings.source}: clean.nuke names {name!r}; "
                f"use 'target' or one of {sorted(names)}"
            )
    for f in dataclasses.fields(Outputs):
        check_relative(
            getattr(settings.outputs, f.name), what=f"outputs.{f.name}", source=settings.source
        )
    check_relative(settings.gates.contract, what="gates.contract", source=settings.source)
    check_relative(settings.monitor.dir, what="monitor.dir", source=settings.source)
    if not settings.monitor.chart.endswith((".svg", ".png")) or "/" in settings.monitor.chart:
        raise ConfigError(
            f"{settings.source}: monitor.chart = {settings.monitor.chart!r}: name a file in "
            "monitor.dir ending in .svg or .png, such as 'trend.svg'"
        )
    if settings.monitor.keep_entries < 1:
        raise ConfigError(f"{settings.source}: monitor.keep_entries must be at least 1")
    for i, argv in enumerate(settings.stale.commands):
        check_command(argv, where=f"{settings.source}: stale.commands[{i}]")
    from perf_tasks.ci.options import check_settings

    check_settings(settings.ci, source=settings.source)


def check_relative(value: str, *, what: str, source: str) -> PurePosixPath:
    """A configured path names a folder strictly inside the workspace root, once normalised.

    `"./"`, `"a/.."` and `"."` all name the root itself; `"~"` is not expanded; `.git` is git's.
    The file system checks (symlinks, sources, manifests) come with the workspace: see
    `clean.safety.check_outputs`.
    """
    normal = posixpath.normpath(value) if value else ""
    path = PurePosixPath(normal)
    problem = None
    if "\0" in value:
        problem = "holds a NUL byte"
    elif not value.strip() or normal == ".":
        problem = "names the workspace root itself"
    elif path.is_absolute() or ".." in path.parts:
        problem = "leaves the workspace root ('..' or absolute)"
    elif path.parts[0].startswith("~"):
        problem = "starts with '~', which is not expanded here"
    elif ".git" in path.parts:
        problem = "is inside .git, which is git's"
    if problem is not None:
        raise ConfigError(
            f"{source}: {what} = {value!r} {problem}: name a folder inside the workspace root, "
            "such as 'output/scg'"
        )
    return path


_SECTION_TYPES: dict[str, type] = {
    "outputs": Outputs,
    "runs": Runs,
    "artifacts": Artifacts,
    "clean": Clean,
    "budgets": Budgets,
    "stale": Stale,
    "baseline": Baseline,
    "ci": Ci,
    "gates": Gates,
    "monitor": Monitor,
}


def _build(cls: type, table: dict[str, Any], *, source: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(
                f"{source}: unknown key {where}.{key}; known keys of [{where}]: "
                f"{', '.join(sorted(fields))}"
            )
        kwargs[key] = _coerce(hints[key], value, source=source, where=f"{where}.{key}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field of a nested table is missing
        raise ConfigError(f"{source}: [{where}] {exc}") from None


def _coerce(hint: Any, value: Any, *, source: str, where: str) -> Any:
    head = where.split(".")
    if (head[0], head[-1]) in _SIZE_FIELDS:
        try:
            return parse_size(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {where}: {exc}") from None
    origin = typing.get_origin(hint)
    if origin is list:
        (inner,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {where} must be a list, got {_kind(value)}")
        return [
            _coerce(inner, v, source=source, where=f"{where}[{i}]") for i, v in enumerate(value)
        ]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(options[0], value, source=source, where=where)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {where} must be a table, got {_kind(value)}")
        return _build(hint, value, source=source, where=where)
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise ConfigError(f"{source}: {where} must be a non-negative number, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(f"{source}: {where} must be a non-negative integer, got {value!r}")
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{source}: {where} must be true or false, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{source}: {where} must be a string, got {_kind(value)}")
    raise AssertionError(f"no coercion for {hint!r}")


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _read_toml(path: Path) -> dict[str, Any]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    from perf_tasks.fs.regular import read_text

    try:
        doc = tomlkit.parse(read_text(path))
    except ParseError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    data: dict[str, Any] = doc.unwrap()
    return data
