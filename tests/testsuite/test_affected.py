"""`tests.affected` on real cargo metadata and real git: a change maps to the packages that own it,
then to every package that depends on them (dev and build dependencies included); some files mean
everything; documentation in no package means nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import git, lock_held_elsewhere, one_line_error, perf, write
from rust_workspaces import committed, generated

ALL = ["app", "base", "gen", "leaf", "mid", "tester", "top"]


def affected(root: Path, *args: str, base: str = "HEAD") -> dict[str, Any]:
    proc = perf("tests.affected", "--base", base, "--json", *args, cwd=root)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def append(path: Path, text: str = "\n// changed\n") -> None:
    with path.open("a") as f:
        f.write(text)


def reasons(data: dict[str, Any]) -> dict[str, str]:
    return {r["name"]: r["reason"] for r in data["reasons"]}


# ---------------------------------------------------------------------------- one package's change


def test_a_change_in_a_leaf_crate_selects_exactly_it(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    data = affected(generated_ws)
    assert data["packages"] == ["leaf"]
    assert data["filterset"] == "rdeps(=leaf)"
    assert data["package_args"] == ["-p", "leaf"]
    assert data["everything"] is False


def test_a_change_in_a_crate_others_depend_on_selects_every_dependent(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "base" / "src" / "lib.rs")
    data = affected(generated_ws)
    assert sorted(data["packages"]) == ["app", "base", "gen", "mid", "tester", "top"]
    why = reasons(data)
    assert why["base"] == "changed: crates/base/src/lib.rs"
    assert why["tester"] == "depends on base (dev-dependency)"  # through [dev-dependencies] only
    assert why["gen"] == "depends on base (build-dependency)"
    assert why["mid"] == "depends on base"
    assert why["app"] == "depends on mid"
    assert why["top"] == "depends on tester"
    assert data["filterset"] == "rdeps(=base)"


def test_a_manifest_of_a_member_is_its_package(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "tester" / "Cargo.toml", "\n# changed\n")
    data = affected(generated_ws)
    assert sorted(data["packages"]) == ["tester", "top"]


@pytest.mark.parametrize("path", ["src/lib.rs", "tests/new.rs", "benches/b.rs"])
def test_the_root_package_owns_its_files_not_its_members(generated_ws: Path, path: str) -> None:
    """The root package's folder holds every member's folder: the longest folder wins."""
    target = generated_ws / path
    if target.exists():
        append(target)
    else:
        write(target, "#[test]\nfn new() {}\n")
    data = affected(generated_ws)
    assert data["packages"] == ["app"]
    assert data["filterset"] == "rdeps(=app)"


def test_changes_in_two_packages_join_their_filtersets(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    append(generated_ws / "crates" / "tester" / "src" / "lib.rs")
    data = affected(generated_ws)
    assert sorted(data["packages"]) == ["leaf", "tester", "top"]
    assert data["filterset"] == "rdeps(=leaf) | rdeps(=tester)"
    assert data["package_args"] == ["-p", "leaf", "-p", "tester", "-p", "top"]


# ---------------------------------------------------------------------------- what git counts


def test_commits_since_the_merge_base_count_and_the_base_branchs_own_do_not(
    generated_ws: Path,
) -> None:
    git("switch", "-q", "-c", "feature", cwd=generated_ws)
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    git("commit", "-q", "-am", "leaf", cwd=generated_ws)
    git("switch", "-q", "main", cwd=generated_ws)
    append(generated_ws / "crates" / "base" / "src" / "lib.rs")  # main moved on after the fork
    git("commit", "-q", "-am", "base", cwd=generated_ws)
    git("switch", "-q", "feature", cwd=generated_ws)
    data = affected(generated_ws, base="main")
    assert data["packages"] == ["leaf"]
    assert data["changed_files"] == ["crates/leaf/src/lib.rs"]


def test_staged_unstaged_and_untracked_files_count(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    git("add", "crates/leaf/src/lib.rs", cwd=generated_ws)  # staged
    append(generated_ws / "crates" / "mid" / "src" / "lib.rs")  # unstaged
    write(generated_ws / "crates" / "top" / "tests" / "new.rs", "#[test]\nfn n() {}\n")  # untracked
    data = affected(generated_ws)
    assert data["changed_files"] == [
        "crates/leaf/src/lib.rs",
        "crates/mid/src/lib.rs",
        "crates/top/tests/new.rs",
    ]
    assert sorted(data["packages"]) == ["app", "leaf", "mid", "top"]


@pytest.mark.parametrize("name", ["we\nird.rs", "naïve €.rs", "-dash.rs", "sp ace.rs"])
def test_any_file_name_maps_to_its_package(generated_ws: Path, name: str) -> None:
    write(generated_ws / "crates" / "leaf" / "src" / name, "// new\n")
    data = affected(generated_ws)
    assert data["changed_files"] == [f"crates/leaf/src/{name}"]
    assert data["packages"] == ["leaf"]


def test_a_renamed_file_counts_on_both_sides(generated_ws: Path) -> None:
    git("mv", "crates/gen/build.rs", "crates/leaf/build.rs", cwd=generated_ws)
    data = affected(generated_ws)
    assert data["changed_files"] == ["crates/gen/build.rs", "crates/leaf/build.rs"]
    assert data["packages"] == ["gen", "leaf"]


def test_an_ignored_file_and_the_target_dir_count_for_nothing(generated_ws: Path) -> None:
    write(generated_ws / "target" / "debug" / "x.rlib", "x")  # ignored by .gitignore
    (generated_ws / ".gitignore").unlink()
    git("commit", "-q", "-am", "no ignore", cwd=generated_ws)
    data = affected(generated_ws)  # target/ is cargo's target dir: never a change
    assert data["changed_files"] == []
    assert data["packages"] == []
    assert data["filterset"] == "none()"


@pytest.mark.parametrize("target", ["crates/leaf/out", "crates/leaf/t*"])
def test_a_target_dir_set_in_cargo_config_is_no_change(generated_ws: Path, target: str) -> None:
    write(generated_ws / ".cargo" / "config.toml", f'[build]\ntarget-dir = "{target}"\n')
    git("add", "-A", cwd=generated_ws)
    git("commit", "-q", "-m", "target dir", cwd=generated_ws)
    write(generated_ws / target / "debug" / "lib.rlib", "x")
    assert affected(generated_ws)["changed_files"] == []
    # A target dir's name is no glob: it hides nothing else.
    write(generated_ws / "crates" / "leaf" / "tests" / "new.rs", "#[test]\nfn n() {}\n")
    assert affected(generated_ws)["changed_files"] == ["crates/leaf/tests/new.rs"]


# ---------------------------------------------------------------------------- everything, nothing


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("Cargo.lock", "the locked versions"),
        ("Cargo.toml", "the workspace's manifest"),
        (".cargo/config.toml", "cargo's configuration"),
        (".config/nextest.toml", "nextest's configuration"),
        ("rust-toolchain.toml", "the toolchain"),
        ("rust-toolchain", "the toolchain"),
    ],
)
def test_a_file_every_build_reads_selects_everything_and_says_why(
    generated_ws: Path, path: str, says: str
) -> None:
    target = generated_ws / path
    if path.startswith("rust-toolchain"):  # the toolchain cargo runs with already: a valid file
        channel = _active_toolchain(generated_ws)
        write(target, f'[toolchain]\nchannel = "{channel}"\n' if path.endswith("toml") else channel)
    elif target.exists():
        append(target, "\n# changed\n")
    else:
        write(target, "# new\n")
    data = affected(generated_ws)
    assert data["everything"] is True
    assert data["packages"] == ALL
    assert data["filterset"] == "all()"
    assert data["package_args"] == ["--workspace"]
    assert len(data["everything_because"]) == 1
    assert data["everything_because"][0].startswith(f"{path}: {says}")


def _active_toolchain(root: Path) -> str:
    try:
        out = subprocess.run(
            ["rustup", "show", "active-toolchain"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    except FileNotFoundError:  # no rustup: nothing reads the file
        return "stable"
    return out.split()[0] if out.strip() else "stable"


@pytest.mark.parametrize("path", ["README.md", "docs/guide/intro.txt", "LICENSE-MIT"])
def test_documentation_in_no_package_selects_nothing(generated_ws: Path, path: str) -> None:
    """The root package holds README.md: only a workspace without one has documentation in no
    package, so the root package goes here."""
    _virtual(generated_ws)
    write(generated_ws / path, "words\n")
    data = affected(generated_ws)
    assert data["packages"] == []
    assert data["ignored_files"] == [path]
    assert data["filterset"] == "none()"


@pytest.mark.parametrize("path", ["scripts/gen.sh", "fixtures/data.bin"])
def test_another_file_in_no_package_selects_everything_naming_it(
    generated_ws: Path, path: str
) -> None:
    _virtual(generated_ws)
    write(generated_ws / path, "x\n")
    data = affected(generated_ws)
    assert data["everything"] is True
    assert data["everything_because"] == [
        f"{path}: in no package, and no [affected] ignore glob matches it"
    ]


def test_affected_ignore_in_the_settings_is_obeyed(generated_ws: Path) -> None:
    _virtual(generated_ws)
    write(generated_ws / "perf-tasks.toml", '[affected]\nignore = ["scripts/**", "*.toml"]\n')
    write(generated_ws / "scripts" / "gen.sh", "x\n")
    data = affected(generated_ws)
    assert data["packages"] == []
    assert data["ignored_files"] == ["perf-tasks.toml", "scripts/gen.sh"]


def test_a_wrong_affected_ignore_is_one_line_and_exit_2(generated_ws: Path) -> None:
    write(generated_ws / "perf-tasks.toml", '[affected]\nignore = "docs/**"\n')
    proc = perf("tests.affected", "--base", "HEAD", cwd=generated_ws)
    assert "affected.ignore must be a list" in one_line_error(proc)


@pytest.mark.parametrize(
    ("glob", "said"),
    [
        ("/docs/**", "is absolute"),
        ("../notes/*.md", "goes above the root"),
        ("docs/../x.md", "goes above the root"),
        ("./README.md", "starts with ./"),
        ("docs/", "ends with /"),
    ],
)
def test_an_affected_ignore_glob_no_relative_path_can_match_is_one_line(
    generated_ws: Path, glob: str, said: str
) -> None:
    # Paths are matched relative to the root: such a glob would ignore nothing, silently.
    write(generated_ws / "perf-tasks.toml", f'[affected]\nignore = ["**/*.md", "{glob}"]\n')
    proc = perf("tests.affected", "--base", "HEAD", cwd=generated_ws)
    line = one_line_error(proc)
    assert "affected.ignore[1]" in line and said in line


def _virtual(root: Path) -> None:
    """Turn the generated workspace's root package into a virtual manifest, committed."""
    text = (root / "Cargo.toml").read_text()
    (root / "Cargo.toml").write_text(text[text.index("[workspace]") :])
    shutil.rmtree(root / "src")
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "virtual", cwd=root)


