"""The workspace is resolved once and handed down: a gate and a monitor run read the settings
once, however many of their steps need them (the contract's path, the budget, the base)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perf_tasks import settings as settings_mod
from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError
from perf_tasks.gates import job as gates_job
from perf_tasks.monitor import job as monitor_job
from perf_tasks.progress import Progress


def small_record(path: Path, wall: float = 2.0) -> Path:
    stats = {"median": wall, "min": wall, "max": wall, "mad": 0.0}
    data = {
        "schema_version": 1,
        "kind": "perf-tasks.baseline",
        "started_at": "2026-11-30T01:00:00Z",
        "tests": {"runs": 3, "wall_s": stats},
        "disk": {"target": {"bytes": 10**6}},
    }
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every read of perf-tasks.toml, by root."""
    seen: list[Path] = []
    real = settings_mod.load

    def counting(root: Path) -> settings_mod.Settings:
        seen.append(root)
        return real(root)

    monkeypatch.setattr(settings_mod, "load", counting)
    return seen


def workspace(root: Path) -> RunContext:
    (root / "perf-tasks.toml").write_text('[budgets]\ntarget = "1 GB"\n')
    contract = root / "benches" / "PERFORMANCE_CONTRACT.md"
    contract.parent.mkdir()
    rows = "| tests.wall_s | ≤ +50% | against the base |\n| disk.target.bytes | ≤ 1 GB | budget |\n"
    contract.write_text(f"# Contract\n\n| metric | bound | note |\n|---|---|---|\n{rows}")
    return RunContext(root, {})


def test_a_gate_against_a_base_reads_the_settings_once(tmp_path: Path, loads: list[Path]) -> None:
    context = workspace(tmp_path)
    request = gates_job.GateRequest(
        "perf-tasks", record=small_record(tmp_path / "new.json"), base=small_record(tmp_path / "b")
    )
    done = gates_job.check(context, request, progress=Progress())
    assert [r.verdict for r in done.report.rows] == ["pass", "pass"]
    assert loads == [tmp_path]


def test_a_monitor_run_reads_the_settings_once(tmp_path: Path, loads: list[Path]) -> None:
    context = workspace(tmp_path)
    request = monitor_job.MonitorRequest(
        "perf-tasks", record=small_record(tmp_path / "new.json"), base=small_record(tmp_path / "b")
    )
    done = monitor_job.run(context, request, progress=Progress())
    assert done.exit_code == 0
    assert loads == [tmp_path]


def test_a_context_that_is_never_asked_reads_nothing(tmp_path: Path, loads: list[Path]) -> None:
    (tmp_path / "perf-tasks.toml").write_text("[budgets]\ntarget = 'not a size'\n")
    context = RunContext(tmp_path, {})  # a bad file fails where it is first needed, not here
    assert loads == []
    with pytest.raises(ConfigError):
        _ = context.settings
