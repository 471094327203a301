"""`tests.ignored`: nextest's own list of ignored tests, each with the reason its source gives, and
the ignored doctests nextest does not list."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import lock_held_elsewhere, one_line_error, perf, write
from rust_workspaces import ignoring

from perf_tasks.testsuite import rust_source
from perf_tasks.testsuite.ignored import parse_listing

# ---------------------------------------------------------------------------- the sources, read


@pytest.mark.parametrize(
    ("attrs", "reason", "condition"),
    [
        ("#[test]\n#[ignore]", None, None),
        ('#[test]\n#[ignore = "slow"]', "slow", None),
        (
            '#[ignore = "quoted \\"word\\" and ] bracket"]\n#[test]',
            'quoted "word" and ] bracket',
            None,
        ),
        ("#[test] #[ignore]", None, None),
        ("#[test]\n// why\n/// doc\n#[ignore]", None, None),
        ("#[test]\n#[cfg_attr(unix, ignore)]", None, "unix"),
        (
            '#[test]\n#[cfg_attr(all(target_env = "msvc", target_pointer_width = "32"), ignore)]',
            None,
            'all(target_env = "msvc", target_pointer_width = "32")',
        ),
        (
            '#[cfg_attr(not(feature = "x"), ignore = "needs x")]\n#[test]',
            "needs x",
            'not(feature = "x")',
        ),
        ('#[test]\n#[ignore = "two\nlines"]', "two\nlines", None),
    ],
)
@pytest.mark.parametrize("qualifiers", ["", "pub ", "pub(crate) async "])
def test_an_ignore_attribute_above_a_fn_is_read(
    attrs: str, reason: str | None, condition: str | None, qualifiers: str
) -> None:
    text = f"use x;\n\n{attrs}\n{qualifiers}fn target() {{}}\n"
    [found] = rust_source.ignore_of(text, "target")
    assert (found.reason, found.condition) == (reason, condition)
    assert found.line == text.count("\n", 0, text.index("fn target")) + 1


@pytest.mark.parametrize(
    "text",
    [
        "#[test]\nfn target() {}\n",
        '#[cfg_attr(windows, should_panic = "x")]\n#[test]\nfn target() {}\n',
        "#[ignore]\nfn other() {}\n#[test]\nfn target() {}\n",
        "#[ignore]\n\nstruct S;\nfn target() {}\n",
        "#[test]\nfn target_more() {}\n#[ignore]\nfn target2() {}\n",
    ],
)
def test_a_fn_with_no_ignore_of_its_own_is_not_ignored(text: str) -> None:
    assert rust_source.ignore_of(text, "target") == []


def test_inline_modules_are_named() -> None:
    text = "mod tests {\n    mod inner {\n        #[ignore]\n        fn t() {}\n    }\n}\n"
    [found] = rust_source.ignore_of(text, "t")
    assert found.modules == ("tests", "inner")


@pytest.mark.parametrize(
    ("block", "ignored"),
    [
        ("```ignore", True),
        ("```rust,ignore", True),
        ("``` rust ignore", True),
        ("````ignore", True),
        ("~~~ignore", True),
        ("```ignore,edition2021", True),
        ("```", False),
        ("```rust", False),
        ("```no_run", False),
        ("```toml,ignore", False),  # another language: no doctest at all
        ("```text", False),
    ],
)
def test_an_ignored_code_block_is_found(block: str, ignored: bool) -> None:
    fence = block[:3] if not block.startswith("````") else "````"
    doc = f"//! Crate.\n//!\n//! {block}\n//! code\n//! {fence}\nfn x() {{}}\n"
    [comments] = rust_source.doc_comment_blocks(doc)
    assert bool(rust_source.ignored_fences(comments)) is ignored


def test_an_ignore_line_inside_another_code_block_is_code() -> None:
    doc = "/// ````\n/// ```ignore\n/// ```\n/// ````\n/// ```ignore\n/// x\n/// ```\nfn f() {}\n"
    [comments] = rust_source.doc_comment_blocks(doc)
    assert [f.line for f in rust_source.ignored_fences(comments)] == [5]


def test_an_open_code_block_ends_with_its_comment() -> None:
    doc = "/// ```\n/// no close\nfn f() {}\n\n/// ```ignore\n/// x\n/// ```\nfn g() {}\n"
    blocks = rust_source.doc_comment_blocks(doc)
    assert [f.line for b in blocks for f in rust_source.ignored_fences(b)] == [5]


def test_the_listing_selects_what_nextest_matched() -> None:
    listing = {
        "rust-suites": {
            "a": {
                "package-name": "a",
                "binary-name": "a",
                "kind": "lib",
                "testcases": {
                    "t1": {"ignored": True, "filter-match": {"status": "matches"}},
                    "t2": {"ignored": False, "filter-match": {"status": "mismatch"}},
                },
            }
        }
    }
    found, count = parse_listing(json.dumps(listing))
    assert count == 1
    assert [(t.package, t.binary, t.name) for t in found] == [("a", "a", "t1")]


# ---------------------------------------------------------------------------- the CLI, on real crates


@pytest.fixture(scope="module")
def ignoring_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ignoring(tmp_path_factory.mktemp("ignoring") / "ws")


def run_json(root: Path) -> dict[str, Any]:
    proc = perf("tests.ignored", "--json", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def nextest_ignored(root: Path) -> list[str]:
    """nextest's own list, run apart."""
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["cargo-nextest", "nextest", "list", "--workspace", "--run-ignored", "only"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


@pytest.mark.cargo
def test_every_ignored_test_with_its_reason_by_package(ignoring_ws: Path) -> None:
    data = run_json(ignoring_ws)
    listed = nextest_ignored(ignoring_ws)
    assert data["count"] == data["nextest_count"] == len(listed) == 10
    tests = {
        f"{t['binary']} {t['name']}": (t["reason"], t["condition"], t["source"])
        for p in data["packages"].values()
        for t in p["tests"]
    }
    assert sorted(tests) == sorted(listed)
    assert tests["ign tests::net"] == ("needs the network", None, "ign/src/lib.rs:40")
    assert tests["ign::it net"][0] == "integration: the net() of tests/it.rs"  # its own target's
    assert tests["ign tests::bare"] == (None, None, "ign/src/lib.rs:44")
    assert tests["ign tests::ignored_on_unix"] == (None, "unix", "ign/src/lib.rs:49")
    assert tests["ign tests::flaky_on_unix"][:2] == ('flaky on "unix" [sic]', "unix")
    assert tests["ign tests::same"][0] == "outer one"
    assert tests["ign tests::inner::same"][0] == "inner one"
    assert tests["ign tests::two_lines"][0] == "a reason\non two lines"
    assert tests["ign tests::made_by_a_macro"] == (None, None, None)
    assert tests["tool::bin/tool in_main"][0] == "a binary's test"
    assert data["with_reason"] == 7


@pytest.mark.cargo
def test_ignored_doctests_of_comments_and_included_markdown(ignoring_ws: Path) -> None:
    data = run_json(ignoring_ws)
    docs = data["packages"]["ign"]["doctests"]
    assert [(d["source"], d["info"]) for d in docs] == [
        ("ign/src/lib.rs:10", "ignore"),
        ("ign/src/lib.rs:21", "rust,ignore"),
        ("ign/GUIDE.md:3", "ignore"),
    ]
    assert data["doctest_count"] == 3
    assert data["packages"]["tool"]["doctests"] == []  # a binary has no doctests


@pytest.mark.cargo
def test_the_text_groups_by_package(ignoring_ws: Path) -> None:
    proc = perf("tests.ignored", "--root", str(ignoring_ws))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ("10 ignored tests (nextest lists 10), 7 with a reason; 3 ignored doctests")
    assert lines[1] == "ign: 9 tests, 3 doctests"
    assert "tool: 1 test, 0 doctests" in lines
    assert any("(no reason given); only where cfg(unix)" in line for line in lines)
    assert any("made by a macro?" in line for line in lines)


@pytest.mark.slow
def test_the_doctest_count_is_cargo_tests(ignoring_ws: Path) -> None:
    data = run_json(ignoring_ws)
    out = subprocess.run(
        ["cargo", "test", "--doc", "--workspace"],
        cwd=ignoring_ws,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("... ignored") == data["doctest_count"]


@pytest.mark.cargo
def test_the_demo_workspace(demo_copy: Path) -> None:
    data = run_json(demo_copy)
    assert data["count"] == 1
    [test] = data["packages"]["demo-core"]["tests"]
    assert test["name"] == "checksum_of_large_input_matches_reference"
    assert test["reason"] == "slow: exercised by the nightly job"


@pytest.mark.cargo
def test_a_test_that_does_not_build_is_one_line(tmp_path: Path) -> None:
    ws = ignoring(tmp_path / "ws")
    write(ws / "ign" / "tests" / "broken.rs", "#[test]\nfn broken() { not rust }\n")
    proc = perf("tests.ignored", "--root", str(ws))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def corpus(name: str) -> Path:
    base = os.environ.get("PERF_TASKS_CORPUS")
    if not base or not (Path(base) / name / "Cargo.toml").is_file():
        pytest.skip(f"set PERF_TASKS_CORPUS to a folder holding the {name} crate")
    return Path(base) / name


@pytest.mark.slow
def test_toml_and_regex(tmp_path: Path) -> None:
    toml = run_json(corpus("toml"))
    assert toml["count"] == toml["nextest_count"] == len(nextest_ignored(corpus("toml"))) == 2
    reasons = {t["reason"] for t in toml["packages"]["toml"]["tests"]}
    assert reasons == {
        "Unimplemented: https://github.com/alexcrichton/toml-rs/pull/264#issuecomment-431707209"
    }
    assert [d["info"] for d in toml["packages"]["toml"]["doctests"]] == ["rust,ignore"]
    regex = run_json(corpus("regex"))
    assert regex["count"] == regex["nextest_count"] == 1
    # regex's lib says `doctest = false`, yet `cargo test --doc` runs them: 3 ignored.
    assert [d["source"] for d in regex["packages"]["regex"]["doctests"]] == [
        "src/compile.rs:245",
        "src/dfa.rs:350",
        "src/re_unicode.rs:124",
    ]
    [test] = regex["packages"]["regex"]["tests"]
    assert (test["name"], test["reason"], test["source"]) == (
        "regression_fuzz::fuzz1",
        None,
        "tests/regression_fuzz.rs:10",
    )


def test_the_listing_waits_for_no_other_run_of_the_workspace(tmp_path: Path) -> None:
    ws = ignoring(tmp_path / "ws")
    with lock_held_elsewhere(ws):
        proc = perf("tests.ignored", "--root", str(ws))
    assert "another perf-tasks run" in one_line_error(proc, code=1)
    assert not (ws / "target").exists()


@pytest.mark.cargo
def test_a_module_in_its_own_file_is_matched_by_its_path(tmp_path: Path) -> None:
    """Two `fn check` ignored with different reasons: `tests::check` lives in src/tests.rs (a
    module file named like a folder elsewhere), `other::check` inline in lib.rs."""
    ws = tmp_path / "ws"
    write(ws / "Cargo.toml", '[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n')
    write(
        ws / "src" / "lib.rs",
        "#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod other {\n    #[test]\n"
        '    #[ignore = "inline"]\n    fn check() {}\n}\n',
    )
    write(ws / "src" / "tests.rs", '#[test]\n#[ignore = "in its file"]\nfn check() {}\n')
    data = run_json(ws)
    reasons = {t["name"]: (t["reason"], t["source"]) for t in data["packages"]["m"]["tests"]}
    assert reasons == {
        "other::check": ("inline", "src/lib.rs:7"),
        "tests::check": ("in its file", "src/tests.rs:3"),
    }


@pytest.mark.cargo
def test_the_module_path_wins_over_the_targets_folder(tmp_path: Path) -> None:
    """`helpers::check` comes from shared/helpers.rs (`#[path]`), outside src/; src/ has an
    ignored `fn check` of its own: the one whose module path matches is the test's."""
    ws = tmp_path / "ws"
    write(ws / "Cargo.toml", '[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n')
    write(
        ws / "src" / "lib.rs",
        '#[cfg(test)]\n#[path = "../shared/helpers.rs"]\nmod helpers;\n\n'
        '#[test]\n#[ignore = "the crate root\'s"]\nfn check() {}\n',
    )
    write(ws / "shared" / "helpers.rs", '#[test]\n#[ignore = "the helpers\'"]\nfn check() {}\n')
    data = run_json(ws)
    reasons = {t["name"]: (t["reason"], t["source"]) for t in data["packages"]["m"]["tests"]}
    assert reasons == {
        "check": ("the crate root's", "src/lib.rs:7"),
        "helpers::check": ("the helpers'", "shared/helpers.rs:3"),
    }
