"""ci.audit's checks on real files in a temporary workspace, through `audit(root)` (the API that
`doctor` calls) and the real CLI: each check on the issue's case and variants of our own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import REPO_ROOT, perf, write
from workflow_fixtures import ALL, NAMED, REALISTIC, WF, workspace

from perf_tasks.ci.audit import Audit, Finding, audit
from perf_tasks.ci.audit.checks import filter_matches, in_key_family

DEMO = REPO_ROOT / "examples" / "demo-workspace"
REALISTIC_MAIN = REALISTIC[f"{WF}/main.yml"]


def ids(found: Audit, *, path: str | None = None) -> list[tuple[str, int | None]]:
    return [(f.id, f.line) for f in found.findings if path is None or f.path.name == path]


def own(root: Path, files: dict[str, str]) -> Audit:
    """The audit's own findings (the linters left out: they depend on what is installed)."""
    return audit(workspace(root, files), linters=False)


def test_the_issues_case(tmp_path: Path) -> None:
    found = own(tmp_path, NAMED)
    assert ids(found) == [
        ("ci.cache-no-restore-keys", 22),
        ("ci.cache-key-differs", 28),
        ("ci.cache-no-restore-keys", 37),
        ("ci.cache-key-differs", 43),
        ("ci.upload-no-retention", 46),
    ]
    first = found.findings[1]
    assert isinstance(first, Finding)
    assert (first.priority, first.level, first.job, first.fixable) == (
        "P1",
        "warning",
        "build",
        True,
    )
    assert first.fix == "key: ${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}"
    assert first.path == tmp_path / WF / "ci.yml"
    assert found.findings[-1].fix == "retention-days: 7"


@pytest.mark.parametrize(
    "key",
    [
        "${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}",
        "${{runner.os}}-cargo-${{ hashFiles('**/Cargo.toml') }}",
        "${{ runner.os }}-cargo-${{ steps.toolchain.outputs.cachekey }}-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-${{ hashFiles('rust-toolchain.toml') }}-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-stable-1.79.0-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-${{ env.RUST_VERSION }}-${{ hashFiles('**/Cargo.lock') }}",
    ],
)
def test_the_team_key_family(key: str) -> None:
    assert in_key_family(key)


@pytest.mark.parametrize(
    "key",
    [
        "${{ runner.os }}-build-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-${{ github.sha }}",
        "${{ runner.os }}-cargo-",
        "cargo-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-build-${{ hashFiles('**/Cargo.lock') }}",
        "${{ runner.os }}-cargo-${{ github.job }}-${{ hashFiles('**/Cargo.lock') }}",
    ],
)
def test_keys_outside_the_family(key: str) -> None:
    assert not in_key_family(key)


