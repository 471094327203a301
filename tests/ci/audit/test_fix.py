"""`ci.audit --fix` on real files: only the intended nodes change, every other byte stays
(comments, quoting, anchors, block scalars, CRLF), a second --fix has nothing to do, actionlint
accepts what it accepted, and the write goes through the guarded writer."""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import one_line_error, perf
from workflow_fixtures import ALL, CRLF, NAMED, WF, workspace

from perf_tasks.ci.audit import fix, read_sources
from perf_tasks.ci.audit.checks import TEAM_KEY, TEAM_RESTORE_KEYS
from perf_tasks.ci.audit.model import Splice

NO_LINTERS = {"PATH": "/usr/bin:/bin"}
# What --fix may add as a line of its own, and what a changed line may now hold.
ADDED_LINE = re.compile(
    r"^\s*(- )?(restore-keys: .*|retention-days: \d+|['\"]?(Cargo\.lock|\.cargo/\*\*|rust-toolchain\*)['\"]?)\r?$"
)
INTENDED = (
    TEAM_KEY,
    TEAM_KEY.replace("'", "''"),
    "restore-keys",
    "retention-days",
    "Cargo.lock",
    ".cargo/**",
    "rust-toolchain*",
)


def run_fix(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = perf("ci.audit", "--root", str(root), "--fix", *args, env=NO_LINTERS)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc


def texts(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / ".github").rglob("*"))
        if p.is_file()
    }


def assert_only_intended(old: str, new: str) -> None:
    """Line by line: every old line is there unchanged, or changed only between a common prefix
    and suffix into one of the intended values; every new line is one of the intended additions."""
    a, b = old.split("\n"), new.split("\n")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        assert tag in ("insert", "replace"), (tag, a[i1:i2])
        removed, added = a[i1:i2], b[j1:j2]
        assert len(removed) <= len(added), (removed, added)
        for o, n in zip(removed, added[: len(removed)], strict=True):
            p = common_prefix(o, n)
            s = common_prefix(o[p:][::-1], n[p:][::-1])
            assert "#" not in o[p : len(o) - s], (o, n)  # no comment is touched
            assert covered(n, p, len(n) - s), (o, n)
        for line in added[len(removed) :]:
            assert ADDED_LINE.match(line), line
    if "\r\n" in old:
        assert new.count("\n") == new.count("\r\n")


def common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


# An intended value or key, or what separates them in a flow collection.
INTENDED_PART = re.compile(
    "|".join(re.escape(x) for x in (TEAM_KEY, TEAM_RESTORE_KEYS, *INTENDED, "key"))
    + r"|\d+|[\s,:'\"]"
)


def covered(line: str, start: int, end: int) -> bool:
    """The changed part `[start, end)` of `line`, widened to whole values, is made of intended
    values only (one key's new value, or keys and items added to a flow collection)."""
    for value in (TEAM_KEY, *INTENDED):  # one value replaced: the change lies inside it
        at = line.find(value)
        while at >= 0:
            if at <= start and at + len(value) >= end:
                return True
            at = line.find(value, at + 1)
    cuts = ",[]{} "
    if start < len(line) and line[start] not in cuts:  # begins inside a value: all of it
        while start > 0 and line[start - 1] not in cuts:
            start -= 1
    if end > 0 and line[end - 1] not in cuts:
        while end < len(line) and line[end] not in ",]}":
            end += 1
    return re.fullmatch(f"(?:{INTENDED_PART.pattern})*", line[start:end]) is not None


def actionlint_ok(path: Path) -> bool | None:
    program = shutil.which("actionlint")
    if program is None:
        return None
    proc = subprocess.run([program, str(path)], capture_output=True, text=True, check=False)
    return proc.returncode == 0


@pytest.mark.parametrize("name", sorted(ALL))
def test_fix_changes_only_the_nodes_and_a_second_fix_nothing(tmp_path: Path, name: str) -> None:
    root = workspace(tmp_path, ALL[name])
    before = texts(root)
    linted = {f: actionlint_ok(root / f) for f in before if f.startswith(WF)}
    run_fix(root)
    after = texts(root)
    assert after.keys() == before.keys()
    for f in before:
        assert_only_intended(before[f].decode(), after[f].decode())
    for f, ok in linted.items():
        if ok:
            assert actionlint_ok(root / f), f
    again = run_fix(root)
    assert texts(root) == after
    assert "--fix: nothing to change" in again.stdout
    assert "(fixed)" not in again.stdout


def test_the_issues_case_gets_the_keys_restore_keys_and_days_and_nothing_else(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path, NAMED)
    proc = run_fix(root)
    expected = (
        NAMED[f"{WF}/ci.yml"]
        .replace(
            "          key: ${{ runner.os }}-build-${{ hashFiles('**/Cargo.lock') }}\n",
            f"          key: {TEAM_KEY}\n          restore-keys: {TEAM_RESTORE_KEYS}\n",
        )
        .replace(
            "          key: bench-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}\n",
            f"          key: {TEAM_KEY}\n          restore-keys: {TEAM_RESTORE_KEYS}\n",
        )
        .replace(
            "          path: bench.json\n",
            "          path: bench.json\n          retention-days: 7\n",
        )
    )
    assert (root / WF / "ci.yml").read_text() == expected
    assert proc.returncode == 0, proc.stdout  # nothing above a note is left
    assert "fixed 5 findings: wrote .github/workflows/ci.yml" in proc.stdout
    assert proc.stdout.count("(fixed)") == 5


