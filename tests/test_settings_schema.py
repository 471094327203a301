"""The settings schema, table-driven: every documented key parses a good value, and every wrong
value of each (type, empty, NUL, control character, out of range, a path of the wrong kind) is one
ConfigError line naming the file and the key, through `parse`, `load` and the real CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from helpers import one_line_error, perf, tiny_workspace, write

from perf_tasks import settings
from perf_tasks.errors import ConfigError
from perf_tasks.settings import (
    Argv,
    Boolean,
    Choice,
    FileName,
    Integer,
    Kind,
    ListOf,
    Number,
    RelativePath,
    Settings,
    Size,
    Tables,
    Text,
    parse,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
SOURCE = "perf-tasks.toml"
ALL_KEYS = [name for name, _f, _k in settings.schema()]

# A good value of every key, other than its default, and what it reads as.
GOOD: dict[str, tuple[Any, Any]] = {
    "outputs.output_scg": ("out/runs", "out/runs"),
    "outputs.cache": ("./build-cache/", "./build-cache/"),
    "outputs.artifacts": ("keep/artifacts", "keep/artifacts"),
    "runs.output": ("cache", "cache"),
    "runs.keep_newest": (0, 0),
    "runs.keep_days": (2.5, 2.5),
    "runs.active_minutes": (0, 0.0),
    "runs.markers": (["*.pid"], ("*.pid",)),
    "artifacts.output": ("output_scg", "output_scg"),
    "artifacts.rules": (
        [{"name": "logs", "globs": ["**/*.log"], "days": 3}],
        (settings.ArtifactRule("logs", ("**/*.log",), 3.0),),
    ),
    "clean.nuke": (["target"], ("target",)),
    "budgets.target": ("800 MiB", 800 * 2**20),
    "stale.commands": ([["cargo", "check", "-p", "a"]], (("cargo", "check", "-p", "a"),)),
    "stale.incremental": (False, False),
    "stale.incremental_keep": (0, 0),
    "stale.shared": (True, True),
    "baseline.dir": ("perf", "perf"),
    "baseline.build": (["test", "--workspace", "--no-run"], ("test", "--workspace", "--no-run")),
    "baseline.touch": ("src/lib.rs", "src/lib.rs"),
    "baseline.test_profile": ("perf-ci", "perf-ci"),
    "baseline.runs": (1, 1),
    "baseline.warmup": (2, 2),
    "baseline.cold_runs": (2, 2),
    "baseline.timeout": (0, 0),
    "ci.install": ("perf-tasks==0.1.0", "perf-tasks==0.1.0"),
    "ci.nextest": ("cargo-nextest==0.9.1", "cargo-nextest==0.9.1"),
    "ci.python": ("3.13", "3.13"),
    "ci.branches": (["main", "release/1"], ("main", "release/1")),
    "ci.cron": ("0 3 * * 1", "0 3 * * 1"),
    "ci.monitor_dir": ("docs/performance/monitor", "docs/performance/monitor"),
    "ci.rust_paths": (["*.rs"], ("*.rs",)),
    "gates.contract": ("x.md", "x.md"),
    "monitor.dir": ("perf/monitor", "perf/monitor"),
    "monitor.keep_entries": (1, 1),
    "monitor.keep_days": (0.5, 0.5),
    "monitor.chart": ("trend.png", "trend.png"),
    "monitor.clean_over_budget": (True, True),
    "affected.ignore": (["*.txt", "book/**"], ("*.txt", "book/**")),
    "doctor.silence": (
        [{"id": "disk.dev-debug", "reason": "kept for the profiler"}],
        (settings.SilenceRule("disk.dev-debug", "kept for the profiler"),),
    ),
}


def bad_values(kind: Kind) -> list[Any]:
    """Wrong values of a kind, from the kind itself: every key gets the same classes of mistake."""
    table: dict[str, Any] = {"a": 1}
    if isinstance(kind, Boolean):
        return ["true", 1, table]
    if isinstance(kind, Integer):
        out = ["3", 1.5, True, table, kind.least - 1]
        return out + ([kind.most + 1] if kind.most is not None else [2**63])
    if isinstance(kind, Number):
        return ["3", True, table, -1, float("inf"), float("nan"), kind.most + 1]
    if isinstance(kind, Size):
        return ["", "5 parsecs", -1, "a\0", True, table]
    if isinstance(kind, RelativePath):
        bad = [5, table, " ", "a\0b", "a\nb", "/abs", "../up", "a/..", "~/x", ".git/x"]
        return bad + ([] if kind.folder else ["src/lib.rs/"])
    if isinstance(kind, FileName):
        return [5, "", "a\0.svg", "a/b.svg", "trend.txt", "trend\x7f.svg"]
    if isinstance(kind, Choice):
        return [5, "", "a\0", "nope"]
    if isinstance(kind, Text):
        return [5, table, " " if kind.empty else "", "a\0b", "a\tb"]
    if isinstance(kind, ListOf):
        out = ["x", table, [5], [table]]
        return out + ([[]] if kind.least else [])
    if isinstance(kind, Argv):
        return ["cargo build", [], [""], ["a\0"], [5]]
    if isinstance(kind, Tables):
        # a table whose every key has a value of the wrong type
        wrong = {f.name: 5 for f in dataclasses.fields(kind.of)}
        return [table, [5], [{}], [{**wrong, "extra": 1}]]
    raise AssertionError(f"no bad values for {kind!r}")


def kind_of(name: str) -> Kind:
    return next(k.kind for n, _f, k in settings.schema() if n == name)


def data_for(name: str, value: Any) -> dict[str, Any]:
    section, key = name.split(".")
    return {section: {key: value}}


def test_the_table_covers_every_key_of_the_schema() -> None:
    assert sorted(GOOD) == sorted(ALL_KEYS)


# --------------------------------------------------------------------------- docs follow the schema


def test_the_docs_keys_table_is_the_schemas() -> None:
    text = DOCS.read_text()
    start = text.index("| key | type | default | meaning |")
    table = text[start : text.index("\n\n", start) + 1]
    # On a mismatch, the expected table is the one to paste into docs/configuration.md.
    assert table == settings.reference_table()


def test_the_docs_key_set_is_the_schemas() -> None:
    documented = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(), flags=re.M)
    assert documented == ALL_KEYS


def test_the_docs_example_file_holds_every_key_at_its_default() -> None:
    text = DOCS.read_text()
    block = text[
        text.index("```toml\n") + len("```toml\n") : text.index("```\n", text.index("```toml"))
    ]
    data = tomlkit.parse(block).unwrap()
    data.pop("profiles")
    parsed = parse(data, source="docs")
    assert {f"{s}.{k}" for s, table in data.items() for k in table} == set(ALL_KEYS)
    defaults = Settings()
    for name in ALL_KEYS:
        section, key = name.split(".")
        assert getattr(getattr(parsed, section), key) == getattr(getattr(defaults, section), key)


# --------------------------------------------------------------------------- good and bad values


@pytest.mark.parametrize("name", ALL_KEYS)
def test_every_key_parses_a_good_value(name: str) -> None:
    given, read = GOOD[name]
    section, key = name.split(".")
    assert getattr(getattr(parse(data_for(name, given), source=SOURCE), section), key) == read


def test_values_are_immutable() -> None:
    tables: dict[str, Any] = {name.split(".")[0]: {} for name in ALL_KEYS}
    s = parse({**tables, "profiles": {"lean": {"inherits": "release"}}}, source=SOURCE)
    with pytest.raises(TypeError):
        s.profiles["lean"]["lto"] = "thin"  # type: ignore[index]
    with pytest.raises(TypeError):
        s.profiles["other"] = {}  # type: ignore[index]
    for name in ALL_KEYS:
        section, key = name.split(".")
        value = getattr(getattr(s, section), key)
        assert isinstance(value, (str, int, float, bool, tuple)), name
        with pytest.raises(AttributeError):
            setattr(getattr(s, section), key, value)


BAD = [(name, value) for name in ALL_KEYS for value in bad_values(kind_of(name))]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_every_wrong_value_is_one_line_naming_the_file_and_key(name: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(data_for(name, value), source=SOURCE)
    message = str(caught.value)
    assert "\n" not in message and "\0" not in message
    assert message.startswith(f"{SOURCE}: {name}"), message


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("monitor.chart", "a\0.svg", "monitor.chart = 'a\\x00.svg' holds a NUL byte"),
        ("baseline.build", ["clean"], "`cargo clean` is not a build"),
        ("baseline.build", ["run"], "`cargo run` is not a build"),
        ("baseline.build", ["build", "--fix"], "`--fix` is not allowed"),
        ("baseline.build", ["build", "--", "x"], "drop `--`"),
        ("baseline.build", ["clippy"], "`cargo clippy` is not a build"),
        ("baseline.build", ["test", "--workspace"], "needs --no-run"),
        ("baseline.build", ["build", "--message-format=short"], "--message-format"),
        ("baseline.runs", 0, "baseline.runs must be an integer ≥ 1, got 0"),
        ("baseline.timeout", 10**12, "baseline.timeout must be an integer from 0 to"),
        ("monitor.keep_days", float("inf"), "monitor.keep_days must be a non-negative number"),
        ("runs.keep_newest", -1, "runs.keep_newest must be a non-negative integer"),
        ("ci.branches", [], "ci.branches is empty"),
        ("baseline.test_profile", "a b", "is not a profile name"),
    ],
)
def test_the_message_says_what_is_wrong_and_what_to_write(name: str, value: Any, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)) as caught:
        parse(data_for(name, value), source=SOURCE)
    remedies = ("e.g.", "write", "drop", "leave it out", "needs", "takes only")
    assert any(remedy in str(caught.value) for remedy in remedies), caught.value


def test_empty_lists_that_mean_something_parse() -> None:
    # `[stale] commands = []` turns the sweep off; `[artifacts] rules = []` keeps every artifact.
    s = parse({"stale": {"commands": []}, "artifacts": {"rules": []}}, source=SOURCE)
    assert s.stale.commands == () and s.artifacts.rules == ()


def test_a_rule_of_artifacts_is_checked_key_by_key() -> None:
    rule = {"name": "x", "globs": ["a"], "days": 1}
    for bad, says in [
        ({**rule, "days": -1}, r"artifacts\.rules\[0\]\.days must be"),
        ({**rule, "globs": []}, r"artifacts\.rules\[0\]\.globs is empty"),
        ({**rule, "name": ""}, r"artifacts\.rules\[0\]\.name = '' is empty"),
        ({"name": "x", "globs": ["a"]}, r"artifacts\.rules\[0\] has no days"),
        ({**rule, "age": 1}, r"unknown key artifacts\.rules\[0\]\.age"),
    ]:
        with pytest.raises(ConfigError, match=says):
            parse({"artifacts": {"rules": [bad]}}, source=SOURCE)


# --------------------------------------------------------------------------- paths on disk


def path_keys(folder: bool) -> list[str]:
    return [
        name
        for name in ALL_KEYS
        if isinstance(kind_of(name), RelativePath) and kind_of(name).folder == folder  # type: ignore[attr-defined]
    ]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write(root / "Cargo.toml", '[package]\nname = "w"\nversion = "0.1.0"\n')
    write(root / "README.md", "# w\n")
    write(root / "src" / "lib.rs", "")
    (root / "crates").mkdir()
    return root


def load_with(ws: Path, name: str, value: str) -> Settings:
    section, key = name.split(".")
    write(ws / SOURCE, f"[{section}]\n{key} = {json.dumps(value)}\n")
    return settings.load(ws)


@pytest.mark.parametrize("name", path_keys(folder=True))
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Cargo.toml", "is a file, not a folder"),
        ("README.md/x", "goes through README.md, which is a file"),
        ("src/lib.rs/deeper/still", "goes through src/lib.rs, which is a file"),
    ],
)
def test_a_folder_key_naming_a_file_is_one_line(ws: Path, name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(ws / SOURCE))}: {name} = .*{says}"):
        load_with(ws, name, value)


@pytest.mark.parametrize("name", path_keys(folder=False))
@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("crates", "is a folder, not a file"),
        ("src", "is a folder, not a file"),
        ("README.md/x.md", "goes through README.md, which is a file"),
    ],
)
def test_a_file_key_naming_a_folder_is_one_line(ws: Path, name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=rf"{name} = .*{says}: name a"):
        load_with(ws, name, value)


def test_the_chart_is_a_file_in_the_monitor_dir(ws: Path) -> None:
    (ws / "perf" / "trend.svg").mkdir(parents=True)
    write(ws / SOURCE, '[monitor]\ndir = "perf"\n')
    with pytest.raises(ConfigError, match=r"monitor\.chart = 'trend\.svg' is a folder, not a file"):
        settings.load(ws)


def test_a_path_through_a_link_loop_is_one_line(ws: Path) -> None:
    (ws / "loop").symlink_to("loop")
    with pytest.raises(ConfigError, match=r"monitor\.dir = 'loop/x' cannot be looked at"):
        load_with(ws, "monitor.dir", "loop/x")


@pytest.mark.parametrize("name", [*path_keys(folder=True), *path_keys(folder=False)])
def test_good_paths_and_missing_ones_load(ws: Path, name: str) -> None:
    value = "src/lib.rs" if name in path_keys(folder=False) else "crates/new/folder"
    section, key = name.split(".")
    assert getattr(getattr(load_with(ws, name, value), section), key) == value


# --------------------------------------------------------------------------- the real CLI


def one_error_line(proc: Any, *, key: str, file: str) -> str:
    line = one_line_error(proc)
    assert file in line and key in line, proc.stderr
    return line


def settings_file(root: Path, where: str, section: str, body: str) -> str:
    if where == SOURCE:
        write(root / SOURCE, f"[{section}]\n{body}\n")
        return SOURCE
    write(
        root / "pyproject.toml", f"[project]\nname = 'x'\n\n[tool.perf-tasks.{section}]\n{body}\n"
    )
    return "pyproject.toml"


@pytest.mark.parametrize("where", [SOURCE, "pyproject.toml"])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_gates_contract_setting_is_read(tmp_path: Path, where: str, as_json: bool) -> None:
    # `[gates] contract` is documented: it loads like every other key, text and JSON alike.
    root = tiny_workspace(tmp_path / "ws")
    settings_file(root, where, "gates", 'contract = "x.md"')
    proc = perf("clean.runs", "--dry-run", "--root", str(root), *(["--json"] if as_json else []))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    if as_json:
        assert json.loads(proc.stdout)["dry_run"] is True


@pytest.mark.parametrize("where", [SOURCE, "pyproject.toml"])
@pytest.mark.parametrize(
    ("task", "section", "body", "key", "says"),
    [
        ("monitor", "monitor", 'chart = "a\\u0000.svg"', "monitor.chart", "holds a NUL byte"),
        ("monitor", "monitor", 'dir = "Cargo.toml"', "monitor.dir", "is a file, not a folder"),
        ("monitor", "monitor", 'dir = "src/lib.rs/x"', "monitor.dir", "goes through src/lib.rs"),
        ("baseline", "baseline", 'touch = "src"', "baseline.touch", "is a folder, not a file"),
        ("baseline", "baseline", 'build = ["clean"]', "baseline.build", "`cargo clean` is not"),
        ("gate", "gates", 'contract = "src"', "gates.contract", "is a folder, not a file"),
        ("clean.runs", "runs", "keep_days = inf", "runs.keep_days", "non-negative number"),
        ("clean.runs", "runs", 'markers = [""]', "runs.markers[0]", "is empty"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_a_wrong_value_through_the_cli_is_one_line_and_exit_2(
    tmp_path: Path,
    where: str,
    task: str,
    section: str,
    body: str,
    key: str,
    says: str,
    as_json: bool,
) -> None:
    root = tiny_workspace(tmp_path / "ws")
    name = settings_file(root, where, section, body)
    before = sorted(str(p) for p in root.rglob("*"))
    dry = ["--dry-run"] if task in ("baseline", "clean.runs") else []
    proc = perf(task, *dry, "--root", str(root), *(["--json"] if as_json else []), timeout=120)
    line = one_error_line(proc, key=key, file=name)
    assert says in line
    if as_json:
        error = json.loads(proc.stdout)["error"]
        assert error["kind"] == "config" and key in error["message"]
    assert sorted(str(p) for p in root.rglob("*")) == before


# --------------------------------------------------------------------------- [profiles.<name>]


def documented_profile_values() -> list[tuple[str, Any]]:
    """(key, value) for every value the docs' `[profiles.<name>]` table spells out in TOML."""
    text = DOCS.read_text()
    start = text.index("| key | values |")
    rows = text[start : text.index("\n\n", start)].splitlines()[2:]
    out = []
    for row in rows:
        keys_cell, values_cell = (c.strip() for c in row.strip("|").split("|"))
        for key in re.findall(r"`([a-z-]+)`", keys_cell):
            for token in values_cell.split(", "):
                try:
                    value = tomlkit.parse(f"v = {token.strip('`')}")["v"]
                except Exception:  # prose ("an integer ≥ 1"), not a value
                    continue
                out.append((key, tomlkit.item(value).unwrap()))
    return out


def test_the_docs_profile_table_names_every_key_we_write() -> None:
    from perf_tasks.profiles.model import KEYS

    text = DOCS.read_text()
    start = text.index("| key | values |")
    rows = text[start : text.index("\n\n", start)].splitlines()[2:]
    documented = {k for row in rows for k in re.findall(r"`([a-z-]+)`", row.split("|")[1])}
    assert documented == set(KEYS)


@pytest.mark.parametrize(("key", "value"), documented_profile_values())
def test_every_documented_profile_value_parses(key: str, value: Any) -> None:
    table = {"inherits": "release", key: value} if key != "inherits" else {key: value}
    assert parse({"profiles": {"lean": table}}, source=SOURCE).profiles["lean"][key] == value


@pytest.mark.parametrize("key", ["inherits", "opt-level", "debug", "lto", "codegen-units", "panic"])
@pytest.mark.parametrize("value", ["", " ", "a\0b", "rel\nease", {"a": 1}, [1], -1])
def test_a_wrong_profile_value_is_one_line(key: str, value: Any) -> None:
    table = {"inherits": "release", key: value}
    with pytest.raises(ConfigError) as caught:
        parse({"profiles": {"lean": table}}, source=SOURCE)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{SOURCE}: profiles.lean.{key}")