@pytest.mark.parametrize("settings", ["", "toolchain"])
def test_the_workflows_ci_init_writes_audit_clean(tmp_path: Path, settings: str) -> None:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "docs"))
    assert perf("ci.init", "--root", str(root)).returncode == 0
    if settings == "toolchain":  # the key ci.init writes with a toolchain part, on Cargo.toml
        ci = root / WF / "ci.yml"
        ci.write_text(
            ci.read_text().replace(
                "${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}",
                "${{ runner.os }}-cargo-${{ hashFiles('rust-toolchain*') }}-${{ hashFiles('**/Cargo.toml') }}",
            )
        )
    found = audit(root)  # with actionlint and zizmor when they are installed
    assert [f for f in found.findings if f.level != "note"] == []
    proc = perf("ci.audit", "--root", str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_an_invalid_file_is_a_finding_and_the_others_are_audited(tmp_path: Path) -> None:
    found = own(tmp_path, ALL["invalid"])
    broken = [f for f in found.findings if f.path.name == "broken.yml"]
    assert [(f.id, f.level, f.line) for f in broken] == [("ci.invalid-yaml", "error", 3)]
    assert "not valid YAML" in broken[0].message
    assert len(ids(found, path="fine.yaml")) == 5


def test_an_empty_workflow_has_nothing_to_say(tmp_path: Path) -> None:
    found = own(tmp_path, {f"{WF}/empty.yml": "", f"{WF}/comments.yml": "# nothing yet\n"})
    assert found.findings == ()


@pytest.mark.parametrize(
    "text",
    ["a: [1\n", "a: *nowhere\n", "a: 1\n---\nb: 2\n", "\t- tab\n", "a: b: c\n"],
)
def test_every_kind_of_invalid_yaml_is_one_finding(tmp_path: Path, text: str) -> None:
    found = own(tmp_path, {f"{WF}/x.yml": text})
    assert [f.id for f in found.findings] == ["ci.invalid-yaml"]


def test_caches_in_matrices_and_side_by_side(tmp_path: Path) -> None:
    found = own(tmp_path, ALL["matrix"])
    assert ids(found) == [
        ("ci.path-filter-misses", 5),
        ("ci.matrix-fail-fast", 10),
        ("ci.cache-side-by-side", 22),
        ("ci.cargo-test", 28),
        ("ci.include-ignored", 28),
    ]


def test_composite_actions_and_reusable_workflows(tmp_path: Path) -> None:
    found = own(tmp_path, ALL["reusable"])
    assert [
        (f.id, f.path.relative_to(tmp_path).as_posix(), f.line, f.fixable) for f in found.findings
    ] == [
        ("ci.cache-no-restore-keys", ".github/actions/rust-setup/action.yml", 7, True),
        ("ci.cache-key-differs", ".github/actions/rust-setup/action.yml", 12, True),
        # a release binary is reported, never given days
        ("ci.upload-no-retention", ".github/workflows/reusable.yml", 16, False),
    ]


def test_filters_jobs_on_every_change_and_repeated_builds(tmp_path: Path) -> None:
    found = own(tmp_path, ALL["if_expressions"])
    assert ids(found) == [
        ("ci.path-filter-misses", 17),  # the filter's own line, inside the block scalar
        ("ci.cache-missing", 6),
        ("ci.no-path-filter", 6),
        ("ci.build-repeated", 11),
        ("ci.cache-missing", 11),
        ("ci.no-path-filter", 11),
    ]


def test_a_save_without_a_clean_and_block_scalars(tmp_path: Path) -> None:
    found = own(tmp_path, ALL["block_scalars"])
    assert ids(found) == [
        ("ci.no-path-filter", 5),
        ("ci.cache-no-restore-keys", 8),
        ("ci.cache-saved-uncleaned", 8),
        ("ci.cache-key-differs", 10),
        ("ci.cargo-test", 14),
        ("ci.include-ignored", 14),
        ("ci.upload-no-retention", 20),
    ]
    # a key in a folded block scalar of one line: that line is rewritten
    assert [f.fixable for f in found.findings if f.id == "ci.cache-key-differs"] == [True]


def test_restore_keys_that_restore_nothing_of_the_key(tmp_path: Path) -> None:
    text = REALISTIC_MAIN
    found = own(tmp_path, {f"{WF}/main.yml": text})
    lint = [(f.id, f.line, f.fixable) for f in found.findings if f.job == "lint"]
    assert ("ci.cache-no-restore-keys", 40, True) in lint
    # two lines in the block, neither a prefix of the key: reported, not rewritten
    two = text.replace(
        "          lint-${{ runner.os }}-\n", "          lint-${{ runner.os }}-\n          lint-\n"
    )
    found = own(tmp_path / "two", {f"{WF}/main.yml": two})
    lint = [(f.id, f.line, f.fixable) for f in found.findings if f.job == "lint"]
    assert ("ci.cache-no-restore-keys", 40, False) in lint
    # a prefix of the key (matrix.rust in both): nothing to say
    assert not [f for f in found.findings if f.job == "test" and f.id == "ci.cache-no-restore-keys"]


def test_retention_longer_than_the_kind_needs(tmp_path: Path) -> None:
    text = NAMED[f"{WF}/ci.yml"].replace(
        "path: bench.json\n", "path: bench.json\n          retention-days: 30\n"
    )
    found = own(tmp_path, {f"{WF}/ci.yml": text})
    long = [f for f in found.findings if f.id == "ci.upload-retention-long"]
    assert [(f.line, f.fixable, f.fix) for f in long] == [
        (50, False, "retention-days: 7 (not changed by --fix: a longer time may be wanted)")
    ]


def test_cargo_test_is_only_a_finding_with_a_nextest_ci_profile(tmp_path: Path) -> None:
    root = workspace(tmp_path, ALL["matrix"])
    (root / ".config" / "nextest.toml").write_text("[profile.default]\n")
    assert "ci.cargo-test" not in [f.id for f in audit(root, linters=False).findings]


@pytest.mark.parametrize(
    ("patterns", "path", "matches"),
    [
        (["**/*.rs", "Cargo.*"], "Cargo.lock", True),
        (["**.rs"], "src/lib.rs", True),
        (["src/**"], "Cargo.lock", False),
        (["**", "!Cargo.lock"], "Cargo.lock", False),
        ([".cargo/"], ".cargo/config.toml", True),
        (["rust-toolchain*"], "rust-toolchain.toml", True),
        (["*/Cargo.toml"], "Cargo.toml", False),
    ],
)
def test_github_path_filters(patterns: list[str], path: str, matches: bool) -> None:
    assert filter_matches(patterns, path) is matches


def test_json_document(tmp_path: Path) -> None:
    root = workspace(tmp_path, NAMED)
    proc = perf("ci.audit", "--root", str(root), "--json", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False
    assert doc["findings"][0] == {
        "id": "ci.cache-no-restore-keys",
        "priority": "P1",
        "level": "warning",
        "file": ".github/workflows/ci.yml",
        "line": 22,
        "job": "build",
        "message": "job 'build': the cargo cache has no restore-keys: a new Cargo.lock starts "
        "from nothing instead of the newest older entry",
        "fix": "restore-keys: ${{ runner.os }}-cargo-",
        "fixable": True,
    }
    assert doc["missing_linters"] == ["actionlint", "zizmor"]
    assert "zizmor is not on PATH" in proc.stderr


def test_no_workflows_is_a_clean_audit(tmp_path: Path) -> None:
    root = workspace(tmp_path, {})
    proc = perf("ci.audit", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "0 files audited: 0 findings" in proc.stdout


def test_a_fifo_in_place_of_a_workflow_is_one_line(tmp_path: Path) -> None:
    import os

    root = workspace(tmp_path, NAMED)
    os.mkfifo(root / WF / "pipe.yml")
    write(root / WF / "latin1.yml", b"name: caf\xe9\n")
    write(root / WF / "huge.yml", b"# " + b"x" * 2**20 + b"\n")
    proc = perf("ci.audit", "--root", str(root), "--json", timeout=60)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    unread = [(f["file"], f["id"], f["message"]) for f in doc["findings"] if f["level"] == "error"]
    assert unread == [
        (
            f"{WF}/huge.yml",
            "ci.invalid-yaml",
            f"cannot read {WF}/huge.yml: larger than 1 MiB; nothing was changed; it was not audited",
        ),
        (
            f"{WF}/latin1.yml",
            "ci.invalid-yaml",
            f"cannot read {WF}/latin1.yml: not UTF-8 text at byte 9; nothing was changed; it was not audited",
        ),
        (
            f"{WF}/pipe.yml",
            "ci.invalid-yaml",
            f"cannot read {WF}/pipe.yml: not a regular file; nothing was changed; it was not audited",
        ),
    ]
    assert len([f for f in doc["findings"] if f["file"] == f"{WF}/ci.yml"]) >= 5


def test_a_workflow_written_beside_is_found(tmp_path: Path) -> None:
    root = workspace(tmp_path, {})
    write(root / WF / "other.yaml", NAMED[f"{WF}/ci.yml"])
    write(root / WF / "notes.txt", "not a workflow")
    assert len(own(root, {}).findings) == 5


def _cached_job(key: str) -> str:
    return f"""\
on:
  workflow_dispatch:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/cache/restore@v4
        id: cache
        with:
          path: ~/.cargo/registry
          key: {key}
          restore-keys: ${{{{ runner.os }}}}-cargo-
      - run: cargo build
"""


def test_family_keys_that_differ_across_workflows_are_a_note(tmp_path: Path) -> None:
    plain = "${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}"
    toolchain = "${{ runner.os }}-cargo-${{ hashFiles('rust-toolchain.toml') }}-${{ hashFiles('**/Cargo.lock') }}"
    found = own(
        tmp_path, {f"{WF}/a.yml": _cached_job(plain), f"{WF}/b.yml": _cached_job(toolchain)}
    )
    assert [(f.id, f.level, f.path.name, f.line) for f in found.findings] == [
        ("ci.cache-key-differs", "note", "b.yml", 11)
    ]
    same = own(
        tmp_path / "same", {f"{WF}/a.yml": _cached_job(plain), f"{WF}/b.yml": _cached_job(plain)}
    )
    assert same.findings == ()


@pytest.mark.parametrize("command", ["cargo fmt --all --check", "cargo deny check", "cargo audit"])
def test_cargo_commands_that_compile_nothing_need_no_cache(tmp_path: Path, command: str) -> None:
    text = f"on:\n  workflow_dispatch:\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {command}\n"
    assert own(tmp_path, {f"{WF}/lint.yml": text}).findings == ()
    compiles = text.replace(command, "cargo +nightly clippy --workspace")
    assert [f.id for f in own(tmp_path / "b", {f"{WF}/lint.yml": compiles}).findings] == [
        "ci.cache-missing"
    ]


def test_a_cache_of_installed_tools_is_not_cargos_build_cache(tmp_path: Path) -> None:
    tools = _cached_job("cargo-bin-${{ runner.os }}-nextest-0.9").replace(
        "path: ~/.cargo/registry", "path: ~/.cargo/bin"
    )
    found = own(tmp_path, {f"{WF}/a.yml": tools})
    assert [f.id for f in found.findings] == ["ci.cache-missing"]
    build = _cached_job("cargo-bin-${{ runner.os }}").replace(
        "path: ~/.cargo/registry", "path: ./target"
    )
    found = own(tmp_path / "b", {f"{WF}/a.yml": build})
    assert "ci.cache-key-differs" in [f.id for f in found.findings]


@pytest.mark.parametrize("key", ["${{ inputs.cache-key }}", "${{ env.CARGO_CACHE_KEY }}"])
def test_a_key_passed_in_is_reported_never_rewritten(tmp_path: Path, key: str) -> None:
    found = own(tmp_path, {f"{WF}/a.yml": _cached_job(key)})
    differs = [f for f in found.findings if f.id == "ci.cache-key-differs"]
    assert [(f.fixable, f.fix.endswith("change it where it is set)")) for f in differs] == [
        (False, True)
    ]


@pytest.mark.parametrize(
    ("ref", "fixable"),
    [("v1", False), ("v2.1.0", False), ("v2", True), ("v2.2.4", True), ("v4", True)],
)
def test_retention_is_added_only_where_the_action_takes_it(
    tmp_path: Path, ref: str, fixable: bool
) -> None:
    text = NAMED[f"{WF}/ci.yml"].replace(
        "actions/upload-artifact@v4", f"actions/upload-artifact@{ref}"
    )
    found = own(tmp_path, {f"{WF}/ci.yml": text})
    assert [f.fixable for f in found.findings if f.id == "ci.upload-no-retention"] == [fixable]


def _rust_workflow(on: str, *, steps: str = "      - run: cargo sweep -t 1\n") -> str:
    return (
        f"on:\n{on}jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: Swatinem/rust-cache@v2\n"
        f"{steps}"
        "      - run: cargo nextest run --profile ci\n"
    )


@pytest.mark.parametrize(
    ("on", "events"),
    [
        (
            "  push:\n  pull_request:\n    paths: ['**/*.rs', Cargo.lock, '.cargo/**', 'rust-toolchain*']\n",
            "push",
        ),
        ("  pull_request:\n  merge_group:\n", "pull_request, merge_group"),
        ("  push:\n    paths-ignore: ['docs/**']\n  schedule:\n    - cron: '0 0 * * *'\n", None),
        ("  schedule:\n    - cron: '0 0 * * *'\n  workflow_dispatch:\n", None),
    ],
)
def test_every_event_that_starts_the_rust_jobs_unfiltered(
    tmp_path: Path, on: str, events: str | None
) -> None:
    found = own(tmp_path, {f"{WF}/t.yml": _rust_workflow(on)})
    messages = [f.message for f in found.findings if f.id == "ci.no-path-filter"]
    assert messages == (
        [f"job 'test' runs on every change ({events}), docs-only ones too"] if events else []
    )


def test_a_job_with_its_own_paths_filter_step_is_filtered(tmp_path: Path) -> None:
    own_filter = (
        "      - uses: dorny/paths-filter@v3\n        id: f\n        with:\n          filters: |\n"
        "            rust:\n              - '**/*.rs'\n              - Cargo.lock\n"
        "              - '.cargo/**'\n              - 'rust-toolchain*'\n"
    )
    found = own(tmp_path, {f"{WF}/t.yml": _rust_workflow("  push:\n", steps=own_filter)})
    assert found.findings == ()


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
def test_unicode_line_separators_do_not_break_lines(tmp_path: Path, char: str) -> None:
    """YAML 1.2 ends a line at \\n only: a separator in a comment or a string is text."""
    text = NAMED[f"{WF}/ci.yml"].replace("name: CI\n", f"name: CI {char} x  # a{char}b\n")
    found = own(tmp_path, {f"{WF}/ci.yml": text})
    assert [f.id for f in found.findings] == [f.id for f in own(tmp_path / "plain", NAMED).findings]
    assert [f.line for f in found.findings] == [22, 28, 37, 43, 46]


@pytest.mark.parametrize(
    ("run", "flag"),
    [
        ("cargo test -- --include-ignored", "--include-ignored"),
        ("cargo test --workspace -- --ignored", "--ignored"),
        ("cargo nextest run --run-ignored all", "--run-ignored all"),
        ("cargo +nightly nextest run --run-ignored=only", "--run-ignored=only"),
        (
            "cargo build && \\\n  cargo nextest run --run-ignored ignored-only",
            "--run-ignored ignored-only",
        ),
    ],
)
def test_every_way_of_running_ignored_tests_is_found(tmp_path: Path, run: str, flag: str) -> None:
    indented = run.replace("\n", "\n          ")
    found = own(
        tmp_path,
        {
            f"{WF}/t.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
            f"      - run: |\n          {indented}\n"
        },
    )
    (hit,) = [f for f in found.findings if f.id == "ci.include-ignored"]
    assert f"`{flag}`" in hit.message


@pytest.mark.parametrize(
    "run",
    [
        "cargo nextest run --run-ignored default",
        "echo --include-ignored",
        "cargo test # later: --include-ignored",
    ],
)
def test_what_runs_no_ignored_test_is_not_found(tmp_path: Path, run: str) -> None:
    found = own(
        tmp_path,
        {f"{WF}/t.yml": f"on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: {run}\n"},
    )
    assert "ci.include-ignored" not in [f.id for f in found.findings]
