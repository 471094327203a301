"""Cargo profiles as data: the keys we know, cargo's defaults, and the team's two profiles.

Values are kept as cargo reads them from TOML (`debug = true`, `opt-level = "s"`); `normal` maps
the spellings cargo treats alike (`debug = true`, `2`, `"full"`) to one, for display and to leave a
value as written when it already means what we would write.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from perf_tasks.errors import ConfigError

BUILT_IN = ("dev", "release", "test", "bench")

# The keys `profiles.show` resolves, in its order.
SHOWN = (
    "opt-level",
    "debug",
    "incremental",
    "lto",
    "codegen-units",
    "split-debuginfo",
    "strip",
    "debug-assertions",
    "overflow-checks",
)
# Every key `profiles.apply` may write (the tables `package` and `build-override` are not ours).
KEYS = ("inherits", *SHOWN, "panic", "rpath")

# The team's profiles (DOMAIN: fast local development; CI testing). Both inherit `dev`: inheriting
# `release` would drop debug assertions and overflow checks and change what the tests see.
TEAM: dict[str, dict[str, Any]] = {
    "dev-fast": {"inherits": "dev", "opt-level": 1, "incremental": False, "debug": 0},
    "ci": {"inherits": "dev", "incremental": True, "debug": 0, "opt-level": 1},
}


def _split_debuginfo_default() -> str:
    if sys.platform == "darwin":
        return "unpacked"
    return "packed" if sys.platform == "win32" else "off"


def defaults() -> dict[str, dict[str, Any]]:
    """Cargo's built-in profiles as the Cargo book lists them (`strip` is resolved later)."""
    dev = {
        "opt-level": 0,
        "debug": 2,
        "incremental": True,
        "lto": False,
        "codegen-units": 256,
        "split-debuginfo": _split_debuginfo_default(),
        "strip": "none",
        "debug-assertions": True,
        "overflow-checks": True,
    }
    release = {
        **dev,
        "opt-level": 3,
        "debug": 0,
        "incremental": False,
        "codegen-units": 16,
        "debug-assertions": False,
        "overflow-checks": False,
    }
    return {
        "dev": dev,
        "release": release,
        "test": {"inherits": "dev"},
        "bench": {"inherits": "release"},
    }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_CHOICES: dict[str, tuple[object, ...]] = {
    "opt-level": (0, 1, 2, 3, "s", "z"),
    "split-debuginfo": ("off", "packed", "unpacked"),
    "panic": ("unwind", "abort"),
}


def check_value(key: str, value: object) -> str | None:
    """What is wrong with `key = value` in a profile, or None."""
    if key not in KEYS:
        return f"is not a profile key we write; known: {', '.join(KEYS)}"
    if key in ("incremental", "debug-assertions", "overflow-checks", "rpath"):
        return None if isinstance(value, bool) else "must be true or false"
    if key == "inherits":  # a name cargo takes: never empty, a NUL byte or a reserved name
        ok = isinstance(value, str) and check_name(value) is None
        return None if ok else "must name a profile (letters, digits, '-' and '_')"
    if key == "codegen-units":
        return None if _is_int(value) and int(str(value)) >= 1 else "must be a whole number >= 1"
    if key == "debug":
        ok = isinstance(value, bool) or (_is_int(value) and value in (0, 1, 2))
        ok = ok or value in ("none", "line-directives-only", "line-tables-only", "limited", "full")
        return None if ok else 'must be 0, 1, 2, true, false, "line-tables-only", ...'
    if key == "strip":
        ok = isinstance(value, bool) or value in ("none", "debuginfo", "symbols")
        return None if ok else 'must be true, false, "none", "debuginfo" or "symbols"'
    if key == "lto":
        ok = isinstance(value, bool) or value in ("fat", "thin", "off")
        return None if ok else 'must be true, false, "fat", "thin" or "off"'
    choices = _CHOICES[key]
    if isinstance(value, bool) or value not in choices:
        return f"must be one of {', '.join(map(repr, choices))}"
    return None


# Names cargo 1.95 refuses for a profile (tried one by one with `cargo metadata`).
RESERVED = frozenset(
    [
        "build",
        "check",
        "clean",
        "config",
        "debug",
        "fetch",
        "fix",
        "install",
        "metadata",
        "package",
        "publish",
        "root",
        "run",
        "rust",
        "rustc",
        "rustdoc",
        "target",
        "tmp",
        "uninstall",
    ]
)


def check_name(name: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return "a profile name holds only letters, digits, '-' and '_'"
    if name.startswith("-"):
        # cargo takes `--profile -x` for a flag, and nextest passes the name to cargo that way
        return "a profile name may not start with '-' (cargo would read it as a flag)"
    if name in RESERVED:
        return f"cargo reserves the profile name {name!r}"
    return None


def check_profile(name: str, table: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """A profile of the settings file, checked as cargo would: one ConfigError naming the key."""
    if problem := check_name(name):
        raise ConfigError(f"{where}: {problem}")
    for key, value in table.items():
        if problem := check_value(key, value):
            raise ConfigError(f"{where}.{key} {problem}, got {value!r}")
    if name not in BUILT_IN and name not in TEAM and "inherits" not in table:
        raise ConfigError(
            f'{where}: a custom profile needs `inherits` (usually "dev" or "release")'
        )
    return dict(table)


def normal(key: str, value: Any) -> Any:
    """One spelling for values cargo treats alike. (Booleans first: in a dict, `1 == True`.)"""
    if isinstance(value, bool):
        as_bool = {"debug": (0, 2), "strip": ("none", "symbols"), "lto": (False, "fat")}
        return as_bool[key][value] if key in as_bool else value
    if key == "debug":
        return (
            {"none": 0, "limited": 1, "full": 2}.get(value, value)
            if isinstance(value, str)
            else value
        )
    return value


def same(key: str, written: Any, wanted: Any) -> bool:
    """Writing `wanted` over `written` would change nothing cargo sees."""
    a, b = normal(key, written), normal(key, wanted)
    return type(a) is type(b) and bool(a == b)


def parse_env_value(key: str, text: str) -> Any:
    """`CARGO_PROFILE_DEV_OPT_LEVEL=1`: environment values come as text."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"\d+", text) and key != "inherits":
        return int(text)
    return text
