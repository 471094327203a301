"""A dry run never compiles, however quiet cargo is told to be: the probe sees cargo's `Compiling`
line and stops it there, whatever the cargo config files, the environment or the configured
commands say. Real cargo on copies of the built demo workspace, with one crate edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cargo
from helpers import perf, write

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

QUIET = "[term]\nquiet = true\n"


@pytest.mark.parametrize(
    ("files", "env", "commands"),
    [
        # the three spellings
        ({".cargo/config.toml": QUIET}, {}, None),
        ({}, {"CARGO_TERM_QUIET": "true"}, None),
        ({}, {}, '[["cargo", "build", "-q", "--workspace"]]'),
        # variants: a config file that an include pulls in, one in a parent dir; the long flag
        # with a message format of the command's own
        (
            {".cargo/config.toml": 'include = ["quiet.toml"]\n', ".cargo/quiet.toml": QUIET},
            {},
            None,
        ),
        ({"../.cargo/config.toml": QUIET}, {}, None),
        (
            {},
            {},
            '[["cargo", "check", "--quiet", "--message-format", "json-render-diagnostics", '
            '"--workspace"]]',
        ),
    ],
    ids=["config", "env", "-q", "include", "parent", "--quiet+format"],
)
def test_a_dry_run_compiles_nothing_when_cargo_is_quiet(
    demo_copy: Path, files: dict[str, str], env: dict[str, str], commands: str | None
) -> None:
    ws = demo_copy
    cargo("build", "--workspace", "--quiet", cwd=ws)  # a copy at a new path may rebuild: settle
    cargo("check", "--workspace", "--quiet", cwd=ws)
    for name, text in files.items():
        write(ws / name, text)
    if commands is not None:
        write(ws / "perf-tasks.toml", f"[stale]\ncommands = {commands}\n")
    lib = ws / "crates" / "demo-core" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n// edited\n")
    deps = ws / "target" / "debug" / "deps"
    before = {p.name: p.stat().st_mtime_ns for p in deps.iterdir()}

    proc = perf("clean", "--dry-run", "--root", str(ws), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "would compile" in proc.stdout, proc.stdout
    # cargo was stopped before rustc wrote anything (cargo itself may drop the rlib it is about
    # to rebuild: the next build makes it anyway)
    after = {p.name: p.stat().st_mtime_ns for p in deps.iterdir()}
    assert after.items() <= before.items(), sorted(set(after.items()) - set(before.items()))
