"""TOML text to plain Python data: the one parse every reader of a TOML file goes through, so
that every tomlkit error (a table defined twice apart raises `KeyAlreadyPresent` only when the
document is unwrapped, and it is no `ValueError`) is one line, never a traceback."""

from __future__ import annotations

from typing import Any

from perf_tasks.errors import ConfigError


def loads(text: str) -> dict[str, Any]:
    """The data of `text`; `ValueError` with tomlkit's one line when it is not valid TOML."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        data: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise ValueError(str(exc)) from None
    return data


def parse(text: str, *, shown: str) -> dict[str, Any]:
    """The data of the file shown as `shown`, or `ConfigError`: `{shown}: not valid TOML: why`."""
    try:
        return loads(text)
    except ValueError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from None
