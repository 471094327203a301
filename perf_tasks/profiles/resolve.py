"""The profiles cargo will build with, and where each value comes from.

Stable cargo has no command that prints them, so this reads what cargo reads, lowest first:
its defaults; `[profile.*]` of the workspace root's `Cargo.toml`; `[profile.*]` of the config
files (`$CARGO_HOME/config.toml`, then `.cargo/config.toml` of each folder from `/` down to the
root, deeper wins); `CARGO_PROFILE_<NAME>_<KEY>`; `--config`. Then `inherits` is followed, and
incremental takes `build.incremental` (config, `CARGO_BUILD_INCREMENTAL`, `--config`) and finally
`CARGO_INCREMENTAL` over every profile. With debug info off and `strip` unset, cargo strips
debug info (as it has since 1.77).

Pure but for reading files: the environment and the `--config` values are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_tasks import toml_data
from perf_tasks.errors import ConfigError
from perf_tasks.profiles import model

DEFAULT = "default"


@dataclass(frozen=True)
class Value:
    value: Any
    source: str  # "default", "Cargo.toml", ".cargo/config.toml", "CARGO_PROFILE_DEV_DEBUG", ...
    # The profile whose table set it (differs from the shown one when inherited); "" for a setting
    # over every profile (build.incremental, CARGO_INCREMENTAL).
    profile: str


@dataclass(frozen=True)
class Profile:
    name: str
    chain: tuple[str, ...]  # itself, then what it inherits from, down to dev or release
    values: dict[str, Value]


@dataclass(frozen=True)
class Layer:
    source: str  # as shown
    profiles: dict[str, dict[str, Any]]  # name -> key -> value
    incremental: bool | None = None  # build.incremental, or CARGO_INCREMENTAL


@dataclass(frozen=True)
class Resolved:
    root: Path
    profiles: tuple[Profile, ...]
    read: tuple[str, ...]  # the files read, as shown
    notes: tuple[str, ...] = field(default=())


def config_files(root: Path, env: Mapping[str, str]) -> list[Path]:
    """Cargo's config files for a run in `root`, lowest priority first (each read once)."""
    found: list[Path] = []
    for folder in [*reversed(root.parents), root]:
        path = _config_in(folder / ".cargo")
        if path is not None:
            found.append(path)
    home_file = home_config(env)
    if home_file is not None and all(not _same_file(home_file, p) for p in found):
        found.insert(0, home_file)
    return found