@pytest.mark.parametrize(
    "patch", ['sys = { path = "crates/sys" }', 'sys = { path = "./crates/sys/" }']
)
def test_a_dependency_patched_to_a_member_is_an_edge(tmp_path: Path, patch: str) -> None:
    """`user` asks for `sys = "0.1"` (a registry's, by its version); the root manifest's `[patch]`
    makes it the member: a change in `sys` reaches `user`'s tests."""
    ws = tmp_path / "ws"
    write(
        ws / "Cargo.toml",
        f'[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[patch.crates-io]\n{patch}\n',
    )
    for name, deps in (("sys", ""), ("user", '[dependencies]\nsys = "0.1"\n'), ("other", "")):
        write(
            ws / "crates" / name / "Cargo.toml",
            f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{deps}',
        )
        write(ws / "crates" / name / "src" / "lib.rs", "")
    committed(ws)
    append(ws / "crates" / "sys" / "src" / "lib.rs")
    data = affected(ws)
    assert sorted(data["packages"]) == ["sys", "user"]
    assert reasons(data)["user"] == "depends on sys"


# ---------------------------------------------------------------------------- a workspace in a repo


def test_a_workspace_below_the_repository_top_reads_only_its_own_changes(tmp_path: Path) -> None:

    ws = generated(tmp_path / "repo" / "rust")
    shutil.rmtree(ws / ".git")
    write(tmp_path / "repo" / "web" / "app.js", "1\n")
    committed(tmp_path / "repo")
    append(tmp_path / "repo" / "web" / "app.js", "2\n")  # not the workspace's
    append(ws / "crates" / "leaf" / "src" / "lib.rs")
    data = affected(ws)
    assert data["changed_files"] == ["crates/leaf/src/lib.rs"]
    assert data["packages"] == ["leaf"]
    write(tmp_path / "repo" / ".cargo" / "config.toml", "[build]\njobs = 1\n")  # cargo reads it
    data = affected(ws)
    assert data["everything"] is True
    assert data["everything_because"] == [
        ".cargo/config.toml: cargo's configuration, above the workspace root"
    ]
    (tmp_path / "repo" / ".cargo" / "config.toml").unlink()
    channel = _active_toolchain(ws)
    write(tmp_path / "repo" / "rust-toolchain.toml", f'[toolchain]\nchannel = "{channel}"\n')
    write(tmp_path / "repo" / "web" / ".cargo" / "config.toml", "")  # not above the root
    data = affected(ws)
    assert data["everything_because"] == [
        "rust-toolchain.toml: the toolchain, above the workspace root"
    ]


