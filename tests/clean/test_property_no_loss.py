"""Whatever is configured, nothing outside the configured output dirs and cargo's dirs changes.

Hypothesis generates output paths (odd spellings of `.`, `..` and `~`, links, deep, long and
non-UTF-8 names) and stale-sweep commands. Each example loads them as the tool does, and when they
load, runs every cleaning mode for real on a fresh copy of a workspace that holds everything that
must survive: tracked files (some inside the outputs), `.git`, the manifest and sources, another
repository inside a run, links to outside folders. A snapshot of the whole tree before and after
must differ only inside the allowed folders, and never in a tracked file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from helpers import age, git, tiny_workspace, write
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from perf_tasks import workspace
from perf_tasks.cargo.messages import ALLOWED_SUBCOMMANDS
from perf_tasks.clean import run
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard
from perf_tasks.errors import ConfigError
from perf_tasks.settings import parse
from perf_tasks.workspace import Workspace

MODES = ("nuke", "runs", "artifacts", "cache")
TRACKED_IN_OUTPUTS = ("output/scg/run00/tracked.txt", "artifacts/old/tracked.json")


def build_template(base: Path) -> Path:
    root = tiny_workspace(base / "ws")
    write(root / "notes.txt", "untracked notes at the root")
    for i in range(12):
        write(root / "output" / "scg" / f"run{i:02d}" / "log.txt")
    deep = root / "output" / "scg" / "run01"
    for i in range(30):
        deep = deep / f"level-{i:02d}-{'d' * 60}"
    write(deep / "bottom.bin")
    write(root / "output" / "scg" / "run02" / ("L" * 250))
    write(Path(os.fsdecode(bytes(root / "output" / "scg" / "run03") + b"/caf\xe9")))
    write(root / "output" / "scg" / "run04" / "repo" / "mine.txt", "not ours")
    git("init", "-q", cwd=root / "output" / "scg" / "run04" / "repo")
    write(root / "cache" / "blob")
    write(root / "artifacts" / "old" / "bench.json")
    (base / "outside").mkdir()
    write(base / "outside" / "precious.txt", "outside the workspace")
    for i in range(12):  # what an old run folder looks like, reached through a link
        write(base / "outside" / f"run{i:02d}" / "old.json", "outside the workspace")
    age(base / "outside", 30)
    (root / "output" / "scg" / "run05" / "to-outside").symlink_to(base / "outside")
    (root / "link-out").symlink_to(base / "outside")
    (root / "link-root").symlink_to(".")
    for rel in TRACKED_IN_OUTPUTS:
        write(root / rel, "tracked")
    write(root / ".gitignore", "target/\noutput/\ncache/\nartifacts/\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("add", "-f", *TRACKED_IN_OUTPUTS, cwd=root)
    git("commit", "-qm", "init", cwd=root)
    write(root / "draft.txt", "untracked notes, written after the commit")
    age(root / "draft.txt", 30)
    age(root / "output", 30)
    age(root / "artifacts", 30)
    return root


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template"))


def snapshot(top: Path) -> dict[str, tuple[str, int, bytes]]:
    seen: dict[str, tuple[str, int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(top)):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st_ = os.lstat(path)
            if os.path.islink(path):
                seen[os.fsdecode(path)] = ("link", 0, os.readlink(path))
            elif os.path.isdir(path):
                seen[os.fsdecode(path)] = ("dir", 0, b"")
            else:
                with open(path, "rb") as f:
                    seen[os.fsdecode(path)] = ("file", st_.st_size, f.read(64))
    return seen


SPELLINGS = [
    ".",
    "./",
    ".//",
    "..",
    "../x",
    "~",
    "~/x",
    "a/..",
    "./.",
    "output/scg",
    "output//scg/",
    "./cache",
    "cache/../artifacts",
    "link-out",
    "link-out/x",
    "link-root",
    "link-root/cache",
    ".git",
    ".git/objects",
    "src",
    "target",
    "target/debug",
    "notes.txt",
    "draft.txt",
    "./draft.txt",
    "Cargo.toml",
    "/".join(["deep"] * 40),
    "n" * 250,
    "\u00e9t\u00e9/\u00fcber",
    "output/scg/run04",
]
path_values = st.one_of(
    st.sampled_from(SPELLINGS),
    st.text(alphabet="./~ac", max_size=8),
)
words = st.sampled_from(
    [
        "build",
        "check",
        "test",
        "bench",
        "clippy",
        "fix",
        "run",
        "clean",
        "install",
        "+nightly",
        "--config",
        "alias.clippy='fix'",
        "--workspace",
        "--no-run",
        "--fix",
        "--allow-dirty",
        "-Z",
        "--target-dir",
        "/tmp",
        "--",
        "-D",
        "warnings",
        "-p",
        "tiny",
        "--release",
    ]
)
valid_commands = st.sampled_from(
    [
        ["cargo", "build", "--workspace"],
        ["cargo", "test", "--workspace", "--no-run"],
        ["cargo", "clippy", "--", "-D", "warnings"],
    ]
)
random_commands = st.lists(words, max_size=5).map(lambda w: ["cargo", *w])
commands = st.one_of(
    st.lists(valid_commands, max_size=2),
    st.lists(st.one_of(valid_commands, random_commands), max_size=3),
)
# Most examples should load and run: a third of the paths are plain folder names.
path_values = st.one_of(path_values, st.sampled_from(["output/scg", "cache", "artifacts", "out"]))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    outputs=st.fixed_dictionaries(
        {},
        optional={"output_scg": path_values, "cache": path_values, "artifacts": path_values},
    ),
    stale_commands=commands,
)
@example(outputs={"output_scg": "link-out"}, stale_commands=[])
@example(outputs={"artifacts": "link-out"}, stale_commands=[])
@example(outputs={"cache": "link-out/run00"}, stale_commands=[])
@example(outputs={"cache": "link-root/cache"}, stale_commands=[])
@example(outputs={"cache": "./", "artifacts": "a/.."}, stale_commands=[])
@example(outputs={"output_scg": "output/scg/run04"}, stale_commands=[])
@example(outputs={"cache": "draft.txt"}, stale_commands=[])
def test_nothing_changes_outside_the_allowed_folders(
    template: Path, outputs: dict[str, str], stale_commands: list[list[str]]
) -> None:
    try:
        config = parse(
            {"outputs": outputs, "stale": {"commands": stale_commands}}, source="generated"
        )
    except ConfigError:
        event("refused when loaded")
        return  # refused when loaded: nothing ran
    for argv in config.stale.commands:  # what loads is on the allowlist
        assert argv[1] in ALLOWED_SUBCOMMANDS
        assert not {"--fix", "--config", "fix", "-Z", "--target-dir"} & set(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shutil.copytree(template.parent, base, symlinks=True, dirs_exist_ok=True)
        root = base / "ws"
        (root / "link-out").unlink()
        (root / "link-out").symlink_to(base / "outside")
        (root / "output" / "scg" / "run05" / "to-outside").unlink()
        (root / "output" / "scg" / "run05" / "to-outside").symlink_to(base / "outside")
        ws = Workspace(
            root,
            root / "target",
            root / "target",
            (root / "Cargo.toml",),
            (root / "src" / "lib.rs",),
        )
        before = snapshot(base)
        try:
            guard = Guard.for_workspace(ws, config)
        except ConfigError:
            event("refused by the workspace checks")
            assert snapshot(base) == before
            return
        event("ran every mode")
        for mode in MODES:
            plan, scanned = run.plan(mode, guard, config, now=time.time())
            run.execute(plan, scanned, guard, dry_run=False)
        after = snapshot(base)
    allowed = [str(root / config.output_path(name)) for name in config.output_names()] + [
        str(root / "target"),
        str(root / TRASH_DIR),
    ]
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    for path in changed:
        assert any(path == a or path.startswith(a + "/") for a in allowed), path
        assert "/.git/" not in path and not path.endswith("/.git"), path
    for rel in TRACKED_IN_OUTPUTS:
        assert after.get(str(root / rel)) == before[str(root / rel)]
    # What is never an output, even when an output names it: a file at the root (tracked or not),
    # the manifest, the sources.
    for rel in ("notes.txt", "draft.txt", "Cargo.toml", "src/lib.rs"):
        assert after.get(str(root / rel)) == before[str(root / rel)], rel
    assert (
        after[str(root / "target" / "CACHEDIR.TAG")]
        == before[str(root / "target" / "CACHEDIR.TAG")]
    )


def test_the_template_workspace_is_what_cargo_says(template: Path) -> None:
    loaded = workspace.load(template)
    assert loaded.target_dir == template / "target"
    assert loaded.manifests == (template / "Cargo.toml",)
    assert loaded.sources == (template / "src" / "lib.rs",)