def home_config(env: Mapping[str, str]) -> Path | None:
    """Cargo's home config file (`$CARGO_HOME/config.toml`, by default in ~/.cargo), if any."""
    home = Path(env.get("CARGO_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cargo")
    return _config_in(home)


def _config_in(folder: Path) -> Path | None:
    # Cargo reads `config` when both exist (and warns).
    for name in ("config", "config.toml"):
        if (folder / name).is_file():
            return folder / name
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def read_config(path: Path) -> dict[str, Any]:
    """A cargo config file's tables, through the one reader (a BOM accepted, as cargo does)."""
    return _read(path)


def _read(path: Path) -> dict[str, Any]:
    from perf_tasks.fs.guarded import text_of

    text = text_of(path, shown=str(path), bom=True)  # cargo accepts a BOM
    return _parse(text, str(path))


def _parse(text: str, shown: str) -> dict[str, Any]:
    return toml_data.parse(text, shown=shown)


def profiles_in(path: Path, *, shown: str) -> set[str]:
    """The names of the `[profile.*]` tables one file defines (a manifest or a config file)."""
    from perf_tasks.fs.guarded import text_of

    return set(_profiles_of(_parse(text_of(path, shown=shown, bom=True), shown)))


def _profiles_of(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    table = data.get("profile")
    if not isinstance(table, Mapping):
        return {}
    return {
        name: {k: v for k, v in values.items() if k in model.KEYS}
        for name, values in table.items()
        if isinstance(values, Mapping)
    }


def _build_incremental(data: Mapping[str, Any]) -> bool | None:
    build = data.get("build")
    value = build.get("incremental") if isinstance(build, Mapping) else None
    return value if isinstance(value, bool) else None


def layers(
    root: Path, *, env: Mapping[str, str], config_args: Sequence[str] = (), cwd: Path | None = None
) -> tuple[list[Layer], list[str]]:
    """Every source, lowest priority first, and the files read (as shown)."""
    out = [Layer(DEFAULT, model.defaults())]
    read = []
    manifest = root / "Cargo.toml"
    out.append(Layer("Cargo.toml", _profiles_of(_read(manifest))))
    read.append("Cargo.toml")
    for path in config_files(root, env):
        shown = _config_file_text(path, root, env)
        data = _read(path)
        out.append(Layer(shown, _profiles_of(data), _build_incremental(data)))
        read.append(shown)
    names = set(model.BUILT_IN).union(*(layer.profiles for layer in out))
    extra = _config_args(config_args, cwd or root)
    names.update(*(layer.profiles for layer in extra))
    names.update(_env_only_names(env, names))
    out += _env_layers(env, names)
    out += extra
    if "CARGO_INCREMENTAL" in env:
        out.append(Layer("CARGO_INCREMENTAL", {}, env["CARGO_INCREMENTAL"] == "1"))
    return out, read


def _config_file_text(path: Path, root: Path, env: Mapping[str, str]) -> str:
    home = env.get("CARGO_HOME")
    if home and path.parent == Path(home):
        return f"$CARGO_HOME/{path.name}"
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def env_name(profile: str, key: str) -> str:
    return f"CARGO_PROFILE_{profile}_{key}".upper().replace("-", "_")


def _env_only_names(env: Mapping[str, str], names: set[str]) -> list[str]:
    """Custom profiles that only the environment defines (`CARGO_PROFILE_QUICK_INHERITS=dev`):
    cargo builds with `--profile quick` then. The variable cannot tell `-` from `_`; shown
    with `-`, which cargo maps to the same variables."""
    known = {env_name(name, "inherits") for name in names}
    found = []
    for var in sorted(env):
        match = re.fullmatch(r"CARGO_PROFILE_([A-Z0-9_]+)_INHERITS", var)
        if match is not None and var not in known:
            found.append(match[1].lower().replace("_", "-"))
    return found


def _env_layers(env: Mapping[str, str], names: set[str]) -> list[Layer]:
    found = []
    for name in sorted(names):
        for key in model.KEYS:
            var = env_name(name, key)
            if var in env:
                found.append(Layer(var, {name: {key: model.parse_env_value(key, env[var])}}))
    if "CARGO_BUILD_INCREMENTAL" in env:
        value = env["CARGO_BUILD_INCREMENTAL"]
        found.append(Layer("CARGO_BUILD_INCREMENTAL", {}, value == "true"))
    return found


def _config_args(values: Sequence[str], cwd: Path) -> list[Layer]:
    """`--config KEY=VALUE` (TOML) or `--config PATH` (from the current dir), as cargo takes
    them; a later one wins."""
    import tomlkit

    found = []
    for value in values:
        path = cwd / value
        if path.is_file():
            data = _read(path)
        else:
            try:
                data = tomlkit.parse(value).unwrap()
            except ValueError:
                raise ConfigError(
                    f"--config {value!r} is neither a file nor KEY=VALUE in TOML "
                    "(e.g. --config 'profile.dev.opt-level=1')"
                ) from None
        found.append(Layer("--config", _profiles_of(data), _build_incremental(data)))
    return found


def resolve(
    root: Path, *, env: Mapping[str, str], config_args: Sequence[str] = (), cwd: Path | None = None
) -> Resolved:
    """The profiles cargo builds with when run in `root` (`--config` files are found from `cwd`,
    the root by default)."""
    all_layers, read = layers(root, env=env, config_args=config_args, cwd=cwd)
    # name -> key -> Value, merged over the layers (a later layer wins)
    own: dict[str, dict[str, Value]] = {}
    for layer in all_layers:
        for name, table in layer.profiles.items():
            for key, value in table.items():
                own.setdefault(name, {})[key] = Value(value, layer.source, name)
    incremental = [layer for layer in all_layers if layer.incremental is not None]
    notes: list[str] = []
    ordered = [*model.BUILT_IN, *sorted(n for n in own if n not in model.BUILT_IN)]
    profiles = []
    for name in ordered:
        chain = _chain(name, own, notes)
        if chain is None:
            continue
        values: dict[str, Value] = {}
        for link in reversed(chain):
            values.update({k: v for k, v in own.get(link, {}).items() if k != "inherits"})
        if incremental:
            last = incremental[-1]
            values["incremental"] = Value(last.incremental, last.source, "")
        # No strip set anywhere and no debug info: cargo strips what debug info the std has.
        if values["strip"].source == DEFAULT and model.normal("debug", values["debug"].value) == 0:
            values["strip"] = Value("debuginfo", DEFAULT, values["debug"].profile)
        shown = {k: values[k] for k in model.SHOWN if k in values}
        profiles.append(Profile(name, tuple(chain), shown))
    return Resolved(root, tuple(profiles), tuple(read), tuple(notes))


def _chain(name: str, own: Mapping[str, Mapping[str, Value]], notes: list[str]) -> list[str] | None:
    """`ci` -> ["ci", "dev"]: the profile and what it inherits, down to dev or release."""
    chain = [name]
    while chain[-1] not in ("dev", "release"):
        current = chain[-1]
        parent = own.get(current, {}).get("inherits")
        if parent is None:
            notes.append(
                f'profile {current!r} has no `inherits`: cargo refuses it (add inherits = "dev")'
            )
            return None
        target = str(parent.value)
        if target in chain or target not in own:
            notes.append(f"profile {current!r} inherits {target!r}, which cargo cannot resolve")
            return None
        chain.append(target)
    return chain
