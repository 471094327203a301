"""Planning `clean.runs` on many run folders: the cost per run must stay flat as runs grow.

For each size (2,500 and 20,000 run folders under `output/scg/` by default), times
`run.plan("runs")` and `du -s -B1` of the same folder, warm cache, runs interleaved, and prints the
medians, the ratio to du, and the cost per run folder. Linear planning keeps the per-run cost (and
the ratio to du) about the same at both sizes.
Run: `python -m benches bench_runs [--sizes 2500 20000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from perf_tasks.clean import run
from perf_tasks.clean.safety import Guard
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace

DAY = 86400.0
# The per-run cost at the largest size may exceed the one at the smallest by this much.
GATE_LINEAR = 1.5


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def du(path: Path) -> None:
    subprocess.run(["du", "-s", "-B1", str(path)], check=True, stdout=subprocess.DEVNULL)


def make_runs(scg: Path, count: int, *, now: float) -> None:
    """`count` run folders of a few result files each, all older than the age limit."""
    for i in range(count):
        when = now - (20 + i % 300) * DAY
        run_dir = scg / f"run-{i:06}"
        deep = run_dir / "results"
        deep.mkdir(parents=True)
        for name, size in (("summary.json", 900), ("log.txt", 6000)):
            (run_dir / name).write_bytes(b"l" * size)
            os.utime(run_dir / name, (when, when))
        (deep / "metrics.csv").write_bytes(b"m" * 3000)
        os.utime(deep / "metrics.csv", (when, when))
        os.utime(deep, (when, when))
        os.utime(run_dir, (when, when))


def bench_size(scratch: Path, count: int, runs: int) -> dict[str, object]:
    root = scratch / f"ws{count}"
    (root / "target").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "bench"\nversion = "0.1.0"\n')
    scg = root / "output" / "scg"
    now = time.time()
    make_runs(scg, count, now=now)
    ws = Workspace(root=root, target_dir=root / "target", build_dir=root / "target")
    guard = Guard.for_workspace(ws)
    settings = Settings()
    plan, _ = run.plan("runs", guard, settings, now=now)
    assert len(plan.items) == count - settings.runs.keep_newest, len(plan.items)
    du(scg)  # warm the cache
    ours, ref = [], []
    for i in range(runs):
        pair = [
            ("ours", lambda: run.plan("runs", guard, settings, now=now)),
            ("ref", lambda: du(scg)),
        ]
        for name, fn in pair if i % 2 == 0 else reversed(pair):
            (ours if name == "ours" else ref).append(timed(fn))
    return {
        "runs_folders": count,
        "ours_s": ours,
        "reference_s": ref,
        "median_ours_s": statistics.median(ours),
        "median_reference_s": statistics.median(ref),
        "ratio": statistics.median(ours) / statistics.median(ref),
        "us_per_run": statistics.median(ours) / count * 1e6,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_runs")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_500, 20_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "benches" / "out" / "bench_runs.json")
    args = parser.parse_args(argv)
    results = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="perf-tasks-bench-") as tmp:
        for count in args.sizes:
            results.append(bench_size(Path(tmp), count, args.runs))
    print(f"{'run folders':>11} {'plan runs':>10} {'du -s -B1':>10} {'ratio':>7} {'per run':>10}")
    for r in results:
        print(
            f"{r['runs_folders']:>11,} {r['median_ours_s']:>9.3f}s "
            f"{r['median_reference_s']:>9.3f}s {r['ratio']:>6.2f}x {r['us_per_run']:>7.1f} µs"
        )
    first, last = results[0], results[-1]
    growth = float(last["us_per_run"]) / float(first["us_per_run"])  # type: ignore[arg-type]
    verdict = "ok" if growth <= GATE_LINEAR else "OVER"
    print(
        f"per-run cost {first['runs_folders']:,} -> {last['runs_folders']:,}: {growth:.2f}x "
        f"(<= {GATE_LINEAR} for near-linear) {verdict}"
    )
    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "results": results,
        "per_run_growth": growth,
        "gate": GATE_LINEAR,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
    }
    args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
