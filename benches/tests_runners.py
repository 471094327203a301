"""`tests.runners` against a stopwatch, on real crates: does its recommendation agree with timing
the two commands by hand?

For each workspace (copied once into `--work`, default `benches/out/runners/`, and kept there so
that its scratch target dir stays warm between runs of this benchmark):

1. `perf-tasks tests.runners --json` (which builds the tests, runs the doctests once, then the two
   runners in pairs);
2. the stopwatch: the very commands it timed (from its `--dry-run`), with the same environment
   (`CARGO_INCREMENTAL=0`, its scratch target dir, no rustc wrapper), run `--runs` times each,
   alternating, output to /dev/null; wall time from `perf_counter`, CPU from the children's rusage.

It agrees when the runner it recommends is the one the stopwatch's medians find faster by more
than 10% (delta), or when it says "no clear winner" and the stopwatch's ratio is within 20% of 1.
Prints one table and writes `benches/out/tests_runners.json`.

Run: `python -m benches tests_runners --dir PATH [--dir PATH ...] [--runs 5] [--max-pairs 12]`.
Not part of `python -m benches` (it builds real crates): name it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
DELTA = 0.10
BAND = 0.20  # "no clear winner" agrees with a stopwatch ratio within 20% of 1


def perf(ws: Path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "perf_tasks", "tests.runners", "--root", str(ws), "--json", *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"tests.runners failed on {ws} (exit {proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def copy_once(source: Path, work: Path) -> Path:
    ws = work / source.name
    if not ws.exists():
        shutil.copytree(source, ws, ignore=shutil.ignore_patterns("target", ".git"), symlinks=True)
    return ws


def stopwatch_env(target: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER")
    }
    env.update(CARGO_INCREMENTAL="0", CARGO_TARGET_DIR=target, CARGO_BUILD_BUILD_DIR=target)
    return env


def time_once(argv: list[str], ws: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        argv, cwd=ws, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def stopwatch(ws: Path, plan: dict, runs: int) -> dict:
    env = stopwatch_env(plan["target_dir"])
    commands = {
        "cargo test": shlex.split(plan["a"]["each_run"]),
        "nextest": shlex.split(plan["b"]["each_run"]),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for i in range(runs):
        for name in ("cargo test", "nextest") if i % 2 == 0 else ("nextest", "cargo test"):
            times[name].append(time_once(commands[name], ws, env))
    out: dict = {}
    for name, found in times.items():
        out[name] = {
            "wall_s": [round(w, 3) for w, _ in found],
            "cpu_s": [round(c, 3) for _, c in found],
            "wall_median_s": round(statistics.median(w for w, _ in found), 3),
            "cpu_median_s": round(statistics.median(c for _, c in found), 3),
        }
    out["wall_ratio"] = round(
        out["nextest"]["wall_median_s"] / out["cargo test"]["wall_median_s"], 3
    )
    return out


def agrees(recommended: str | None, ratio: float) -> bool:
    if recommended is None:
        return 1 / (1 + BAND) < ratio < 1 + BAND
    faster = "nextest" if ratio < 1 / (1 + DELTA) else "cargo test" if ratio > 1 + DELTA else None
    return faster == recommended


def run(source: Path, work: Path, runs: int, max_pairs: int) -> dict:
    ws = copy_once(source, work)
    plan = perf(ws, "--dry-run")
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    tool = perf(ws, "--max-pairs", str(max_pairs))
    tool_s = time.monotonic() - started
    watch = stopwatch(ws, plan, runs)
    wall = next(m for m in tool["comparison"]["metrics"] if m["metric"] == "wall_s")
    return {
        "workspace": source.name,
        "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "tool_seconds": round(tool_s, 1),
        "tool": {
            "recommended": tool["recommended"],
            "verdict": tool["verdict"],
            "runners": tool["runners"],
            "doctests": tool["doctests"],
            "differences": tool["differences"],
            "pairs": tool["comparison"]["pairs"],
            "wall_ratio": wall["ratio"],
        },
        "stopwatch": watch,
        "agrees": not tool["differences"] and agrees(tool["recommended"], watch["wall_ratio"]),
    }


def summary(rows: list[dict]) -> str:
    lines = [
        "| workspace | tests (cargo test / nextest; doctests) | tests.runners: cargo test, nextest "
        "(median wall) | ratio [95%] | verdict | stopwatch: cargo test, nextest (median wall) | "
        "ratio | agrees | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t, w = r["tool"], r["stopwatch"]
        runners = t["runners"]
        counts = " / ".join(
            str(sum(runners[n]["totals"].values())) for n in ("cargo test", "nextest")
        )
        doc = t["doctests"]
        doc_n = sum(doc["totals"].values()) if doc else 0
        ratio = t["wall_ratio"]
        lines.append(
            f"| {r['workspace']} | {counts}; {doc_n} | {runners['cargo test']['wall_s']:.2f} s, "
            f"{runners['nextest']['wall_s']:.2f} s ({t['pairs']} pairs) | "
            f"{ratio['median']:.2f} [{ratio['low']:.2f}, {ratio['high']:.2f}] | {t['verdict']} | "
            f"{w['cargo test']['wall_median_s']:.2f} s, {w['nextest']['wall_median_s']:.2f} s | "
            f"{w['wall_ratio']:.2f} | {'yes' if r['agrees'] else 'NO'} | "
            f"{r['load_1m'][0]} → {r['load_1m'][1]} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches tests_runners")
    parser.add_argument("--dir", action="append", required=True, type=Path)
    parser.add_argument("--work", type=Path, default=OUT / "runners")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-pairs", type=int, default=12)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for source in args.dir:
        rows.append(run(source.resolve(), args.work.resolve(), args.runs, args.max_pairs))
        print(summary(rows[-1:]).splitlines()[-1], flush=True)
    print(summary(rows))
    OUT.mkdir(exist_ok=True)
    (OUT / "tests_runners.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
