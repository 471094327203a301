"""What `baseline.compare` says when something got worse but does not count: each metric with its
reason, never a bare "advisory". Two records through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import perf
from measure.test_measure_compare import MIB, record, stat


def closing_line(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> str:
    (tmp_path / "a.json").write_text(json.dumps(old))
    (tmp_path / "b.json").write_text(json.dumps(new))
    proc = perf("baseline.compare", "--old", "a.json", "--new", "b.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_more_ram_on_the_same_machine_says_why_it_does_not_count(tmp_path: Path) -> None:
    """The issue's case: 'advisory comparison' between two records of this machine, no reason."""
    line = closing_line(
        tmp_path, record(), record(build__peak_tree_rss_bytes=stat(1200 * MIB, 5 * MIB))
    )
    assert line == (
        "no regression counts; 1 metric worse but not counted: build.peak_tree_rss_bytes "
        "(RAM peaks are sampled: shown, never counted)"
    )


def test_a_busier_machine_names_itself_as_the_reason(tmp_path: Path) -> None:
    busy = record(
        tests__wall_s=stat(7.0, 0.05), tests__others_cpu_s=[9.0, 10.5, 12.0], tests__cpu_s=stat(3)
    )
    old = record(tests__others_cpu_s=[0.1, 0.1, 0.1], tests__cpu_s=stat(3))
    line = closing_line(tmp_path, old, busy)
    assert line == (
        "no regression counts; 1 metric worse but not counted: tests.wall_s "
        "(other processes took 1.48 cores more of the machine)"
    )


def test_another_machine_says_the_environments_differ(tmp_path: Path) -> None:
    other = record(build__wall_s=stat(20.0, 0.1), environment__cpu_model="Other CPU")
    line = closing_line(tmp_path, record(), other)
    assert line == (
        "no regression counts; 1 metric worse but not counted: build.wall_s "
        "(the environments differ)"
    )
