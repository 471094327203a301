"""`ci.init --shards N`: ci.yml's test job becomes build + archive, N shard jobs from the archive,
a doctest job and a merge that gates and keeps the durations; the linters accept it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ci.test_workflows import OPTIONS, load, runs, steps_using
from helpers import git, one_line_error, perf, tiny_workspace, write

from perf_tasks.ci import actions, sharded
from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE, Options, render

SHARDED = Options(**{**OPTIONS.__dict__, "shards": 4})


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(render(SHARDED, ci_doc=sharded.ci(SHARDED))[CI_FILE])


def test_the_test_job_becomes_build_shards_doctests_and_merge(ci: dict[str, Any]) -> None:
    assert list(ci["jobs"]) == ["changes", "build", "shard", "doctests", "merge", "perf"]
    shard = ci["jobs"]["shard"]
    assert shard["strategy"] == {"fail-fast": False, "matrix": {"shard": [1, 2, 3, 4]}}
    assert shard["needs"] == ["changes", "build"]
    assert ci["jobs"]["merge"]["needs"] == ["changes", "build", "shard", "doctests"]
    # The merge runs when a shard failed (its record names the failure), never when cancelled.
    assert ci["jobs"]["merge"]["if"].startswith("${{ !cancelled() && ")
    for name in ("build", "shard", "doctests", "merge"):
        assert "needs.changes.outputs.rust == 'true'" in ci["jobs"][name]["if"]


def test_one_archive_is_built_and_every_shard_runs_from_it(ci: dict[str, Any]) -> None:
    (script,) = [r for r in runs(ci["jobs"]["build"]) if "nextest archive" in r]
    assert f"--archive-file {sharded.ARCHIVE}" in script
    assert script.index("nextest archive") < script.index("tests.shard --shards 4")
    (run,) = [r for r in runs(ci["jobs"]["shard"]) if "tests.shard" in r]
    assert f'--run "$SHARD/4" --plan {sharded.PLAN} --archive {sharded.ARCHIVE}' in run
    (download,) = steps_using(ci["jobs"]["shard"], actions.DOWNLOAD_ARTIFACT)
    assert download["with"] == {"name": sharded.BUILD_ARTIFACT, "path": sharded.DIR}
    (upload,) = steps_using(ci["jobs"]["build"], actions.UPLOAD_ARTIFACT)
    assert upload["with"]["path"].split() == [sharded.ARCHIVE, sharded.PLAN]


def test_the_doctests_run_in_their_own_job_and_reach_the_merge(ci: dict[str, Any]) -> None:
    (script,) = [r for r in runs(ci["jobs"]["doctests"]) if "cargo test --doc" in r]
    assert "set -o pipefail" in script and f"tee {sharded.DOCTESTS}" in script
    (merge,) = [r for r in runs(ci["jobs"]["merge"]) if "tests.merge" in r]
    assert f"--doctests {sharded.DOCTESTS}" in merge and "--shards 4" in merge
    reports = steps_using(ci["jobs"]["merge"], actions.DOWNLOAD_ARTIFACT)[1]["with"]
    assert reports == {"pattern": "perf-shard-*", "path": sharded.REPORTS, "merge-multiple": True}
    uploaded = [
        s["with"]["name"]
        for job in ("shard", "doctests")
        for s in steps_using(ci["jobs"][job], actions.UPLOAD_ARTIFACT)
    ]
    assert all(name.startswith("perf-shard-") for name in uploaded)
    assert not sharded.BUILD_ARTIFACT.startswith("perf-shard-")  # not merged into the reports


def test_the_durations_travel_to_the_next_plan_in_a_rolling_cache(ci: dict[str, Any]) -> None:
    restore = next(
        s
        for s in steps_using(ci["jobs"]["build"], actions.CACHE_RESTORE)
        if s["with"]["path"] == sharded.RECORD
    )
    (save,) = steps_using(ci["jobs"]["merge"], actions.CACHE_SAVE)
    # A cache entry is found only by the paths it was saved with.
    assert save["with"]["path"] == restore["with"]["path"] == sharded.RECORD
    assert (
        save["with"]["key"] == restore["with"]["key"] == "perf-shard-durations-${{ github.run_id }}"
    )
    assert restore["with"]["restore-keys"] == "perf-shard-durations-"
    (script,) = [r for r in runs(ci["jobs"]["build"]) if "tests.shard" in r]
    assert f"--durations {sharded.RECORD}" in script
    (merge,) = [r for r in runs(ci["jobs"]["merge"]) if "tests.merge" in r]
    assert f"--out {sharded.RECORD}" in merge


def test_the_rest_of_the_workflows_is_unchanged() -> None:
    plain, ours = render(OPTIONS), render(SHARDED, ci_doc=sharded.ci(SHARDED))
    assert plain[MONITORING_FILE] == ours[MONITORING_FILE]
    assert load(plain[CI_FILE])["jobs"]["perf"] == load(ours[CI_FILE])["jobs"]["perf"]
    assert render(SHARDED) == plain  # without the sharded document, shards change nothing


def test_no_expression_in_a_run_line_and_no_credentials_kept(ci: dict[str, Any]) -> None:
    for job in ci["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        for run in runs(job):
            assert "${{" not in run
        (checkout,) = steps_using(job, actions.CHECKOUT)
        assert checkout["with"]["persist-credentials"] is False


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tiny_workspace(tmp_path / "ws")
    write(root / "Cargo.lock", "version = 4\n")
    git("init", "-q", cwd=root)
    return root


@pytest.mark.parametrize("shards", ["2", "7"])
def test_the_matrix_lists_every_shard(ws: Path, shards: str) -> None:
    # actionlint and zizmor: tests/ci/test_lint.py, for 2 and 7 shards
    proc = perf("ci.init", "--root", str(ws), "--shards", shards)
    assert proc.returncode == 0, proc.stderr
    assert (
        f"shard: [{', '.join(str(k) for k in range(1, int(shards) + 1))}]"
        in (ws / CI_FILE).read_text()
    )


@pytest.mark.parametrize(
    ("shards", "said"),
    [
        ("1", "--shards 1: give a whole number from 2 to 256"),
        ("0", "--shards 0: give a whole number from 2 to 256"),
        ("-2", "--shards -2: give a whole number from 2 to 256"),
        ("257", "--shards 257: give a whole number from 2 to 256"),
    ],
)
def test_a_shard_count_a_matrix_cannot_take_is_one_line_and_exit_2(
    ws: Path, shards: str, said: str
) -> None:
    proc = perf("ci.init", "--root", str(ws), "--shards", shards)
    assert said in one_line_error(proc)
    assert not (ws / ".github").exists()
