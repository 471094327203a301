"""`ci.init --use-action OWNER/REPO@<commit>`: every job installs perf-tasks through the perf-tasks
action instead of pip, and actionlint and zizmor accept what it writes (as tests/ci/test_lint.py
does for the other forms)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml
from helpers import REPO_ROOT

from perf_tasks.ci import actions
from perf_tasks.ci.workflows import CI_FILE, MONITORING_FILE, Options, render

ACTION_REF = "example/perf-tasks@" + "b" * 40
OPTIONS = Options(install="perf-tasks @ git+https://example.com/perf-tasks@" + "a" * 40)
DEMO = REPO_ROOT / "examples" / "demo-workspace"


def load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True)  # PyYAML reads `on` as YAML 1.1's boolean; GitHub as the string
    return data  # type: ignore[no-any-return]


def jobs_of(options: Options) -> dict[str, Any]:
    files = {name: load(text) for name, text in render(options).items()}
    return {**files[CI_FILE]["jobs"], **files[MONITORING_FILE]["jobs"]}


def runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def test_every_rust_job_installs_through_the_action_and_nothing_else() -> None:
    """The action sets up Python and installs perf-tasks and cargo-nextest (the monitor's with the
    chart extra); no pip line and no setup-python are left, and the other steps are the same."""
    jobs = jobs_of(replace(OPTIONS, action=ACTION_REF))
    before = jobs_of(OPTIONS)
    for name in ("test", "perf", "monitor"):
        job = jobs[name]
        used = [s for s in job["steps"] if s.get("uses") == ACTION_REF]
        assert len(used) == 1, name
        extras = {"extras": "chart"} if name == "monitor" else {}
        assert used[0]["with"] == {"python-version": "3.12", **extras}
        assert not any("pip install" in s.get("run", "") for s in job["steps"])
        assert not [s for s in job["steps"] if s.get("uses") == actions.SETUP_PYTHON.uses]
        assert runs(job) == [r for r in runs(before[name]) if "pip install" not in r]
    assert ACTION_REF not in str(jobs["changes"])
