"""The one TOML parse: every way a file is not TOML is one ConfigError naming the file."""

from __future__ import annotations

import pytest

from perf_tasks import toml_data
from perf_tasks.errors import ConfigError


@pytest.mark.parametrize(
    "text",
    [
        "[profile.ci\n",  # a table left open
        "[profile.ci]\nretries = 1\n[store]\n[profile.ci]\nretries = 2\n",  # defined twice apart
        "a = 1\na = 2\n",  # a key twice
        "a = [1,\n",  # an array left open
    ],
)
def test_what_is_not_toml_is_one_line_naming_the_file(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^\.config/nextest\.toml: not valid TOML: \S") as caught:
        toml_data.parse(text, shown=".config/nextest.toml")
    assert "\n" not in str(caught.value)


def test_toml_gives_plain_data() -> None:
    assert toml_data.loads('[a]\nb = [1, "x"]\n') == {"a": {"b": [1, "x"]}}
