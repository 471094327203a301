"""settings.py on plain values: defaults, every section, sizes, strictness, the pyproject table."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from helpers import write

from perf_tasks import settings
from perf_tasks.errors import ConfigError
from perf_tasks.settings import Settings, parse


def test_defaults_are_the_team_practice() -> None:
    s = Settings()
    assert s.budgets.target == 5 * 10**9
    assert (s.runs.keep_newest, s.runs.keep_days) == (10, 14)
    assert [(r.name, r.days) for r in s.artifacts.rules] == [
        ("benchmark JSON", 7),
        ("test reports", 7),
        ("data artifacts", 14),
    ]
    assert s.output_path("output_scg") == PurePosixPath("output/scg")


def test_every_section_parses_and_sizes_are_read_as_people_write_them() -> None:
    s = parse(
        {
            "outputs": {"cache": "./build-cache/"},
            "runs": {"keep_newest": 3, "keep_days": 2.5, "markers": ["*.pid"]},
            "artifacts": {"rules": [{"name": "all", "globs": ["**/*"], "days": 1}]},
            "clean": {"nuke": ["target", "cache"]},
            "budgets": {"target": "800 MiB"},
            "stale": {"commands": [["cargo", "check", "--workspace"]], "incremental": False},
            "baseline": {"runs": 5, "warmup": 1},
        },
        source="perf-tasks.toml",
    )
    assert s.output_path("cache") == PurePosixPath("build-cache")
    assert s.runs.keep_days == 2.5 and s.runs.markers == ("*.pid",)
    assert s.artifacts.rules[0].globs == ("**/*",)
    assert s.budgets.target == 800 * 2**20
    assert s.stale.commands == (("cargo", "check", "--workspace"),) and not s.stale.incremental
    assert (s.baseline.runs, s.baseline.warmup) == (5, 1)
    assert s.source == "perf-tasks.toml"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"nope": {}}, r"unknown section \[nope\]"),
        ({"runs": {"keep": 1}}, r"unknown key runs\.keep"),
        ({"runs": {"keep_newest": -1}}, r"runs\.keep_newest must be a non-negative integer"),
        ({"runs": {"keep_newest": True}}, r"runs\.keep_newest must be a non-negative integer"),
        ({"runs": 5}, r"\[runs\] must be a table"),
        ({"budgets": {"target": "5 parsecs"}}, r"budgets\.target"),
        ({"runs": {"output": "nope"}}, r"runs\.output = 'nope' is not an output"),
        (
            {"clean": {"nuke": ["everything"]}},
            r"clean\.nuke\[0\] = 'everything' is not 'target' nor an output",
        ),
        ({"stale": {"commands": [["cargo", "run"]]}}, r"stale\.commands\[0\]"),
    ],
)
def test_mistakes_are_one_config_error_naming_the_key(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse(data, source="perf-tasks.toml")  # type: ignore[arg-type]


def test_load_prefers_perf_tasks_toml_then_pyproject(tmp_path: Path) -> None:
    assert settings.load(tmp_path).source == "defaults"
    write(tmp_path / "pyproject.toml", "[tool.perf-tasks.runs]\nkeep_newest = 4\n")
    assert settings.load(tmp_path).runs.keep_newest == 4
    write(tmp_path / "perf-tasks.toml", "[runs]\nkeep_newest = 2\n")
    assert settings.load(tmp_path).runs.keep_newest == 2


def test_a_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "perf-tasks.toml", "[runs\n")
    with pytest.raises(ConfigError, match=r"perf-tasks\.toml: not valid TOML"):
        settings.load(tmp_path)


@pytest.mark.parametrize("name", ["perf-tasks.toml", "pyproject.toml"])
def test_a_byte_order_mark_is_accepted_as_cargo_accepts_one(tmp_path: Path, name: str) -> None:
    table = "[monitor]" if name == "perf-tasks.toml" else "[tool.perf-tasks.monitor]"
    (tmp_path / name).write_text(f"\ufeff{table}\nkeep_days = 30\n", encoding="utf-8")
    assert settings.load(tmp_path).monitor.keep_days == 30
