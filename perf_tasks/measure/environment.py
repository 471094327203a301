"""The environment a record was measured in: machine, OS, toolchain, sources, load.

Two records compare strictly only when `COMPARABLE` agrees between them. The build environment is
an allowlist (`is_build_variable`, documented in docs/usage/baseline.md): the variables that change
what cargo builds or how the tests run. A display setting (`CARGO_TERM_*`, nextest's status levels
and progress bar, colours) is never one, and neither is a variable the tool's own command lines
override; no variable whose name suggests a secret is recorded.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ToolMissing
from perf_tasks.quantities import plural

# The keys that must agree for a strict comparison: the same CPU and the same toolchain.
COMPARABLE = ("cpu_model", "cpu_cores", "os", "rustc", "cargo", "nextest")

# What changes what is built: compiler flags, the compiler and its wrappers, cargo's profiles, the
# target, codegen and linking, the jobs (parallelism changes every time), unstable features.
_BUILD_VARIABLES = frozenset(
    {
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_BOOTSTRAP",
        "CARGO_INCREMENTAL",
        "CARGO_BUILD_JOBS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_RUSTDOCFLAGS",
        "CARGO_BUILD_RUSTC",
        "CARGO_BUILD_RUSTDOC",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_INCREMENTAL",
        "CARGO_HOST_RUSTFLAGS",
        "CARGO_HOST_LINKER",
        # how the tests run: their threads (cargo test's, nextest's)
        "RUST_TEST_THREADS",
        "NEXTEST_TEST_THREADS",
    }
)
_BUILD_PATTERN = re.compile(
    r"^(CARGO_PROFILE_\w+|CARGO_UNSTABLE_\w+"
    r"|CARGO_TARGET_\w+_(RUSTFLAGS|RUSTDOCFLAGS|LINKER|RUNNER))$"
)
# The machine counts as busy when its 1-minute load exceeds this share of its cores.
BUSY_LOAD_PER_CORE = 0.5
_SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|CREDENTIAL|_KEY", re.IGNORECASE)
# Paths that locate cargo's dirs: which caches a build finds, and what the target dir's size means.
# Recorded relative to the workspace root when inside it.
_PATH_ENV = {"CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR"}


def fingerprint(
    *,
    root: Path,
    cargo: str,
    env: Mapping[str, str],
    nextest: str | None,
    exclude_from_dirty: str | None = None,
) -> dict[str, Any]:
    """Everything that explains a figure. Reads files and runs a few quick version commands."""
    load = _loadavg()
    return {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count() or 0,
        "cpu_cores_physical": _physical_cores(),
        "ram_bytes": _ram_bytes(),
        "os": platform.system(),
        "os_release": _os_release(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "rustc": _first_line([_rustc(cargo, env), "-V"], root, env),
        "cargo": _first_line([cargo, "-V"], root, env),
        "nextest": nextest,
        "cargo_lock_sha256": _sha256(root / "Cargo.lock"),
        "git": _git(root, env, exclude=exclude_from_dirty),
        "load_average": load,
        "build_env": build_env(env, root=root),
    }


def is_build_variable(name: str) -> bool:
    """Whether `name` is build environment: it changes what cargo builds, how the tests run, or
    where cargo keeps its outputs (`CARGO_TARGET_DIR`, ...). Anything else, a display setting
    above all, is not; nor is a NEXTEST_* variable the tool's command line overrides (`--retries`,
    `--profile`, `--no-tests`, `--flaky-result`: `nextest.PINNED_RUN`)."""
    if _SECRET.search(name):
        return False
    return name in _PATH_ENV or name in _BUILD_VARIABLES or bool(_BUILD_PATTERN.match(name))


def build_env(env: Mapping[str, str], *, root: Path) -> dict[str, str]:
    """The build environment (`is_build_variable`) of `env`. Cargo's dirs are written relative to
    `root` when inside it."""
    found = {}
    for name, value in sorted(env.items()):
        if name in _PATH_ENV:
            found[name] = _path_text(value, root)
        elif is_build_variable(name):
            found[name] = value
    return found


def _path_text(value: str, root: Path) -> str:
    path = Path(value) if Path(value).is_absolute() else root / value
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The `COMPARABLE` keys on which two environments disagree, as `key: old -> new`."""
    found = []
    for key in COMPARABLE:
        if old.get(key) != new.get(key):
            found.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    return found


def busy_note(load_average: Sequence[float] | None, cores: int | None) -> str | None:
    """`a busy machine (load 3.10 on 2 cores)` when the 1-minute load passed half the cores."""
    cores = cores or 1
    if load_average and load_average[0] > BUSY_LOAD_PER_CORE * cores:
        return f"a busy machine (load {load_average[0]:.2f} on {plural(cores, 'core')})"
    return None


def cpu_model() -> str:
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _physical_cores() -> int | None:
    import psutil

    return psutil.cpu_count(logical=False)


def _ram_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().total)


def _os_release() -> str | None:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.platform()
    for line in text.splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip().strip('"')
    return platform.platform()


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _rustc(cargo: str, env: Mapping[str, str]) -> str:
    """The rustc cargo uses: `$RUSTC`, else the one beside cargo, else `rustc` on PATH."""
    if env.get("RUSTC"):
        return env["RUSTC"]
    beside = Path(cargo).with_name("rustc")
    return str(beside) if beside.is_file() else "rustc"


def _first_line(argv: list[str], cwd: Path, env: Mapping[str, str]) -> str | None:
    return command.first_line(argv, cwd=cwd, env=env)


def _sha256(path: Path) -> str | None:
    from perf_tasks.fs.regular import read_bytes

    try:
        return hashlib.sha256(read_bytes(path)).hexdigest()  # a FIFO: None, never a hang
    except OSError:
        return None


def _git(root: Path, env: Mapping[str, str], *, exclude: str | None) -> dict[str, Any] | None:
    """HEAD and whether the workspace has changes (our own record dir does not count)."""

    def git(*args: str) -> command.Output | None:
        try:
            return command.run(["git", *args], cwd=root, env=env, timeout_s=60)
        except (CommandFailed, ToolMissing):
            return None

    head = git("rev-parse", "HEAD")
    if head is None:
        return None
    # Our run lock is ours, not a change to the code.
    pathspec = ["--", ".", ":(exclude,top).perf-tasks.lock", ":(exclude).perf-tasks.lock"]
    if exclude:
        pathspec.append(f":(exclude){exclude}")
    status = git("status", "--porcelain", "--untracked-files=normal", *pathspec)
    dirty = None if status is None else bool(status.stdout.strip())
    return {"commit": head.stdout.strip(), "dirty": dirty}
