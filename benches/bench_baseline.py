"""`invoke baseline`'s figures against the reference tool, measured in the same run.

1. Agreement: on the same command lines the baseline runs (the warm build, the test run and the
   doctests of the demo workspace), the median wall time of our `measure` agrees with
   `hyperfine -N` within 5%. Runs are interleaved: each round runs the command once under each
   tool, alternating which goes first.
2. Cost: the sampler thread's CPU time is at most 2% of the measured command's CPU time.
3. Sensitivity: `baseline.compare` flags an injected slowdown of the test suite (`DEMO_SLOW_MS`)
   of 25% or more, and stays quiet on the unchanged workspace. Each trial records a reference and
   compares right after, as the workflow does. The true slowdown of each injection is measured
   apart, interleaved with the plain suite.

Run: `python -m benches bench_baseline` (the defaults), or with options
`python -m benches.bench_baseline [--rounds N] [--trials N] [--no-sensitivity]`. Needs cargo,
cargo-nextest and hyperfine on PATH (the venv's bin dir is put first). Prints ratios; writes
benches/out/bench_baseline.json. About two minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from perf_tasks.measure import baseline
from perf_tasks.measure.timing import Run, run_once
from perf_tasks.settings import Settings

DEMO = REPO / "examples" / "demo-workspace"
AGREEMENT_GATE = 0.05
SAMPLER_GATE = 0.02
SLOWDOWN_GATE = 0.25
SLOW_MS = (40, 80, 150, 300)


def environment() -> dict[str, str]:
    """Ours and hyperfine see the same environment; the venv's bin (cargo-nextest) comes first."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR"):
        env.pop(name, None)
    return env


