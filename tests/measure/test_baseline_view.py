"""The record built from a result, and how it reads: Baseline.md, the summary, the comparison."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from perf_tasks import settings
from perf_tasks.inspection import Inspection
from perf_tasks.measure import baseline, record, report
from perf_tasks.measure import comparison as cmp
from perf_tasks.measure.cargo import Units
from perf_tasks.measure.disk import OutputUsage, Part, Profile
from perf_tasks.measure.job import PlannedRecord
from perf_tasks.measure.nextest_runs import Counts
from perf_tasks.measure.timing import Measurement, Run
from perf_tasks.quantities import DURATION_PATTERN
from perf_tasks.ui import baseline as view
from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render
from perf_tasks.workspace import Workspace

MIB = 2**20


def run(wall: float, *, rss: int | None = 50 * MIB, code: int = 0) -> Run:
    return Run(
        wall_s=wall,
        user_s=wall * 0.8,
        sys_s=wall * 0.1,
        exit_code=code,
        peak_tree_rss=None if rss is None else 2 * rss,
        peak_process_rss=rss,
        peak_process_name="rustc" if rss else "",
        samples=0 if rss is None else 5,
        sampler_cpu_s=0.001,
    )


@pytest.fixture
def result(tmp_path: Path) -> baseline.Result:
    root = tmp_path / "ws"
    member = {
        "id": "core",
        "name": "core",
        "dependencies": [],
        "targets": [{"kind": ["lib"], "src_path": str(root / "src" / "lib.rs"), "doctest": True}],
    }
    facts = Inspection(
        workspace=Workspace(root=root, target_dir=root / "target", build_dir=root / "target"),
        cargo="/usr/local/bin/cargo",
        metadata={"packages": [member], "workspace_members": ["core"]},
        nextest="cargo-nextest 0.9.0",
        nextest_config={},
        tmp_dir=tmp_path,
    )
    plan = baseline.plan(facts, settings.Settings(), baseline.Options(runs=3))

    def measured(phase: str, walls: list[float], **kw: object) -> Measurement:
        step = plan.step(phase)
        assert step is not None
        return Measurement(argv=step.argv, runs=tuple(run(w, **kw) for w in walls))  # type: ignore[arg-type]

    def phase_of(name: str) -> baseline.Step:
        step = plan.step(name)
        assert step is not None
        return step

    phases = {
        "build": baseline.Phase(
            phase_of("build"),
            measured("build", [0.03, 0.031, 0.029], rss=None),
            units=(Units(0, 4),) * 3,
        ),
        "build.incremental": baseline.Phase(
            phase_of("build.incremental"),
            measured("build.incremental", [0.5, 0.45, 0.48]),
            units=(Units(3, 1), Units(3, 1), Units(2, 2)),
        ),
        "tests": baseline.Phase(
            phase_of("tests"),
            measured("tests", [0.25, 0.24, 0.26]),
            counts=Counts(passed=12, failed=1, skipped=0, ignored=1),
            durations={"core": {"tests::a": 0.2, "tests::b": 0.01}},
        ),
        "tests.doc": baseline.Phase(
            phase_of("tests.doc"),
            measured("tests.doc", [1.0, 1.1, 0.9]),
            counts=Counts(passed=5),
        ),
    }
    target = OutputUsage(
        name="target",
        paths=("target",),
        exists=True,
        bytes=80 * MIB,
        files=900,
        profiles={
            "debug": Profile(
                bytes=80 * MIB - 4096,
                files=899,
                parts={
                    "deps": Part(40 * MIB, 10),
                    "build": Part(4 * MIB, 8),
                    "incremental": Part(36 * MIB - 8192, 800),
                    "other": Part(4096, 81),
                },
            )
        },
        other=Part(4096, 1),
    )
    cache = OutputUsage(name="cache", paths=("cache",), exists=False, bytes=0, files=0)
    return baseline.Result(
        plan=plan,
        started_at=1_767_225_600.0,  # 2026-01-01T00:00:00Z
        elapsed_s=12.34,
        environment={
            "cpu_model": "Test CPU",
            "cpu_cores": 4,
            "git": None,
            "load_average": [0.1, 0.2, 0.3],
        },
        phases=phases,
        disk={"target": target, "cache": cache},
        warnings=("tests: something to say",),
    )


def test_record_has_the_names_other_tools_rely_on(result: baseline.Result) -> None:
    data = record.build(result)
    assert data["schema_version"] == 1 and data["kind"] == "perf-tasks.baseline"
    assert data["started_at"] == "2026-01-01T00:00:00Z"
    assert data["environment"]["cpu_model"] == "Test CPU"
    assert data["disk"]["target"]["bytes"] == 80 * MIB
    assert data["build"]["wall_s"]["median"] == 0.03
    assert data["tests"]["wall_s"]["median"] == 0.25
    assert (data["tests"]["passed"], data["tests"]["failed"]) == (12, 1)
    assert data["ok"] is False  # a failed test
    assert data["build"]["peak_tree_rss_bytes"] is None  # no run had a RAM sample
    assert data["build"]["incremental"]["touched"] == "src/lib.rs"
    assert data["build"]["incremental"]["units"] == {
        "compiled": 3,
        "fresh": 1,
        "compiled_per_run": [3, 3, 2],
    }
    assert data["build"]["cold"] is None
    assert data["tests"]["peak_process_rss_bytes"]["median"] == 50 * MIB
    assert data["tests"]["tool_config"]["path"] == "target/perf-tasks/nextest.toml"
    assert data["tests"]["command"] == (
        "cargo-nextest nextest run --workspace --no-tests=warn --profile ci --tool-config-file "
        "perf-tasks:$PWD/target/perf-tasks/nextest.toml --ignore-default-filter --retries 0 "
        "--flaky-result fail --no-fail-fast --status-level pass"
    )
    assert data["tests"]["doc"]["passed"] == 5
    assert data["workspace"] == {
        "name": "ws",
        "members": ["core"],
        "target_dir": "target",
        "build_dir": "target",
    }
    json.dumps(data)  # plain JSON all the way down


def test_markdown_reads_well_and_says_how_to_reproduce(result: baseline.Result) -> None:
    text = report.markdown(record.build(result), program="invoke")
    assert text.startswith("# Performance baseline: ws\n")
    assert "| warm (nothing to do) | 30.0 ms | 29.0 ms | 31.0 ms | 1.00 ms |" in text
    assert "| tests | 250 ms | 240 ms | 260 ms | 10.0 ms |" in text
    assert "| 12 / 1 / 0 / 1 |" in text  # passed / failed / skipped / ignored
    assert "| `tests::a` | `core` | 200 ms |" in text  # the slowest test first
    assert "| debug | 83.9 MB | 41.9 MB | 4.2 MB | 37.7 MB | 4.1 kB |" in text
    assert "- tests: something to say" in text
    assert 'hyperfine -N --runs 3 --warmup 0 --prepare "touch src/lib.rs" "cargo build' in text
    assert "du -s -B1 target cache" in text
    assert "[profile.ci]" in text  # the tool config the test command reads
    assert str(result.plan.root) not in text


def test_summary_and_closing_line(result: baseline.Result) -> None:
    buf = io.StringIO()
    out = Output(stdout=buf, width=100)
    written = [Path("/ws/docs/performance/baseline.json"), Path("/ws/docs/performance/Baseline.md")]
    render(out, baseline.Recorded(record.build(result), tuple(written)))
    text = buf.getvalue()
    assert "tests: 12 passed, 1 failed, 1 ignored" in text
    assert "build.incremental: 3 built, 1 fresh" in text
    assert "warning: tests: something to say" in text
    assert text.strip().splitlines()[-1] == (
        "baseline: 1 test FAILED; wrote baseline.json and Baseline.md in /ws/docs/performance (12.3 s)"
    )


def test_json_mode_prints_only_the_record_on_stdout(result: baseline.Result) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    data = record.build(result)
    render(Output(json=True, stdout=stdout, stderr=stderr), baseline.Recorded(data, ()))
    assert json.loads(stdout.getvalue()) == data
    assert "baseline:" in stderr.getvalue()


def test_comparison_table_and_verdict() -> None:
    def stat(x: float) -> dict[str, object]:
        return {"median": x, "min": x, "max": x, "mad": 0.0, "samples": [x]}

    old = {
        "environment": {},
        "started_at": "A",
        "tests": {"command": "t", "wall_s": stat(0.25), "passed": 13, "failed": 0},
    }
    new = {
        "environment": {},
        "started_at": "B",
        "tests": {"command": "t", "wall_s": stat(0.35), "passed": 13, "failed": 0},
    }
    buf = io.StringIO()
    view.render_comparison(Output(stdout=buf, width=100), cmp.compare(old, new))
    text = buf.getvalue()
    assert "REGRESSION" in text and "+40.0%" in text
    assert "passed" not in text  # unchanged counts are left out without --verbose
    assert text.strip().splitlines()[-1] == (
        "1 regression outside the noise: tests.wall_s (+100 ms (+40.0%))"
    )
    quiet = io.StringIO()
    view.render_comparison(Output(stdout=quiet, width=100), cmp.compare(old, old), verbose=True)
    assert "passed" in quiet.getvalue()
    assert quiet.getvalue().strip().splitlines()[-1] == "no change outside the noise"


def test_progress_is_plain_lines_off_a_terminal() -> None:
    buf = io.StringIO()
    with view.status(Output(stdout=buf, width=100)) as on_event:
        on_event(
            baseline.Event(
                "prepare",
                (
                    "/x/cargo",
                    "nextest",
                    "run",
                    "--tool-config-file",
                    "perf-tasks:/x/t.toml",
                    "--no-run",
                ),
            )
        )
        on_event(baseline.Event("tests", ("cargo",), run=2, runs=3))
        on_event(baseline.Event("tests", ("cargo",), run=1, runs=1, warmup=True))
    # each line stamped with the time since the start, in the one stamp of every progress line
    stamp = re.compile(rf"^\[{DURATION_PATTERN}\] ")
    assert all(stamp.match(line) for line in buf.getvalue().splitlines()), buf.getvalue()
    lines = [stamp.sub("", line) for line in buf.getvalue().splitlines()]
    assert lines == [
        "prepare: cargo nextest run --no-run",
        "tests: run 2 of 3",
        "tests: warmup 1 of 1",
    ]


def test_live_line_on_a_terminal_leaves_nothing_behind() -> None:
    import time

    buf = io.StringIO()
    out = Output(stdout=buf, width=100, force_terminal=True)
    with view.status(out) as on_event:
        on_event(baseline.Event("build", ("cargo",), run=1, runs=3))
        time.sleep(0.3)  # a refresh or two (4 per second)
    text = buf.getvalue()
    # elapsed in all, phase, run i of N, elapsed in this run
    assert re.search(
        rf"\[{DURATION_PATTERN}\] build: run 1 of 3, this one {DURATION_PATTERN}", text
    )
    assert text.endswith("\x1b[2K")  # transient: the line is erased at the end


def test_dry_run_lists_every_command(result: baseline.Result) -> None:
    buf = io.StringIO()
    view.render_plan(Output(stdout=buf, width=200), result.plan)
    text = buf.getvalue()
    assert (
        "  build.incremental (3 runs; before each run: touch src/lib.rs): cargo build --workspace"
        in text
    )
    assert (
        text.strip().splitlines()[-1]
        == "dry run: nothing was run; it would write docs/performance/"
    )
    out = io.StringIO()
    render(Output(json=True, stdout=out, stderr=io.StringIO()), PlannedRecord(result.plan))
    steps = json.loads(out.getvalue())["steps"]
    assert [s["phase"] for s in steps if s["timed"]] == [
        "build",
        "build.incremental",
        "tests",
        "tests.doc",
    ]
