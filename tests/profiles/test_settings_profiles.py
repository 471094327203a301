"""`[profiles.<name>]` in perf-tasks.toml: checked as cargo would, and merged over the team's."""

from __future__ import annotations

import pytest

from perf_tasks.errors import ConfigError
from perf_tasks.profiles.apply import known, names, wanted
from perf_tasks.settings import Settings, parse


def test_a_settings_profile_overrides_the_teams_key_by_key() -> None:
    config = parse(
        {"profiles": {"ci": {"opt-level": 0}, "lean": {"inherits": "release"}}}, source="t"
    )
    assert known(config)["ci"] == {
        "inherits": "dev",
        "incremental": True,
        "debug": 0,
        "opt-level": 0,
    }
    assert wanted(["lean"], config) == {"lean": {"inherits": "release"}}
    assert known(Settings())["dev-fast"]["incremental"] is False


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ({"x": 1}, "t: profiles.x must be a table of cargo profile keys, got int"),
        ({"x": {"inherits": "dev", "opt": 1}}, "t: profiles.x.opt is not a profile key we write"),
        (
            {"x": {"inherits": "dev", "opt-level": 4}},
            "t: profiles.x.opt-level must be one of 0, 1, 2, 3, 's', 'z', got 4",
        ),
        (
            {"x": {"inherits": "dev", "codegen-units": 0}},
            "codegen-units must be a whole number >= 1",
        ),
        ({"x": {"inherits": "dev", "incremental": 1}}, "incremental must be true or false, got 1"),
        ({"x": {"opt-level": 1}}, "t: profiles.x: a custom profile needs `inherits`"),
        ({"rustc": {"inherits": "dev"}}, "cargo reserves the profile name 'rustc'"),
        ({"a b": {"inherits": "dev"}}, "a profile name holds only letters, digits"),
    ],
)
def test_bad_profiles_are_one_config_error(table: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse({"profiles": table}, source="t")
    assert says in str(info.value)


def test_profile_flags_split_on_commas_once_each() -> None:
    assert names(["dev-fast,ci", "ci", " lean "]) == ["dev-fast", "ci", "lean"]