def perf(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perf_tasks", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def hyperfine_once(argv: Sequence[str], *, cwd: Path, env: dict[str, str], out: Path) -> float:
    """One run under `hyperfine -N`; its wall time in seconds."""
    command = " ".join(argv)  # hyperfine -N splits on whitespace; our argv has no spaces in words
    subprocess.run(
        ["hyperfine", "-N", "--runs", "1", "--style", "none", "--export-json", str(out), command],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result = json.loads(out.read_text())["results"][0]
    if "times" in result:  # hyperfine 1.x
        return float(result["times"][0])
    return float(result["measurements"][0]["time_wall_clock"]["value"])


def agreement(
    name: str, argv: Sequence[str], *, cwd: Path, env: dict[str, str], rounds: int, tmp: Path
) -> dict[str, Any]:
    ours: list[Run] = []
    ref: list[float] = []
    for _ in range(2):  # warm both ways once, untimed
        run_once(argv, cwd=cwd, env=env)
        hyperfine_once(argv, cwd=cwd, env=env, out=tmp / "h.json")
    for i in range(rounds):
        pair = ["ours", "ref"] if i % 2 == 0 else ["ref", "ours"]
        for who in pair:
            if who == "ours":
                run = run_once(argv, cwd=cwd, env=env)
                assert run.exit_code == 0, run.tail
                ours.append(run)
            else:
                ref.append(hyperfine_once(argv, cwd=cwd, env=env, out=tmp / "h.json"))
    median_ours = statistics.median(r.wall_s for r in ours)
    median_ref = statistics.median(ref)
    ratio = median_ours / median_ref
    sampler = sum(r.sampler_cpu_s for r in ours) / sum(r.cpu_s for r in ours)
    worst = max(r.sampler_cpu_s / r.cpu_s for r in ours)
    return {
        "name": name,
        "command": " ".join(["cargo", *argv[1:]]),
        "ours_s": [r.wall_s for r in ours],
        "hyperfine_s": ref,
        "median_ours_s": median_ours,
        "median_hyperfine_s": median_ref,
        "ratio": ratio,
        "agrees": abs(ratio - 1) <= AGREEMENT_GATE,
        "sampler_cpu_share": sampler,
        "sampler_cpu_share_worst_run": worst,
        "sampler_ok": sampler <= SAMPLER_GATE,
        "ram_samples_median": statistics.median(r.samples for r in ours),
    }


def true_slowdown(
    argv: Sequence[str], slow_ms: int, *, cwd: Path, env: dict[str, str], rounds: int
) -> float:
    """Median suite time with the injected sleep over the median without, interleaved."""
    plain: list[float] = []
    slow: list[float] = []
    slow_env = {**env, "DEMO_SLOW_MS": str(slow_ms)}
    for i in range(rounds):
        pair = [(plain, env), (slow, slow_env)]
        for times, e in pair if i % 2 == 0 else reversed(pair):
            times.append(run_once(argv, cwd=cwd, env=e).wall_s)
    return statistics.median(slow) / statistics.median(plain) - 1


def compare_once(root: Path, env: dict[str, str]) -> dict[str, Any]:
    # The slowdown is injected through the environment, which a same-time A/B gives both arms:
    # this measures the record comparison alone.
    proc = perf("baseline.compare", "--root", str(root), "--json", "--no-confirm", env=env)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr)
    data = json.loads(proc.stdout)
    tests = next(r for r in data["rows"] if r["metric"] == "tests.wall_s")
    return {
        "exit_code": proc.returncode,
        "regressions": data["regressions"],
        "tests_change_pct": tests["delta_pct"],
        "tests_verdict": tests["verdict"],
    }


def record_reference(root: Path, env: dict[str, str]) -> None:
    proc = perf("baseline", "--root", str(root), env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)


def sensitivity(
    root: Path, argv: Sequence[str], *, env: dict[str, str], trials: int, rounds: int
) -> dict[str, Any]:
    """Each trial records a reference, then compares right after, as the workflow does: the two
    records are taken minutes apart, under the same conditions."""
    quiet = []
    for _ in range(trials):
        record_reference(root, env)
        quiet.append(compare_once(root, env))
    injected = []
    for slow_ms in SLOW_MS:
        truth = true_slowdown(argv, slow_ms, cwd=root, env=env, rounds=rounds)
        record_reference(root, env)
        trial = compare_once(root, {**env, "DEMO_SLOW_MS": str(slow_ms)})
        injected.append({"slow_ms": slow_ms, "true_slowdown": truth, **trial})
    return {"unchanged": quiet, "injected": injected}


def setup(scratch: Path, env: dict[str, str]) -> Path:
    root = scratch / "demo-workspace"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("target", "docs", "output", "cache"))
    for args in (["build", "--workspace"], ["nextest", "run", "--workspace", "--no-run"]):
        subprocess.run(["cargo", *args], cwd=root, env=env, check=True, capture_output=True)
    record_reference(root, env)  # also writes the nextest tool config the test command reads
    return root


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_baseline")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds per command")
    parser.add_argument("--trials", type=int, default=3, help="compare runs of the unchanged ws")
    parser.add_argument("--no-sensitivity", action="store_true")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benches" / "out" / "bench_baseline.json"
    )
    args = parser.parse_args(argv)
    env = environment()
    if shutil.which("hyperfine", path=env["PATH"]) is None:
        raise SystemExit("bench_baseline needs hyperfine on PATH")
    results: dict[str, Any] = {"load_average_start": list(os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="perf-tasks-bench-baseline-") as tmp:
        scratch = Path(tmp)
        root = setup(scratch, env)
        facts = baseline.inspect(root, env=env)
        plan = baseline.plan(facts, Settings(), baseline.Options())
        commands = {}
        for phase in ("build", "tests", "tests.doc"):
            step = plan.step(phase)
            assert step is not None, phase
            commands[phase] = step.argv
        rows = []
        for phase, command in commands.items():
            # Cheap commands get more rounds: a 30 ms build is at the mercy of the scheduler.
            rounds = {"build": 3 * args.rounds, "tests": args.rounds}.get(phase, args.rounds)
            row = agreement(phase, command, cwd=root, env=env, rounds=rounds, tmp=scratch)
            rows.append(row)
            print(
                f"{phase:<10} ours {row['median_ours_s'] * 1000:8.1f} ms  hyperfine -N "
                f"{row['median_hyperfine_s'] * 1000:8.1f} ms  ratio {row['ratio']:.3f} "
                f"({'ok' if row['agrees'] else 'OFF'}, gate \u00b1{AGREEMENT_GATE:.0%})  sampler "
                f"{row['sampler_cpu_share']:.2%} of the command's CPU "
                f"({'ok' if row['sampler_ok'] else 'OVER'}, gate {SAMPLER_GATE:.0%})",
                flush=True,
            )
        results["agreement"] = rows
        if not args.no_sensitivity:
            found = sensitivity(
                root, commands["tests"], env=env, trials=args.trials, rounds=args.rounds
            )
            results["sensitivity"] = found
            for trial in found["unchanged"]:
                print(
                    f"unchanged          tests {trial['tests_change_pct']:+6.1f}%  exit "
                    f"{trial['exit_code']}  regressions: {', '.join(trial['regressions']) or '-'}"
                )
            for trial in found["injected"]:
                flagged = "tests.wall_s" in trial["regressions"]
                needed = trial["true_slowdown"] >= SLOWDOWN_GATE
                verdict = "ok" if flagged or not needed else "MISSED"
                print(
                    f"DEMO_SLOW_MS={trial['slow_ms']:<4} true {trial['true_slowdown']:+6.1%}  "
                    f"compare {trial['tests_change_pct']:+6.1f}%  exit {trial['exit_code']}  "
                    f"flagged: {'yes' if flagged else 'no'} ({verdict})"
                )
    results["load_average_end"] = list(os.getloadavg())
    print(
        f"load average: {results['load_average_start'][0]:.2f} at start, "
        f"{results['load_average_end'][0]:.2f} at the end"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
