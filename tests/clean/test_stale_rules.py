"""The stale sweep's rules on plain values and hand-made folders: names, commands, messages,
incremental sessions, unused profiles. No cargo runs here (tests/test_stale_sweep.py has those)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import tiny_workspace, write

from perf_tasks.cargo import incremental, layout
from perf_tasks.cargo.incremental import Session
from perf_tasks.cargo.messages import (
    Artifact,
    Finished,
    ScriptRun,
    check_command,
    json_command,
    parse_line,
    status_word,
)
from perf_tasks.clean import model
from perf_tasks.clean.modes.target import unused_outputs
from perf_tasks.errors import ConfigError
from perf_tasks.settings import parse
from perf_tasks.workspace import Workspace

H1 = "0123456789abcdef"
H2 = "fedcba9876543210"

# ------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"libfoo-{H1}.rlib", ("libfoo", H1)),
        (f"foo_bar-{H1}", ("foo_bar", H1)),
        (f"foo-{H1}.foo.abc-cgu.0.rcgu.o", ("foo", H1)),
        (f"a-{H2}-{H1}.d", (f"a-{H2}", H1)),
        ("foo", None),
        ("libfoo.rlib", None),
        ("foo-0123abcd.rlib", None),  # not a 16-digit cargo hash
        (f"foo-{H1.upper()}", None),
    ],
)
def test_split_hashed(name: str, expected: tuple[str, str] | None) -> None:
    assert layout.split_hashed(name) == expected


def test_hash_of_reads_both_layouts_and_nothing_else(tmp_path: Path) -> None:
    area = tmp_path / "debug"
    assert layout.hash_of(area / "deps" / f"libfoo-{H1}.rlib", area) == H1
    assert layout.hash_of(area / "examples" / f"ex-{H1}", area) == H1
    assert layout.hash_of(area / ".fingerprint" / f"foo-{H1}" / "lib-foo", area) == H1
    assert layout.hash_of(area / "build" / f"foo-{H1}" / "out", area) == H1
    assert layout.hash_of(area / "build" / "foo" / H2 / "out" / "libfoo.rlib", area) == H2
    # a package whose name ends like a hash, in the new layout: the hash dir wins
    assert layout.hash_of(area / "build" / f"foo-{H1}" / H2 / "out", area) == H2
    assert layout.hash_of(area / "foo", area) is None  # uplifted
    assert layout.hash_of(area / "examples" / "ex", area) is None
    assert layout.hash_of(area / "incremental" / "foo-1x2y" / "s-a", area) is None
    assert layout.hash_of(tmp_path / "elsewhere" / f"foo-{H1}", area) is None


def test_list_units_classic_new_and_mixed(tmp_path: Path) -> None:
    area = tmp_path / "debug"
    write(area / "deps" / f"libfoo-{H1}.rlib")
    write(area / "deps" / "rmeta-temp")  # no hash: not a unit, not a problem
    write(area / ".fingerprint" / f"foo-{H1}" / "lib-foo")
    write(area / "build" / f"bar-{H1}" / "output")
    write(area / "build" / "baz" / H2 / "fingerprint" / "lib-baz")
    write(area / "build" / "baz" / H1 / "out" / "libbaz.rlib")
    write(area / "examples" / "ex")  # an uplifted example
    listing = layout.list_units(area)
    assert listing.problems == ()
    got = {(e.path.relative_to(area).as_posix(), e.hash, e.layout) for e in listing.entries}
    assert got == {
        (f"deps/libfoo-{H1}.rlib", H1, layout.CLASSIC),
        (f".fingerprint/foo-{H1}", H1, layout.CLASSIC),
        (f"build/bar-{H1}", H1, layout.CLASSIC),
        (f"build/baz/{H2}", H2, layout.NEW),
        (f"build/baz/{H1}", H1, layout.NEW),
    }
    assert listing.layouts == {layout.CLASSIC, layout.NEW}


@pytest.mark.parametrize(
    "odd",
    [
        "build/weird/notahash/file",  # a package dir whose child is no unit
        "build/loose-file",  # a file where unit dirs go
        f"build/pkg/{H1}/surprise/file",  # a hash dir holding more than fingerprint/out/run
        ".fingerprint/no-hash/lib-x",
    ],
)
def test_list_units_reports_what_fits_no_layout(tmp_path: Path, odd: str) -> None:
    area = tmp_path / "debug"
    write(area / "deps" / f"libfoo-{H1}.rlib")
    write(area / odd)
    assert layout.list_units(area).problems, odd


# ---------------------------------------------------------------------------------- commands


def test_json_command_adds_json_and_lock_flags_once_before_dashdash() -> None:
    assert json_command(["cargo", "build", "--workspace"], program="/x/cargo") == [
        "/x/cargo",
        "build",
        "--workspace",
        "--message-format=json",
        "--config",
        "term.quiet=false",
        "--locked",
        "--offline",
    ]
    assert json_command(
        [
            "cargo",
            "test",
            "--no-run",
            "--frozen",
            "--message-format=json-diagnostic-short",
            "--",
            "x",
        ],
        program="cargo",
    ) == [
        "cargo",
        "test",
        "--no-run",
        "--frozen",
        "--message-format=json",  # ours, not the command's
        "--config",
        "term.quiet=false",
        "--",
        "x",
    ]
    assert json_command(["cargo", "+stable", "check", "--locked"], program="cargo") == [
        "cargo",
        "+stable",
        "check",
        "--locked",
        "--message-format=json",
        "--config",
        "term.quiet=false",
        "--offline",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["cargo", "build", "-q", "--workspace"],
        ["cargo", "check", "--quiet", "--message-format", "json-render-diagnostics"],
        ["cargo", "clippy", "--message-format=json-diagnostic-short", "-q", "--", "-Dwarnings"],
    ],
)
def test_json_command_takes_out_quiet_and_the_commands_own_message_format(
    argv: list[str],
) -> None:
    full = json_command(argv, program="cargo")
    head = full[: full.index("--")] if "--" in full else full
    assert not {"-q", "--quiet"} & set(head), full
    assert [w for w in head if w.startswith("--message-format")] == ["--message-format=json"]
    assert head[head.index("--config") + 1] == "term.quiet=false"
    assert "json-render-diagnostics" not in full


@pytest.mark.parametrize(
    "argv",
    [
        ["cargo", "build", "--workspace"],
        ["cargo", "test", "--workspace", "--no-run"],
        ["cargo", "check", "--workspace", "--all-targets", "-p", "foo", "-Fserde", "-j", "2"],
        ["cargo", "build", "--message-format", "json"],
        ["cargo", "bench", "--no-run", "--bench", "speed"],
        ["cargo", "test", "--no-run", "--release", "some_filter", "--", "--ignored"],
        ["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        ["cargo", "clippy", "--no-deps", "--", "-Dclippy::all", "-W", "clippy::pedantic"],
    ],
)
def test_good_commands_pass(argv: list[str]) -> None:
    check_command(argv, where="stale.commands[0]")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["make", "all"], "must be a cargo command"),
        ([], "must be a cargo command"),
        (["cargo", "--locked"], "`cargo --locked` is not allowed"),
        (["cargo", "run"], "`cargo run` is not allowed"),
        (["cargo", "fix", "--allow-dirty"], "`cargo fix` is not allowed"),
        (["cargo", "clippy", "--fix", "--allow-dirty"], "`--fix` is not allowed"),
        (["cargo", "clippy", "--fix=yes"], "`--fix=yes` is not allowed"),
        (["cargo", "clippy", "--", "--fix"], "`--fix` after `--` is not a lint level"),
        (["cargo", "+nightly", "build"], "`cargo \\+nightly` is not allowed"),
        (["cargo", "--config", "build.rustc-wrapper='x'", "build"], "`cargo --config`"),
        (["cargo", "build", "--config", "alias.b='fix'"], "`--config` is not allowed"),
        (["cargo", "build", "--config=build.rustc-wrapper='x'"], "is not allowed"),
        (["cargo", "build", "-Zunstable-options"], "`-Zunstable-options` is not allowed"),
        (["cargo", "build", "--target-dir", "/tmp/x"], "`--target-dir` is not allowed"),
        (["cargo", "build", "--artifact-dir", "x"], "`--artifact-dir` is not allowed"),
        (["cargo", "build", "--manifest-path", "x/Cargo.toml"], "`--manifest-path`"),
        (["cargo", "build", "-C", "elsewhere"], "`-C` is not allowed"),
        (["cargo", "build", "--", "x"], "takes nothing after `--`"),
        (["cargo", "b"], "`cargo b` is not allowed"),
        (["cargo", "t", "--no-run"], "`cargo t` is not allowed"),
        (["cargo", "install", "ripgrep"], "`cargo install` is not allowed"),
        (["cargo", "test", "--workspace"], "needs --no-run"),
        (["cargo", "test", "--", "--no-run"], "needs --no-run"),
        (["cargo", "build", "--message-format=short"], "drop --message-format short"),
        (["cargo", "build", "--message-format", "human"], "drop --message-format human"),
    ],
)
def test_bad_commands_say_what_is_wrong(argv: list[str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        check_command(argv, where="stale.commands[1]")


def test_stale_settings_are_strict() -> None:
    assert parse({}, source="x").stale.commands == (
        ("cargo", "build", "--workspace"),
        ("cargo", "test", "--workspace", "--no-run"),
    )
    with pytest.raises(ConfigError, match=r"stale.commands\[0\] must be a list"):
        parse({"stale": {"commands": ["cargo build"]}}, source="x")
    with pytest.raises(ConfigError, match=r"unknown key stale\.keep"):
        parse({"stale": {"keep": 1}}, source="x")


# ---------------------------------------------------------------------------------- messages


def test_parse_line_reads_the_three_messages_we_need() -> None:
    artifact = {
        "reason": "compiler-artifact",
        "package_id": "path+file:///w/demo#0.1.0",
        "target": {"kind": ["bin"], "name": "demo-cli"},
        "filenames": ["/w/target/debug/demo-cli"],
        "executable": "/w/target/debug/demo-cli",
        "fresh": True,
    }
    got = parse_line(json.dumps(artifact))
    assert isinstance(got, Artifact)
    assert got.crate_name == "demo_cli" and got.fresh
    assert got.paths == (Path("/w/target/debug/demo-cli"),)  # the executable is not doubled
    script = {"reason": "build-script-executed", "package_id": "p", "out_dir": "/w/t/out"}
    assert parse_line(json.dumps(script)) == ScriptRun("p", Path("/w/t/out"))
    assert parse_line('{"reason":"build-finished","success":false}') == Finished(False)
    assert parse_line('{"reason":"compiler-message","message":{}}') is None
    assert parse_line("warning: not json") is None
    assert parse_line("{broken") is None


def test_status_word_ignores_colour() -> None:
    assert status_word("\x1b[1m\x1b[32m   Compiling\x1b[0m foo v0.1.0") == "Compiling"
    assert status_word("    Finished `dev` profile") == "Finished"
    assert status_word("") == ""


# ------------------------------------------------------------------------------- incremental


def _session(name: str, crate: str, mtime: float, *, finished: bool = True) -> Session:
    variant = Path("/t/debug/incremental") / name
    svh = "abc" if finished else incremental.WORKING
    return Session(variant / f"s-{int(mtime)}-x-{svh}", variant, crate, mtime, finished, None)


def test_each_live_unit_keeps_the_session_finished_nearest_its_output() -> None:
    lib = _session("foo-1aaa", "foo", 100.0)
    harness = _session("foo-2bbb", "foo", 100.4)  # lib and test harness, built side by side
    variant_lib = _session("foo-1aaa", "foo", 500.0)  # a later RUSTFLAGS build, same variant dir
    other_features = _session("foo-3ccc", "foo", 300.0)
    verdict = incremental.decide(
        [lib, harness, variant_lib, other_features], [("foo", 100.05), ("foo", 100.5)]
    )
    assert set(verdict.kept) == {lib, harness}
    assert verdict.sessions == (variant_lib,)  # a loose session in a variant dir that stays
    assert verdict.variants == (other_features.variant,)  # a whole variant dir that goes


def test_from_a_plan_only_the_newest_finished_session_of_a_variant_can_be_kept() -> None:
    # A source edit, then `cargo build`: the lib's variant holds the old session and the new one;
    # the test harness (about to be rebuilt) has only its old session.
    old_lib = _session("foo-1aaa", "foo", 100.0)
    new_lib = _session("foo-1aaa", "foo", 900.0)
    harness = _session("foo-2bbb", "foo", 100.4)
    working = _session("foo-1aaa", "foo", 950.0, finished=False)
    live = [("foo", 900.1), ("foo", 100.5)]  # the rebuilt lib, the dirty harness's old output
    everything = [old_lib, new_lib, harness, working]
    verdict = incremental.decide(everything, live, keep=2, newest_only=True)
    assert set(verdict.kept) == {new_lib, harness}
    assert set(verdict.sessions) == {old_lib, working}
    # Without the rule, keep=2 would hold on to the superseded session too.
    assert old_lib in incremental.decide(everything, live, keep=2).kept


def test_a_plan_that_lacks_a_reported_unit_is_not_trusted(tmp_path: Path) -> None:
    from perf_tasks.cargo import keepset
    from perf_tasks.cargo.probe import CommandOutput, PlannedUnit
    from perf_tasks.workspace import Workspace

    target = tmp_path / "target"
    profile = target / "debug"
    (profile / ".cargo-lock").parent.mkdir(parents=True)
    (profile / ".cargo-lock").write_bytes(b"")
    fresh = profile / "deps" / "libfoo-0123456789abcdef.rlib"
    fresh.parent.mkdir()
    fresh.write_bytes(b"x")
    artifact = Artifact("foo 0.1.0", "foo", ("lib",), (fresh,), None, True)
    planned = PlannedUnit(profile / ".fingerprint" / "bar-fedcba9876543210" / "lib-bar", "bar")
    ws = Workspace(tmp_path, target, target)
    stopped = CommandOutput(("cargo", "build"), (artifact,), (), {}, (planned,), complete=False)
    keep = keepset.build([stopped], ws)
    assert keep.from_plan and "lacks 1 unit it reported, such as 0123456789abcdef" in (
        keep.untrusted
    )
    whole = PlannedUnit(profile / ".fingerprint" / "foo-0123456789abcdef" / "lib-foo", "foo")
    keep = keepset.build(
        [CommandOutput(("cargo", "build"), (artifact,), (), {}, (whole, planned), complete=False)],
        ws,
    )
    assert keep.untrusted == "" and {"0123456789abcdef", "fedcba9876543210"} <= keep.hashes
    empty = CommandOutput(("cargo", "build"), (artifact,), (), {}, (), complete=False)
    assert "cargo logged no plan" in keepset.build([empty], ws).untrusted


@pytest.mark.parametrize("root", ["/tmp/ws", "/tmp/my ws", "/srv/a  b/c\tx"])
def test_a_planned_unit_is_read_to_the_end_of_its_line(root: str) -> None:
    """The path ends the line: a folder with spaces in its name is read whole."""
    from perf_tasks.cargo.probe import PlannedUnit, _planned_unit

    path = f"{root}/target/debug/.fingerprint/toml-{H1}/lib-toml"
    line = (
        "   0.021129634s DEBUG prepare_target{force=false package_id=toml v0.5.11 "
        f'({root}) target="toml"}}: cargo::core::compiler::fingerprint: fingerprint at: {path}'
    )
    assert _planned_unit(line) == PlannedUnit(Path(path), "toml")
    assert _planned_unit(line + " \r") == PlannedUnit(Path(path), "toml")
    assert _planned_unit(f"\x1b[2m{line}\x1b[0m") == PlannedUnit(Path(path), "toml")
    assert _planned_unit("fingerprint at: target/debug/x") is None  # not absolute: not cargo's


def test_unfinished_sessions_and_crates_nobody_builds_go() -> None:
    live = _session("foo-1aaa", "foo", 100.0)
    working = _session("foo-1aaa", "foo", 100.0, finished=False)
    gone_crate = _session("old_name-9zzz", "old_name", 100.0)
    verdict = incremental.decide([live, working, gone_crate], [("foo", 100.0), ("", 100.0)])
    assert verdict.kept == (live,)
    assert verdict.sessions == (working,)
    assert verdict.variants == (gone_crate.variant,)


def test_keep_count_keeps_more_or_none() -> None:
    a, b, c = (_session("foo-1aaa", "foo", t) for t in (100.0, 200.0, 300.0))
    assert set(incremental.decide([a, b, c], [("foo", 290.0)], keep=2).kept) == {b, c}
    none = incremental.decide([a, b, c], [("foo", 290.0)], keep=0)
    assert none.kept == () and none.variants == (a.variant,)


def test_list_sessions_pairs_locks_and_skips_foreign_entries(tmp_path: Path) -> None:
    inc = tmp_path / "incremental"
    write(inc / "foo-1x2y" / "s-h1-r1-svh" / "dep-graph.bin")
    write(inc / "foo-1x2y" / "s-h1-r1.lock", b"")
    write(inc / "foo-1x2y" / "s-h2-r2-working" / "dep-graph.bin")
    write(inc / "not a variant" / "s-h1-r1-svh" / "x")
    write(inc / "stray-file")
    sessions = sorted(incremental.list_sessions(inc), key=lambda s: s.path.name)
    assert [(s.path.name, s.finished, s.lock and s.lock.name) for s in sessions] == [
        ("s-h1-r1-svh", True, "s-h1-r1.lock"),
        ("s-h2-r2-working", False, None),
    ]


# ---------------------------------------------------------------------------------- budgets


def test_unused_outputs_need_a_keep_set_for_profiles(tmp_path: Path) -> None:
    root = tiny_workspace(tmp_path / "ws")
    target = root / "target"
    write(target / "tmp" / "t")
    write(target / "x86_64-unknown-linux-gnu" / "release" / ".cargo-lock", b"")
    write(target / "x86_64-unknown-linux-gnu" / "debug" / ".cargo-lock", b"")
    write(target / "wasm32-unknown-unknown" / "debug" / ".cargo-lock", b"")
    write(target / "criterion" / "report.html")  # not cargo's: never offered
    ws = Workspace(root, target, target)
    used = frozenset({target / "debug", target / "x86_64-unknown-linux-gnu" / "debug"})
    got = {(u.path.relative_to(target).as_posix(), u.category) for u in unused_outputs(ws, used)}
    assert got == {
        ("release", model.PROFILE),
        ("doc", model.DOC),
        ("tmp", model.CARGO_OUTPUT),
        ("wasm32-unknown-unknown", model.PROFILE),
        ("x86_64-unknown-linux-gnu/release", model.PROFILE),
    }
    without = {u.path.name for u in unused_outputs(ws, None)}
    assert without == {"doc", "tmp"}