def test_the_demo_workspace(demo_ws: Path) -> None:
    append(demo_ws / "crates" / "demo-report" / "src" / "lib.rs")
    data = affected(demo_ws)
    assert sorted(data["packages"]) == ["demo-cli", "demo-report"]
    assert data["filterset"] == "rdeps(=demo-report)"
    git("checkout", "-q", ".", cwd=demo_ws)
    append(demo_ws / "crates" / "demo-core" / "tests" / "core_api.rs")
    assert sorted(affected(demo_ws)["packages"]) == ["demo-cli", "demo-core", "demo-report"]


# ---------------------------------------------------------------------------- the text, --run


def test_the_text_names_each_package_and_why(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "mid" / "src" / "lib.rs")
    proc = perf("tests.affected", "--base", "HEAD", cwd=generated_ws)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("changes since HEAD (merge base ")
    assert lines[1:] == [
        "affected: 2 of 7 packages",
        "  mid  changed: crates/mid/src/lib.rs",
        "  app  depends on mid",
        "nextest filterset: rdeps(=mid)",
        "packages: -p app -p mid",
    ]


def test_run_dry_run_shows_the_command_and_runs_nothing(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    data = affected(generated_ws, "--run", "--dry-run")
    assert "nextest run -p leaf -E 'rdeps(=leaf)' --profile perf-tasks-affected" in data["command"]
    assert "--retries 0 --flaky-result fail --no-fail-fast" in data["command"]
    assert data["ran"] is None
    assert not (generated_ws / "target").exists()


def test_run_with_nothing_affected_runs_nothing(generated_ws: Path) -> None:
    proc = perf("tests.affected", "--base", "HEAD", "--run", cwd=generated_ws)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "no test to run"
    assert not (generated_ws / "target").exists()


@pytest.mark.slow
def test_run_runs_the_filterset_and_it_selects_the_packages_listed(generated_ws: Path) -> None:
    """nextest's own `rdeps()` and our package list agree (dev and build edges included)."""
    append(generated_ws / "crates" / "base" / "src" / "lib.rs")
    data = affected(generated_ws, "--run")
    assert data["ran"]["exit_code"] == 0
    listed = subprocess.run(
        ["cargo-nextest", "nextest", "list", "--workspace", "-E", data["filterset"]],
        cwd=generated_ws,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"},
    )
    binaries = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert binaries == set(data["packages"])


@pytest.mark.slow
def test_run_a_retry_in_the_workspaces_config_never_hides_a_failure(generated_ws: Path) -> None:
    """The leaf's test fails on its first attempt only; the workspace retries twice. The run
    pins `--retries 0`: it fails, and says so in its exit code."""
    write(generated_ws / ".config" / "nextest.toml", "[profile.default]\nretries = 2\n")
    git("add", "-A", cwd=generated_ws)
    git("commit", "-q", "-m", "retries", cwd=generated_ws)
    write(
        generated_ws / "crates" / "leaf" / "tests" / "once.rs",
        "#[test]\nfn fails_once() {\n"
        '    let mark = concat!(env!("CARGO_MANIFEST_DIR"), "/failed-once");\n'
        "    if std::fs::metadata(mark).is_err() {\n"
        '        std::fs::write(mark, b"x").unwrap();\n'
        '        panic!("first attempt");\n'
        "    }\n}\n",
    )
    proc = perf("tests.affected", "--base", "HEAD", "--run", "--json", cwd=generated_ws)
    data = json.loads(proc.stdout)
    assert data["packages"] == ["leaf"]
    assert data["ran"]["exit_code"] != 0
    assert proc.returncode == data["ran"]["exit_code"]


def test_run_waits_for_no_other_run_of_the_workspace(generated_ws: Path) -> None:
    append(generated_ws / "crates" / "leaf" / "src" / "lib.rs")
    with lock_held_elsewhere(generated_ws):
        proc = perf("tests.affected", "--base", "HEAD", "--run", cwd=generated_ws)
        listing = perf("tests.affected", "--base", "HEAD", cwd=generated_ws)  # reads only
    assert "another perf-tasks run" in one_line_error(proc, code=1)
    assert not (generated_ws / "target").exists()
    assert listing.returncode == 0, listing.stderr


# ---------------------------------------------------------------------------- bad usage


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "tests.affected needs --base REF"),
        (("--base", "no-such-branch"), "'no-such-branch' is not a commit"),
        (("--base", "-x"), "is not a git revision"),
        (("--base", "HEAD", "--dry-run"), "--dry-run shows what --run would run"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(
    generated_ws: Path, args: tuple[str, ...], says: str
) -> None:
    proc = perf("tests.affected", *args, cwd=generated_ws)
    assert says in one_line_error(proc)
    proc = perf("tests.affected", "--json", *args, cwd=generated_ws)
    assert proc.returncode == 2
    assert says in json.loads(proc.stdout)["error"]["message"]


def test_a_workspace_outside_git_is_one_line(tmp_path: Path) -> None:

    ws = generated(tmp_path / "ws")
    shutil.rmtree(ws / ".git")
    proc = perf("tests.affected", "--base", "HEAD", cwd=ws)
    assert "not in a git repository" in one_line_error(proc)


def test_a_base_with_no_common_history_is_one_line(generated_ws: Path) -> None:
    git("switch", "-q", "--orphan", "other", cwd=generated_ws)
    git("commit", "-q", "--allow-empty", "-m", "other", cwd=generated_ws)
    git("switch", "-q", "main", cwd=generated_ws)
    proc = perf("tests.affected", "--base", "other", cwd=generated_ws)
    assert "no commit in common" in one_line_error(proc)


# ---------------------------------------------------------------------------- real crates


def corpus(name: str) -> Path:
    base = os.environ.get("PERF_TASKS_CORPUS")
    if not base or not (Path(base) / name / "Cargo.toml").is_file():
        pytest.skip(f"set PERF_TASKS_CORPUS to a folder holding the {name} crate")
    return Path(base) / name


@pytest.mark.slow
def test_regex_the_longest_package_folder_owns_a_file(tmp_path: Path) -> None:
    """regex's root package holds its member regex-syntax/. Its regex takes regex-syntax from the
    registry (a version, no path): a change in the member's folder is the member's alone."""
    ws = tmp_path / "regex"
    shutil.copytree(corpus("regex"), ws, ignore=shutil.ignore_patterns("target", ".git"))
    committed(ws)
    append(ws / "regex-syntax" / "src" / "lib.rs")
    assert affected(ws)["packages"] == ["regex-syntax"]
    git("checkout", "-q", ".", cwd=ws)
    append(ws / "src" / "lib.rs")
    assert affected(ws)["packages"] == ["regex"]
    git("checkout", "-q", ".", cwd=ws)
    append(ws / "Cargo.toml", "\n# changed\n")  # its Cargo.lock is git-ignored: git sees no change
    data = affected(ws)
    assert data["everything"] is True
    assert data["packages"] == ["regex", "regex-syntax"]


@pytest.mark.slow
@pytest.mark.parametrize("env", [{}, {"NEXTEST_NO_TESTS": "fail"}])
def test_run_on_affected_packages_without_tests_passes(tmp_path: Path, env: dict[str, str]) -> None:
    # A pull request that changes a crate with no test is no failure: the selection ran, whole.
    root = tmp_path / "no tests é"
    write(root / "Cargo.toml", '[workspace]\nmembers = ["bare", "tested"]\nresolver = "2"\n')
    for name in ("bare", "tested"):
        write(
            root / name / "Cargo.toml",
            f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n',
        )
    write(root / "bare" / "src" / "lib.rs", "pub fn one() -> u32 { 1 }\n")
    write(root / "tested" / "src" / "lib.rs", "#[test]\nfn works() {}\n")
    write(root / ".gitignore", "target\n")
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", "two crates", cwd=root)
    append(root / "bare" / "src" / "lib.rs")
    proc = perf("tests.affected", "--base", "HEAD", "--run", "--json", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["packages"] == ["bare"]
    assert data["ran"]["exit_code"] == 0
