"""Builds: the team's `dev-fast` and `ci` profiles missing or different, LTO or one codegen unit
in profiles for development or CI, debug info in CI, a `rustc-wrapper` that cannot run. Pure
functions over the facts (what is on PATH is asked through `which`, passed in)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from perf_tasks.doctor.facts import Facts
from perf_tasks.doctor.lines import matches, table_line, toml_line
from perf_tasks.doctor.model import Evidence, Finding, Impact
from perf_tasks.profiles import model as profile_model
from perf_tasks.profiles.resolve import Profile, Value

DEVELOPMENT = ("dev", "test", "dev-fast", "ci")
Which = Callable[[str], str | None]


def check(facts: Facts, *, which: Which = shutil.which) -> list[Finding]:
    return [
        *team_profiles(facts),
        *slow_codegen(facts),
        *ci_debug_info(facts),
        *rustc_wrapper(facts, which=which),
        *linker(facts, which=which),
    ]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)


def _profile(facts: Facts, name: str) -> Profile | None:
    if facts.profiles is None:
        return None
    return next((p for p in facts.profiles.profiles if p.name == name), None)


def _wanted(facts: Facts) -> dict[str, dict[str, Any]]:
    """The team's profiles, each key overridden by `[profiles.<name>]` of perf-tasks.toml: what
    `profiles.apply` writes."""
    from perf_tasks.profiles.apply import known

    return {n: v for n, v in known(facts.settings).items() if n in profile_model.TEAM}


def _where(facts: Facts, value: Value, key: str) -> Evidence:
    text = f"[profile.{value.profile}] {key} = {_toml(value.value)}"
    if value.source == "default":
        return Evidence(text, "cargo's default")
    line = None
    if value.source == "Cargo.toml" and facts.manifest is not None:
        line = toml_line(facts.manifest.text, ("profile", value.profile), key)
    for config in facts.cargo_configs:
        if config.shown == value.source:
            line = toml_line(config.text, ("profile", value.profile), key)
    return Evidence(text, value.source, line)


def team_profiles(facts: Facts) -> Iterator[Finding]:
    if facts.profiles is None:
        return
    for name, keys in _wanted(facts).items():
        fix = f"perf-tasks profiles.apply --profile {name}"
        profile = _profile(facts, name)
        if profile is None:
            written = ", ".join(f"{k} = {_toml(v)}" for k, v in keys.items())
            yield Finding(
                "builds.profile-missing",
                "P2",
                "warning",
                f"the team's {name!r} profile is missing",
                (
                    Evidence(f"no [profile.{name}] in {', '.join(facts.profiles.read)}"),
                    Evidence(f"[profile.{name}] {written}", "the team's profiles"),
                ),
                fix,
                Impact(f"builds for {'CI' if name == 'ci' else 'development'} use dev's settings"),
            )
            continue
        differ = list(_differences(profile, keys, skip=("debug",) if name == "ci" else ()))
        if differ:
            yield Finding(
                "builds.profile-differs",
                "P2",
                "warning",
                f"the {name!r} profile differs from the team's",
                tuple(
                    Evidence(f"{ev.text} (the team's: {_toml(want)})", ev.source, ev.line)
                    for ev, want in ((_where(facts, v, k), keys[k]) for k, v in differ)
                ),
                _differs_fix(facts, fix, [(k, v, keys[k]) for k, v in differ]),
                Impact("not measured: `perf-tasks baseline` before and after shows it"),
            )


def _differs_fix(facts: Facts, apply: str, differ: list[tuple[str, Value, Any]]) -> str:
    """`profiles.apply` writes Cargo.toml; a value set where cargo reads it over Cargo.toml (a
    config file, `CARGO_PROFILE_*`, `--config`) is changed there, or `apply` would not help."""
    edits = []
    for key, value, want in differ:
        if value.source in ("default", "Cargo.toml"):
            continue
        if value.source.startswith("CARGO_"):
            edits.append(f"unset {value.source}")
            continue
        ev = _where(facts, value, key)
        at = f" (line {ev.line})" if ev.line else ""
        edits.append(
            f"set `{key} = {_toml(want)}` under [profile.{value.profile}] in {value.source}{at}"
        )
    if not edits:
        return apply
    covered = len(edits) == len(differ)
    return "; ".join(edits) + ("" if covered else f"; then {apply}")


def _differences(
    profile: Profile, wanted: Mapping[str, Any], *, skip: tuple[str, ...]
) -> Iterator[tuple[str, Value]]:
    for key, want in wanted.items():
        if key == "inherits" or key in skip:
            continue
        value = profile.values.get(key)
        if value is not None and not profile_model.same(key, value.value, want):
            yield key, value


def slow_codegen(facts: Facts) -> Iterator[Finding]:
    """LTO or `codegen-units = 1` in a profile built for development or CI: slower builds for a
    speed that tests do not need."""
    for name in DEVELOPMENT:
        profile = _profile(facts, name)
        if profile is None:
            continue
        lto = profile.values.get("lto")
        if lto is not None and profile_model.normal("lto", lto.value) not in (False, "off"):
            evidence = _where(facts, lto, "lto")
            yield Finding(
                "builds.lto-in-dev",
                "P2",
                "warning",
                f"LTO is on in the {name!r} profile, built for development or CI",
                (evidence,),
                f"remove `lto = {_toml(lto.value)}` from [profile.{lto.profile}] in "
                f"{evidence.source}" + (f" (line {evidence.line})" if evidence.line else ""),
                Impact("estimated from cargo's docs: LTO adds a whole-program pass to each link"),
            )
        units = profile.values.get("codegen-units")
        if units is not None and units.value == 1:
            evidence = _where(facts, units, "codegen-units")
            yield Finding(
                "builds.one-codegen-unit",
                "P2",
                "warning",
                f"codegen-units = 1 in the {name!r} profile: each crate compiles on one core",
                (evidence,),
                f"remove `codegen-units = 1` from [profile.{units.profile}] in {evidence.source}"
                + (f" (line {evidence.line})" if evidence.line else ""),
                Impact("estimated from cargo's docs: no parallel code generation within a crate"),
            )


def ci_debug_info(facts: Facts) -> Iterator[Finding]:
    profile = _profile(facts, "ci")
    if profile is None:
        return
    debug = profile.values.get("debug")
    if debug is None or profile_model.normal("debug", debug.value) == 0:
        return
    evidence = _where(facts, debug, "debug")
    if debug.profile == "ci" and debug.source not in ("default", "Cargo.toml"):
        fix = _differs_fix(facts, "", [("debug", debug, 0)])
    else:  # set in ci's table of Cargo.toml, or inherited: written there, under its header
        line = evidence.line if debug.profile == "ci" else None
        if line is None and facts.manifest is not None:
            line = table_line(facts.manifest.text, ("profile", "ci"))
        fix = (
            "set `debug = 0` under [profile.ci] in Cargo.toml"
            + (f" (line {line})" if line else "")
            + " (or `perf-tasks profiles.apply --profile ci`)"
        )
    yield Finding(
        "builds.ci-debug-info",
        "P2",
        "warning",
        f"the 'ci' profile builds debug info (debug = {_toml(debug.value)})",
        (evidence,),
        fix,
        Impact("estimated: larger artifacts to link, cache and upload in every CI run"),
    )


WRAPPER_VARIABLES = ("RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER")


def rustc_wrapper(facts: Facts, *, which: Which) -> Iterator[Finding]:
    """A `rustc-wrapper` (sccache, ...) that is configured but cannot run: cargo fails, or the
    cache the team counts on is not there."""
    found: list[tuple[str, Evidence]] = []
    for config in facts.cargo_configs:
        build = (config.data or {}).get("build")
        if isinstance(build, Mapping) and isinstance(build.get("rustc-wrapper"), str):
            wrapper = build["rustc-wrapper"]
            line = toml_line(config.text, ("build",), "rustc-wrapper")
            found.append(
                (wrapper, Evidence(f"build.rustc-wrapper = {wrapper!r}", config.shown, line))
            )
    for name in WRAPPER_VARIABLES:
        if facts.env.get(name):
            found.append((facts.env[name], Evidence(f"{name}={facts.env[name]}", "environment")))
    if not found:
        return
    wrapper, evidence = found[-1]  # the environment wins over the files, a deeper file wins
    if not wrapper or which(wrapper) is not None:
        return
    yield Finding(
        "builds.rustc-wrapper-missing",
        "P1",
        "error",
        f"the rustc wrapper {wrapper!r} is configured but not found: builds fail or go uncached",
        (evidence,),
        f"install {wrapper} (e.g. `cargo install {wrapper}`), or remove the setting from "
        f"{evidence.source}" + (f" (line {evidence.line})" if evidence.line else ""),
    )


# Linkers faster than the system default, in the order they are suggested.
FAST_LINKERS = (("mold", "mold"), ("ld.lld", "lld"))
# `-fuse-ld=NAME` runs `ld.NAME` (mold also answers to its own name).
FUSE_LD_PROGRAMS = {"lld": "ld.lld", "gold": "ld.gold", "bfd": "ld.bfd", "mold": "mold"}
_FUSE_LD = re.compile(r"-fuse-ld=([\w./+-]+)")


def _linker_settings(facts: Facts) -> list[tuple[str, Evidence]]:
    """What chooses the linker: `linker` of a `[target.*]` table and `-fuse-ld=` in rustflags
    (`[build]`, `[target.*]`, `RUSTFLAGS`, `CARGO_ENCODED_RUSTFLAGS`)."""
    found: list[tuple[str, Evidence]] = []
    for config in facts.cargo_configs:
        data = config.data or {}
        targets = data.get("target")
        for triple, table in targets.items() if isinstance(targets, Mapping) else ():
            if isinstance(table, Mapping) and isinstance(table.get("linker"), str):
                line = toml_line(config.text, ("target", triple), "linker")
                text = f"[target.{triple}] linker = {table['linker']!r}"
                found.append((table["linker"], Evidence(text, config.shown, line)))
        for number, text in matches(config.text, _FUSE_LD):
            for name in _FUSE_LD.findall(text):
                found.append((name, Evidence(text, config.shown, number)))
    for name in ("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"):
        for used in _FUSE_LD.findall(facts.env.get(name, "")):
            found.append((used, Evidence(f"{name}: -fuse-ld={used}", "environment")))
    return found


def linker(facts: Facts, *, which: Which) -> Iterator[Finding]:
    """A configured linker that is not installed (every link fails); or none configured while a
    faster one than the system's is installed."""
    configured = _linker_settings(facts)
    for name, evidence in configured:
        program = FUSE_LD_PROGRAMS.get(name, name)
        if which(program) is None:
            yield Finding(
                "builds.linker-missing",
                "P1",
                "error",
                f"the linker {name!r} is configured but not found: every link fails",
                (evidence,),
                f"install {program}, or remove the setting from {evidence.where}",
            )
    if configured:
        return
    for program, short in FAST_LINKERS:
        if which(program) is not None:
            yield Finding(
                "builds.default-linker",
                "P2",
                "note",
                f"{short} is installed but the system's default linker is in use",
                (Evidence(f"{program} found on the PATH; no linker set in cargo's config"),),
                f'add `rustflags = ["-C", "link-arg=-fuse-ld={short}"]` under [build] in '
                ".cargo/config.toml (measure with `perf-tasks baseline` before and after)",
                Impact("not measured: linking is most of an incremental test build"),
            )
            return