def test_crlf_stays_crlf(tmp_path: Path) -> None:
    root = workspace(tmp_path, CRLF)
    run_fix(root)
    data = (root / WF / "ci.yml").read_bytes()
    assert b"restore-keys: ${{ runner.os }}-cargo-\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_dry_run_shows_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    root = workspace(tmp_path, NAMED)
    before = texts(root)
    proc = run_fix(root, "--dry-run")
    assert texts(root) == before
    assert proc.returncode == 1
    assert f"+          restore-keys: {TEAM_RESTORE_KEYS}\n" in proc.stdout
    assert "+          retention-days: 7\n" in proc.stdout
    assert (
        "dry run: --fix would change .github/workflows/ci.yml; nothing was written" in proc.stdout
    )


def test_json_says_what_was_fixed_and_written(tmp_path: Path) -> None:
    root = workspace(tmp_path, NAMED)
    proc = run_fix(root, "--json")
    doc = json.loads(proc.stdout)
    assert doc["fix"] is True and doc["dry_run"] is False and doc["ok"] is True
    assert [f["file"] for f in doc["files"]] == [f"{WF}/ci.yml"]
    assert doc["files"][0]["written"] is True
    assert doc["files"][0]["diff"].startswith(f"--- a/{WF}/ci.yml\n+++ b/{WF}/ci.yml\n")
    assert [f["fixed"] for f in doc["findings"]] == [True] * 5


def test_dry_run_without_fix_is_bad_usage(tmp_path: Path) -> None:
    root = workspace(tmp_path, NAMED)
    line = one_line_error(perf("ci.audit", "--root", str(root), "--dry-run"))
    assert line == "error: --dry-run shows what --fix would change: pass both"


def test_a_read_only_workflow_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = workspace(tmp_path, {**NAMED, f"{WF}/other.yml": ALL["flow"][f"{WF}/flow.yml"]})
    before = texts(root)
    (root / WF / "other.yml").chmod(0o444)
    line = one_line_error(perf("ci.audit", "--root", str(root), "--fix", env=NO_LINTERS))
    assert line.startswith(f"error: {WF}/other.yml is read-only")
    assert texts(root) == before


def test_a_hard_linked_workflow_is_refused(tmp_path: Path) -> None:
    root = workspace(tmp_path, NAMED)
    os.link(root / WF / "ci.yml", tmp_path / "elsewhere.yml")
    before = texts(root)
    line = one_line_error(perf("ci.audit", "--root", str(root), "--fix", env=NO_LINTERS))
    assert "has 2 hard links" in line
    assert texts(root) == before


def test_a_splice_that_changes_more_than_its_node_is_refused(tmp_path: Path) -> None:
    """The proof after the splices: a change outside the intended node is never written."""
    root = workspace(tmp_path, NAMED)
    (source,) = read_sources(root)
    text = source.text
    at = text.index("name: CI")
    stray = Splice(source.path, at + len("name: "), at + len("name: CI"), "XX", "set", None)
    from perf_tasks.ci.audit.model import Finding

    finding = Finding(
        "ci.x", "P1", "warning", source.path, 1, "m", "f", fixable=True, splices=(stray,)
    )
    planned = fix.plan([source], [finding])
    assert planned.changes == ()
    assert [f.id for f in planned.refused] == ["ci.fix-refused"]
    assert "would change more than the intended keys" in planned.refused[0].message


def test_ci_init_workflows_have_nothing_to_fix(tmp_path: Path) -> None:
    from helpers import REPO_ROOT

    root = tmp_path / "demo"
    shutil.copytree(
        REPO_ROOT / "examples" / "demo-workspace",
        root,
        ignore=shutil.ignore_patterns("target", "docs"),
    )
    assert perf("ci.init", "--root", str(root)).returncode == 0
    before = texts(root)
    proc = run_fix(root)
    assert proc.returncode == 0 and texts(root) == before
    assert "--fix: nothing to change" in proc.stdout


def test_paths_filter_lists_get_the_missing_patterns_a_single_pattern_is_reported(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path, ALL["filter_last_crlf"])
    proc = run_fix(root, "--json")
    doc = json.loads(proc.stdout)
    misses = [
        (f["line"], f["fixed"]) for f in doc["findings"] if f["id"] == "ci.path-filter-misses"
    ]
    assert misses == [(19, True), (22, False), (23, True)]  # rust, manifests: 'Cargo.toml', crates
    text = (root / WF / "filters.yml").read_bytes().decode()
    rust = "            rust:\r\n              - '**/*.rs'\r\n              - '**/Cargo.toml'\r\n"
    added = "              - 'Cargo.lock'\r\n              - '.cargo/**'\r\n              - 'rust-toolchain*'\r\n"
    assert rust + added + "            manifests: 'Cargo.toml'\r\n" in text
    assert "              - 'crates/**/*.rs'\r\n" + added + "\r\n  test:" in text
    assert proc.returncode == 1  # the single pattern is left


def test_fix_waits_for_another_run_then_edits_what_it_left(tmp_path: Path) -> None:
    """The run lock is held from the read to the rename: a --fix started while another run
    holds it reads the file only once that run is done, and edits its result."""
    import sys
    import time

    from helpers import lock_held_elsewhere

    root = workspace(tmp_path, NAMED)
    workflow = root / WF / "ci.yml"
    with lock_held_elsewhere(root):
        proc = subprocess.Popen(
            [sys.executable, "-m", "perf_tasks", "ci.audit", "--root", str(root), "--fix"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **NO_LINTERS},
        )
        time.sleep(2)
        assert proc.poll() is None  # waiting for the lock
        # what the other run wrote meanwhile: a comment at the top
        workflow.write_text("# edited by the other run\n" + NAMED[f"{WF}/ci.yml"])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    text = workflow.read_text()
    assert text.startswith("# edited by the other run\n")
    assert f"restore-keys: {TEAM_RESTORE_KEYS}" in text
