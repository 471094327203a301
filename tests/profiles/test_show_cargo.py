"""`profiles.show` against cargo itself: for each source cargo reads, a value set there is the one
`profiles.show` reports and the flag cargo passes to rustc (`cargo build -v`, one small crate)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO

from perf_tasks.profiles import resolve
from perf_tasks.profiles.model import normal

pytestmark = pytest.mark.cargo


def rustc_flags(root: Path, env: dict[str, str], *args: str) -> set[str]:
    """The `-C key=value` flags of demo-core's rustc command line."""
    proc = subprocess.run(
        ["cargo", "build", "-v", "-p", "demo-core", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (line,) = [ln for ln in proc.stderr.splitlines() if "--crate-name demo_core" in ln]
    return {m.rstrip("`") for m in re.findall(r"-C ([a-z-]+=\S*)", line)}


def expected_flags(profile: resolve.Profile) -> dict[str, str | None]:
    """The flags cargo derives from a profile: present with a value, or absent (None)."""
    values = {k: v.value for k, v in profile.values.items()}
    opt = values["opt-level"]
    debug = normal("debug", values["debug"])
    assertions, overflow = values["debug-assertions"], values["overflow-checks"]
    units = profile.values["codegen-units"]
    return {
        "opt-level": None if opt == 0 else str(opt),
        "debuginfo": None if debug == 0 else str(debug),
        "strip": None if values["strip"] == "none" else str(values["strip"]),
        "incremental": "on" if values["incremental"] else None,
        # rustc's own default is on without optimisation: cargo passes it only when it differs
        "debug-assertions": None if assertions == (opt == 0) else ("on" if assertions else "off"),
        # ... and overflow checks follow debug assertions unless told otherwise
        "overflow-checks": None if overflow == assertions else ("on" if overflow else "off"),
        "codegen-units": None if units.source == resolve.DEFAULT else str(units.value),
    }


def found_flags(flags: set[str]) -> dict[str, str | None]:
    by_key = dict(f.split("=", 1) for f in flags)
    return {
        "opt-level": by_key.get("opt-level"),
        "debuginfo": by_key.get("debuginfo"),
        "strip": by_key.get("strip"),
        "incremental": "on" if "incremental" in by_key else None,
        "debug-assertions": by_key.get("debug-assertions"),
        "overflow-checks": by_key.get("overflow-checks"),
        "codegen-units": by_key.get("codegen-units"),
    }


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, copied under a parent folder of its own (for a parent's .cargo/config.toml)."""
    parent = tmp_path_factory.mktemp("parent")
    root = parent / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target"))
    return root


def base_env(ws: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO_PROFILE_")}
    env.pop("CARGO_INCREMENTAL", None)
    env.pop("CARGO_BUILD_INCREMENTAL", None)
    env["CARGO_HOME"] = str(ws.parent / "cargo-home")
    return env


def check(
    ws: Path, env: dict[str, str], *, name: str = "dev", config: tuple[str, ...] = ()
) -> resolve.Profile:
    """Build with cargo and resolve with `profiles.show`'s code: the flags must agree."""
    cargo_args = [a for c in config for a in ("--config", c)]
    if name != "dev":
        cargo_args += ["--profile", name]
    flags = found_flags(rustc_flags(ws, env, *cargo_args))
    shown = resolve.resolve(ws, env=env, config_args=config)
    profile = next(p for p in shown.profiles if p.name == name)
    assert expected_flags(profile) == flags
    return profile


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_each_source_sets_what_rustc_gets(ws: Path) -> None:
    env = base_env(ws)
    # Cargo.toml, then a parent folder's config (config files beat the manifest).
    with (ws / "Cargo.toml").open("a", encoding="utf-8") as f:
        f.write("\n[profile.dev]\nopt-level = 2\ndebug = 1\n")
    write(ws.parent / ".cargo" / "config.toml", "[profile.dev]\nopt-level = 3\n")
    dev = check(ws, env)
    assert dev.values["opt-level"].source == str(ws.parent / ".cargo" / "config.toml")
    assert (dev.values["debug"].value, dev.values["debug"].source) == (1, "Cargo.toml")

    # The root's config beats its parent's; $CARGO_HOME's beats the manifest; no debug info: strip.
    write(ws / ".cargo" / "config.toml", "[profile.dev]\nopt-level = 1\n")
    write(Path(env["CARGO_HOME"]) / "config.toml", "[profile.dev]\ndebug = 0\n")
    dev = check(ws, env)
    assert dev.values["opt-level"].source == ".cargo/config.toml"
    assert dev.values["debug"].source == "$CARGO_HOME/config.toml"
    assert dev.values["strip"].value == "debuginfo"

    # The environment beats the config files; CARGO_INCREMENTAL beats every profile.
    env_more = {**env, "CARGO_PROFILE_DEV_OPT_LEVEL": "2", "CARGO_PROFILE_DEV_DEBUG": "2"}
    env_more["CARGO_INCREMENTAL"] = "0"
    dev = check(ws, env_more)
    assert dev.values["opt-level"].source == "CARGO_PROFILE_DEV_OPT_LEVEL"
    assert dev.values["incremental"].source == "CARGO_INCREMENTAL"

    # --config beats the environment; a --config file is read as cargo reads it.
    dev = check(ws, env_more, config=("profile.dev.opt-level=3",))
    assert dev.values["opt-level"].source == "--config"
    write(ws / "more.toml", "[profile.dev]\ncodegen-units = 4\ndebug-assertions = false\n")
    env_more["CARGO_PROFILE_DEV_OVERFLOW_CHECKS"] = "true"
    dev = check(ws, env_more, config=("more.toml", "profile.dev.opt-level=2"))
    assert dev.values["codegen-units"] == resolve.Value(4, "--config", "dev")
    assert dev.values["debug-assertions"].value is False


def test_a_profile_only_the_environment_defines(ws: Path) -> None:
    """`CARGO_PROFILE_QUICK_BUILD_INHERITS=dev` alone is enough for `cargo build --profile
    quick-build`: profiles.show lists it too."""
    env = {
        **base_env(ws),
        "CARGO_PROFILE_QUICK_BUILD_INHERITS": "dev",
        "CARGO_PROFILE_QUICK_BUILD_OPT_LEVEL": "2",
    }
    quick = check(ws, env, name="quick-build")
    assert quick.chain == ("quick-build", "dev")
    assert quick.values["opt-level"] == resolve.Value(
        2, "CARGO_PROFILE_QUICK_BUILD_OPT_LEVEL", "quick-build"
    )


def test_the_team_profile_ci_as_cargo_builds_it(ws: Path) -> None:
    env = base_env(ws)
    root = ws.parent / "ci-demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "perf_tasks",
            "profiles.apply",
            "--profile",
            "ci",
            "--root",
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    ci = check(root, env, name="ci")
    assert ci.chain == ("ci", "dev")
    assert ci.values["debug-assertions"].value is True  # inherited from dev, not release
    proc = subprocess.run(
        [sys.executable, "-m", "perf_tasks", "profiles.show", "--json", "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)["profiles"]["ci"]
    assert shown["inherits"] == ["dev"]
    assert shown["values"]["opt-level"] == {"value": 1, "source": "Cargo.toml", "profile": "ci"}
    assert shown["values"]["overflow-checks"] == {
        "value": True,
        "source": "default",
        "profile": "dev",
    }
