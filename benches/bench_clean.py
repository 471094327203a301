"""Cleaning at the physical limit: planning scan vs `du -s`, deletion vs `rm -rf`, and the cost of
loading the tasks (`invoke --list`) vs a tasks.py with one no-op task.

Warm cache, runs interleaved, medians printed as ratios. Gates: scan <= 1.1x du (also once every
file has a second hard link), apply <= 1.1x rm -rf, invoke --list <= 1.3x.
Run: `python -m benches bench_clean [--files N] [--no-links]`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benches import cargo_like
from perf_tasks.clean import run
from perf_tasks.clean.apply import apply
from perf_tasks.clean.modes.nuke import select_nuke
from perf_tasks.clean.plan import build_plan
from perf_tasks.clean.safety import Guard
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace

GATES = {"scan": 1.1, "apply": 1.1, "invoke --list": 1.3, "scan, hard-linked": 1.1}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_time() -> float:
    """CPU seconds of this process and of its waited-for children (du, our scan's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def sh(*argv: str, cwd: Path | None = None) -> None:
    subprocess.run(argv, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def workspace_at(root: Path) -> Workspace:
    # What cargo metadata reports for this layout; not asked here, to time our part alone.
    return Workspace(root=root, target_dir=root / "target", build_dir=root / "target")


def bench_scan(
    bases: dict[str, Path], runs: int, cpu: dict[str, tuple[list[float], list[float]]]
) -> dict[str, tuple[list[float], list[float]]]:
    """Planning `clean.nuke` against `du -s -B1`, on each tree; rounds interleave every tree, so
    all of them see the same load. CPU seconds of each go to `cpu`: what the other load on the
    machine changes least."""
    plans = {}
    for name, base in bases.items():
        guard = Guard.for_workspace(workspace_at(base))
        plans[name] = functools.partial(_plan_nuke, guard)
        sh("du", "-s", str(base / "target"))  # warm the cache
    timings: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in bases}
    cpu.update({name: ([], []) for name in bases})
    for i in range(runs):
        for name, base in bases.items():
            pair = [
                (0, plans[name]),
                (1, functools.partial(sh, "du", "-s", "-B1", str(base / "target"))),
            ]
            for side, fn in pair if i % 2 == 0 else reversed(pair):
                before = cpu_time()
                timings[name][side].append(timed(fn))
                cpu[name][side].append(cpu_time() - before)
    return timings


def _plan_nuke(guard: Guard) -> None:
    build_plan("nuke", guard, select_nuke(guard, Settings()))


def bench_apply(base: Path, scratch: Path, runs: int) -> tuple[list[float], list[float]]:
    ours, ref = [], []
    for i in range(runs):
        a, b = scratch / f"a{i}", scratch / f"b{i}"
        for copy in (a, b):
            sh("cp", "-a", str(base), str(copy))
        # Written back and warm: the copies' dirty pages must not flush during either timing.
        sh("sync")
        for copy in (a, b):
            sh("du", "-s", str(copy))
        guard = Guard.for_workspace(workspace_at(a))
        plan, scanned = run.plan("nuke", guard, Settings(), now=time.time())
        pair = [
            ("ours", functools.partial(apply, plan, guard=guard, freed=scanned.freed)),
            ("ref", functools.partial(sh, "rm", "-rf", str(b / "target"))),
        ]
        for name, fn in pair if i % 2 == 0 else reversed(pair):
            (ours if name == "ours" else ref).append(timed(fn))
        shutil.rmtree(a, ignore_errors=True)
        shutil.rmtree(b, ignore_errors=True)
    return ours, ref


def bench_list(scratch: Path, runs: int) -> tuple[list[float], list[float]]:
    noop = scratch / "noop"
    noop.mkdir()
    (noop / "tasks.py").write_text("from invoke import task\n\n\n@task\ndef noop(c):\n    pass\n")
    argv = (sys.executable, "-m", "invoke", "--list")
    ours, ref = [], []
    for i in range(runs):
        pair = [("ours", lambda: sh(*argv, cwd=REPO)), ("ref", lambda: sh(*argv, cwd=noop))]
        for name, fn in pair if i % 2 == 0 else reversed(pair):
            (ours if name == "ours" else ref).append(timed(fn))
    return ours, ref


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_clean")
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-links", action="store_true", help="skip the variant where every file has two links"
    )
    parser.add_argument(
        "--only", nargs="+", choices=["scan", "apply", "list"], default=["scan", "apply", "list"]
    )
    parser.add_argument("--out", type=Path, default=REPO / "benches" / "out" / "bench_clean.json")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, object]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="perf-tasks-bench-") as tmp:
        scratch = Path(tmp)
        base = scratch / "ws"
        base.mkdir()
        (base / "Cargo.toml").write_text('[package]\nname = "bench"\nversion = "0.1.0"\n')
        made = cargo_like.make(base / "target", files=args.files)
        print(f"cargo-like tree: {made} files under target/", flush=True)
        timings: dict[str, tuple[list[float], list[float]]] = {}
        cpu: dict[str, tuple[list[float], list[float]]] = {}
        if "scan" in args.only:
            bases = {"scan": base}
            if not args.no_links:
                linked = scratch / "linked"
                sh("cp", "-a", str(base), str(linked))
                links = cargo_like.link_all(linked / "target")
                print(f"hard-linked copy: {links} second links made", flush=True)
                bases["scan, hard-linked"] = linked
            timings.update(bench_scan(bases, args.runs, cpu))
        if "apply" in args.only:
            timings["apply"] = bench_apply(base, scratch, args.runs)
        if "list" in args.only:
            timings["invoke --list"] = bench_list(scratch, max(args.runs, 10))
        for name, (ours, ref) in timings.items():
            ratio = statistics.median(ours) / statistics.median(ref)
            results[name] = {
                "ours_s": ours,
                "reference_s": ref,
                "median_ours_s": statistics.median(ours),
                "median_reference_s": statistics.median(ref),
                "ratio": ratio,
                "gate": GATES[name],
                "pass": ratio <= GATES[name],
            }
            if name in cpu:
                results[name]["median_cpu_ours_s"] = statistics.median(cpu[name][0])
                results[name]["median_cpu_reference_s"] = statistics.median(cpu[name][1])
    reference = {
        "scan": "du -s -B1",
        "apply": "rm -rf",
        "invoke --list": "one no-op task",
        "scan, hard-linked": "du -s -B1",
    }
    print(f"{'benchmark':<18} {'ours':>9} {'reference':>22} {'ratio':>7} {'gate':>6}")
    for name, r in results.items():
        print(
            f"{name:<18} {r['median_ours_s']:>8.3f}s {r['median_reference_s']:>8.3f}s "
            f"({reference[name]:>11}) {r['ratio']:>6.2f}x {'<=' + str(r['gate']):>6} "
            f"{'ok' if r['pass'] else 'OVER'}"
        )
    for name, (ours_cpu, ref_cpu) in cpu.items():
        mine, theirs = statistics.median(ours_cpu), statistics.median(ref_cpu)
        print(
            f"{name:<18} CPU time: ours {mine:.3f}s, {reference[name]} {theirs:.3f}s "
            f"({mine / theirs:.2f}x, spread over {os.cpu_count()} cores)"
        )
    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "files": made,
                "runs": args.runs,
                "cpus": os.cpu_count(),
                "load_before": load_before,
                "load_after": load_after,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
