"""Planning shards of a large suite: `shards.plan.balance` on synthetic tests, timed.

10,000 tests by default (a few hundred binaries, durations from a long-tailed distribution, 2%
without a duration so that the hash path runs too), onto 4 and onto 16 shards; the median of
`--runs` plans, its slowest shard against the ideal, and the plan file's size. The gate: well
under 1 s per plan. Nothing but the planner is timed (nextest's listings are not: they run the
test binaries).

Run: `python -m benches bench_shards [--tests 10000] [--runs 7]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from perf_tasks.shards import plan as plan_mod

OUT = Path(__file__).parent / "out"
GATE_S = 1.0


Suite = tuple[list[tuple[str, str]], dict[tuple[str, str], float]]


def synthetic(count: int, *, seed: int = 27) -> Suite:
    rng = random.Random(seed)
    listed = [(f"crate-{i % 300}::it_{i % 7}", f"module_{i % 53}::test_{i}") for i in range(count)]
    seconds = {t: round(rng.lognormvariate(-3.0, 1.6), 3) for t in listed if rng.random() > 0.02}
    return listed, seconds


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches bench_shards")
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    listed, seconds = synthetic(args.tests)
    results = []
    for shards in (4, 16):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            made = plan_mod.balance(listed, seconds, shards)
            text = plan_mod.dumps(made)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        slowest = max(made.predicted_s())
        row = {
            "tests": args.tests,
            "shards": shards,
            "plan_s_median": round(median, 4),
            "slowest_over_ideal": round(slowest / made.ideal_s, 4),
            "plan_bytes": len(text.encode()),
            "ok": median < GATE_S,
        }
        results.append(row)
        print(
            f"{args.tests} tests onto {shards} shards: {median * 1000:.1f} ms per plan "
            f"(median of {args.runs}; gate < {GATE_S:g} s: {'ok' if row['ok'] else 'FAIL'}); "
            f"slowest shard {slowest / made.ideal_s:.3f} x the ideal; "
            f"plan file {row['plan_bytes']:,} B"
        )
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_shards.json").write_text(json.dumps(results, indent=2) + "\n")
    if not all(r["ok"] for r in results):
        raise SystemExit(1)
