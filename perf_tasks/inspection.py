"""One look at the workspace and the machine before anything is planned or measured.

`inspect` asks cargo where the workspace builds, reads its metadata, and finds cargo-nextest. The
environment the commands then run with is part of the answer: the `[nextest]` extra installs
cargo-nextest beside this Python's scripts, which need not be on PATH (`python3 -m invoke` works
without them). cargo-nextest is found where cargo would find it and run as itself, never through
`cargo nextest`, which a cargo alias could redefine.
"""

from __future__ import annotations

import os
import sysconfig
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_tasks import workspace as workspace_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.workspace import Workspace


@dataclass(frozen=True)
class Inspection:
    """What planning needs to know about the workspace and the machine."""

    workspace: Workspace
    cargo: str  # the program to run
    metadata: Mapping[str, Any]  # `cargo metadata --no-deps`
    nextest: str | None  # its version, None when it is not installed
    nextest_config: Mapping[str, Any]  # the workspace's .config/nextest.toml
    tmp_dir: Path
    nextest_path: str | None = None  # where cargo-nextest was found ($CARGO_HOME/bin, PATH)
    env: Mapping[str, str] = field(default_factory=dict)  # what every command runs with

    @property
    def nextest_program(self) -> str:
        """The cargo-nextest to run (`nextest_runs.argv`)."""
        return self.nextest_path or nextest_runs.PROGRAM

    @property
    def root(self) -> Path:
        return self.workspace.root

    def as_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "target_dir": str(self.workspace.target_dir),
            "build_dir": str(self.workspace.build_dir),
            "cargo": self.cargo,
            "nextest": {"version": self.nextest, "path": self.nextest_path},
        }


def inspect(root: Path, *, env: Mapping[str, str]) -> Inspection:
    """Ask cargo and nextest about `root`, with `env` plus the PATH the `[nextest]` extra needs."""
    env = tool_env(env, scripts=sysconfig.get_path("scripts"))
    cargo = workspace_mod.cargo_program(env)
    nextest_path = nextest_runs.find(env)
    return Inspection(
        workspace=workspace_mod.load(root, env=env),
        cargo=cargo,
        metadata=workspace_mod.cargo_metadata(root, env=env),
        nextest=nextest_runs.version(nextest_path, cwd=root, env=env),
        nextest_config=nextest_runs.workspace_config(root),
        tmp_dir=Path(tempfile.gettempdir()),
        nextest_path=nextest_path,
        env=env,
    )


def tool_env(env: Mapping[str, str], *, scripts: str | None) -> dict[str, str]:
    """`env` with this Python's scripts dir at the end of PATH, where the extra installs nextest."""
    out = dict(env)
    path = out.get("PATH", "").split(os.pathsep)
    if scripts and scripts not in path:
        out["PATH"] = os.pathsep.join([*path, scripts]) if path != [""] else scripts
    return out
