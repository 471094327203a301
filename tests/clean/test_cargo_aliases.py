"""An alias of an external subcommand in the stale commands is found however cargo finds it: cargo
itself is asked (`cargo help NAME`), so a config file's `include`s, `$CARGO_HOME` and a chain of
aliases are all seen, and the workspace's binary never runs. Real cargo on a one-package
workspace."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import package, perf, write

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

MAIN = """fn main() {
    let mark = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hijacked");
    std::fs::write(mark, "the workspace's binary ran").unwrap();
}
"""
RUN = "run -p demo-cli --"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = package(tmp_path / "ws", "demo-cli")
    write(root / "src" / "main.rs", MAIN)
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    write(root / "perf-tasks.toml", '[stale]\ncommands = [["cargo", "clippy", "--workspace"]]\n')
    return root


@pytest.mark.parametrize(
    ("files", "home"),
    [
        # the case: the alias in a file the workspace's config includes
        (
            {
                "ws/.cargo/config.toml": 'include = ["extra.toml"]\n',
                "ws/.cargo/extra.toml": f'[alias]\nclippy = "{RUN}"\n',
            },
            False,
        ),
        # a parent dir's config that includes a file in a folder of its own, as an array
        (
            {
                ".cargo/config.toml": 'include = ["more/aliases.toml"]\n',
                ".cargo/more/aliases.toml": f"[alias]\nclippy = {RUN.split()!r}\n".replace(
                    "'", '"'
                ),
            },
            False,
        ),
        # $CARGO_HOME's config, through an include, and a chain of two aliases
        (
            {
                "home/config.toml": 'include = ["aliases.toml"]\n',
                "home/aliases.toml": f'[alias]\nclippy = "lint"\nlint = "{RUN}"\n',
            },
            True,
        ),
    ],
    ids=["include", "parent-include-array", "cargo-home-chain"],
)
def test_an_alias_of_clippy_is_refused_before_anything_runs(
    ws: Path, tmp_path: Path, files: dict[str, str], home: bool
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    env = {"CARGO_HOME": str(tmp_path / "home")} if home else {}
    proc = perf("clean", "--dry-run", "--root", str(ws), env=env)
    assert not (ws / "hijacked").exists(), "the alias ran the workspace's binary"
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    if home:  # `cargo help` fails on an alias of an alias: that it cannot tell is a refusal
        assert "cannot tell whether `cargo clippy` is an alias" in lines[0], proc.stderr
    else:
        assert "redefines `cargo clippy`" in lines[0], proc.stderr
        assert f"`{RUN}`" in lines[0]  # what cargo resolves it to
    assert not (ws / "target" / "debug" / "demo-cli").exists()  # nothing was built
