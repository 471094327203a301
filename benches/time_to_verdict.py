"""How long a same-time A/B takes to reach its verdict, before and after screening, in one run.

For each workspace (a copy in a temp dir, committed to a fresh git repository, with a no-op build
script added to the crate the A/B rebuilds, so that a scenario can slow it):

- `plain`: `baseline --runs 1 --warmup 0`, one plain measurement of the phases, warm (its second
  run; the first builds the work tree's target dir): the yardstick;
- `unchanged`: `baseline.compare --against HEAD` on unchanged code, with one core kept busy;
- `slow-test`: a 1 s sleep added to one test;
- `build+test`: the build script made 1.5 s slower and a 1 s sleep in one test, at once.

Each scenario runs twice, interleaved: `before` (`--no-screen`: every pair measures everything,
the way the A/B worked until it screened) and `after` (the default). Before the first timed run,
one untimed A/B builds every target dir, so neither side pays a first compile. Prints, per
scenario, the time to verdict of each, the ratio after/before and after/plain, the exit codes, the
pairs, and how many tests each pair ran; writes JSON (`--out`).

Run: `python -m benches time_to_verdict --dir PATH [--dir PATH ...] [--scenario NAME ...]
[--max-pairs N] [--test-under FOLDER] [--after-only]`. Not part of `python -m benches` (it
builds real crates): name it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benches.comparison_verdicts import busy, copy_workspace, git, perf, slow_a_test

SCENARIOS = ("unchanged", "slow-test", "build+test")
BUILD_RS = 'fn main() {\n    println!("cargo:rerun-if-changed=build.rs");\n}\n'
SLOW_BUILD_RS = (
    "fn main() {\n"
    '    println!("cargo:rerun-if-changed=build.rs");\n'
    "    std::thread::sleep(std::time::Duration::from_millis(1500));\n"
    "}\n"
)


def run(ws: Path, scratch: Path, *args: str) -> tuple[int, dict, float]:
    """`perf-tasks ARGS` on `ws` with its scratch folder: exit code, JSON, seconds."""
    started = time.monotonic()
    code, doc = perf(ws, *args, env={**os.environ, "PERF_TASKS_SCRATCH": str(scratch)})
    return code, doc, time.monotonic() - started


def rebuilt_package_dir(ws: Path) -> Path:
    """The folder of the member the A/B rebuilds (`cargo clean -p`): its build script runs again
    in every rebuild."""
    from perf_tasks.measure import cargo as cargo_mod

    out = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=True,
    )
    metadata = json.loads(out.stdout)
    touch = cargo_mod.touch_candidate(metadata)
    folders = [Path(p["manifest_path"]).parent for p in cargo_mod.member_packages(metadata)]
    return max((f for f in folders if f in touch.parents), key=lambda f: len(f.parts))


def add_build_script(package: Path) -> None:
    (package / "build.rs").write_text(BUILD_RS)
    manifest = package / "Cargo.toml"
    text = manifest.read_text()
    if "build =" not in text:
        text = text.replace("[package]\n", '[package]\nbuild = "build.rs"\n', 1)
        manifest.write_text(text)


def apply(ws: Path, package: Path, scenario: str, under: str) -> str | None:
    if scenario == "unchanged":
        return None
    test = slow_a_test(ws, under)
    if scenario == "build+test":
        (package / "build.rs").write_text(SLOW_BUILD_RS)
    return test


def summary(code: int, doc: dict, took: float) -> dict:
    each = doc.get("each_pair") or []
    return {
        "seconds": round(took, 1),
        "exit": code,
        "regressions": doc.get("regressions", []),
        "pairs": doc.get("pairs"),
        "tests_per_pair": [e.get("tests_run") for e in each],
        "undecided": doc.get("undecided", []),
        # each figure the screen left in doubt, with the pairs it took
        "paired": {
            m["metric"]: m["pairs"]
            for m in doc.get("metrics", [])
            if not m.get("screened") and m.get("delta") is not None
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches time_to_verdict")
    parser.add_argument("--dir", action="append", required=True, type=Path)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS)
    parser.add_argument("--out", type=Path, default=Path("benches/out/time_to_verdict.json"))
    parser.add_argument(
        "--max-pairs", type=int, help="passed to both sides (default: the tool's, 12)"
    )
    parser.add_argument(
        "--test-under",
        default="tests",
        help="the folder whose first #[test] gets the 1 s sleep (default: tests; a test there "
        "may be compiled into several binaries)",
    )
    parser.add_argument(
        "--after-only", action="store_true", help="time the default (screened) side alone"
    )
    args = parser.parse_args(argv)
    scenarios = args.scenario or list(SCENARIOS)
    results = []
    for source in args.dir:
        with tempfile.TemporaryDirectory(prefix="perf-ttv-") as tmp:
            here = Path(tmp)
            ws = source.resolve()
            staged = here / "stage"
            staged.mkdir()
            ws = copy_workspace(ws, staged)
            package = rebuilt_package_dir(ws)
            add_build_script(package)
            git(ws, "add", "-A")
            git(ws, "-c", "user.name=b", "-c", "user.email=b@localhost", "commit", "-qm", "build")
            scratch = here / "scratch"
            print(f"{source.name}: building every target dir (untimed)", flush=True)
            run(ws, scratch, "baseline.compare", "--against", "HEAD", "--max-minutes", "0.01")
            run(ws, scratch, "baseline", "--runs", "1", "--warmup", "0")  # builds target/
            _, _, plain = run(ws, scratch, "baseline", "--runs", "1", "--warmup", "0")
            git(ws, "checkout", "--", ".")
            print(f"{source.name}: one plain measurement: {plain:.1f} s", flush=True)
            for scenario in scenarios:
                test = apply(ws, package, scenario, args.test_under)
                row: dict = {"workspace": source.name, "scenario": scenario, "plain_s": plain}
                row["slowed_test"] = test
                bound = [] if args.max_pairs is None else ["--max-pairs", str(args.max_pairs)]
                sides = [("before", ["--no-screen", *bound]), ("after", bound)]
                for side, extra in sides[1:] if args.after_only else sides:
                    with busy(scenario == "unchanged"):
                        code, doc, took = run(
                            ws, scratch, "baseline.compare", "--against", "HEAD", *extra
                        )
                    row[side] = summary(code, doc, took)
                    print(f"  {scenario} {side}: {row[side]}", flush=True)
                git(ws, "checkout", "--", ".")
                before_s = row.get("before", {}).get("seconds")
                after_s = row["after"]["seconds"]
                row["after_vs_before"] = round(after_s / before_s, 3) if before_s else None
                row["after_vs_plain"] = round(row["after"]["seconds"] / plain, 2)
                row["load"] = [round(x, 2) for x in os.getloadavg()]
                results.append(row)
    print()
    print(
        "| workspace | scenario | plain | before | after | after/before | after/plain | exit b/a |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        b, a = r.get("before", {"seconds": 0, "pairs": "-", "exit": "-"}), r["after"]
        print(
            f"| {r['workspace']} | {r['scenario']} | {r['plain_s']:.0f} s | {b['seconds']:.0f} s "
            f"({b['pairs']} pairs) | {a['seconds']:.0f} s ({a['pairs']} pair(s), tests a pair "
            f"{a['tests_per_pair']}) | {r['after_vs_before'] or '-'} | {r['after_vs_plain']:.2f} | "
            f"{b['exit']}/{a['exit']} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
