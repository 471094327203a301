"""The routine clean after a normal day, on a real workspace: no compiling, and no extra compiles.

For each scenario, a copy of the workspace is built (`cargo build` and `cargo test --no-run`), then
changed the way a day changes it, then built with `cargo build` only:
- `edit`: a comment appended to the first `src/lib.rs` (or `src/main.rs`);
- `rustflags`: `RUSTFLAGS=--cfg perf_tasks_bench` for the rest of the day.
A second copy is kept that is never cleaned. `perf-tasks clean` (no terminal, no `--build`) runs on
the first; then both copies run `cargo build` and `cargo test --workspace --no-run`, and the units
each compiles are compared: they must be the same, counted.

Run: `python -m benches routine_after_a_day --dir PATH_TO_WORKSPACE [--scenario edit]`.
Not part of `python -m benches` (it builds real crates): name it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (("build", "--workspace"), ("test", "--workspace", "--no-run"))
SCENARIOS = ("edit", "rustflags")


def cargo(ws: Path, *args: str, env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        ["cargo", *args], cwd=ws, env=env, capture_output=True, text=True, check=True
    )
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip().startswith("Compiling")]
    return sorted(ln.replace(str(ws), ".") for ln in lines)


def du(path: Path) -> int:
    out = subprocess.run(["du", "-s", "-B1", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def edit_a_source(ws: Path) -> Path:
    for candidate in sorted(ws.rglob("src/lib.rs")) + sorted(ws.rglob("src/main.rs")):
        if "target" not in candidate.parts:
            candidate.write_text(candidate.read_text() + "\n// edited by the benchmark\n")
            return candidate
    raise SystemExit(f"no src/lib.rs or src/main.rs under {ws}")


def scenario(source: Path, name: str, base: Path) -> dict[str, object]:
    ws = base / "ws"
    shutil.copytree(source, ws, symlinks=True, ignore=shutil.ignore_patterns("target"))
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    for args in COMMANDS:
        cargo(ws, *args, env=env)
    day_env = dict(env)
    if name == "edit":
        edit_a_source(ws)
    else:
        day_env["RUSTFLAGS"] = "--cfg perf_tasks_bench"
    cargo(ws, "build", "--workspace", env=day_env)
    never = base / "never-cleaned"
    subprocess.run(["cp", "-a", str(ws), str(never)], check=True)
    before = du(ws / "target")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "perf_tasks", "clean", "--json", "--root", str(ws)],
        cwd=Path(__file__).resolve().parents[1],
        env=day_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stderr.strip(), file=sys.stderr)
    report = json.loads(proc.stdout) if proc.stdout else {}
    after = du(ws / "target")
    same = {}
    for args in COMMANDS:
        ours, theirs = cargo(ws, *args, env=day_env), cargo(never, *args, env=day_env)
        same[" ".join(args)] = {"cleaned": len(ours), "never_cleaned": len(theirs)}
        same[" ".join(args)]["same_units"] = ours == theirs
    stale = report.get("stale", {})
    return {
        "scenario": name,
        "exit": proc.returncode,
        "status": stale.get("status"),
        "from_plan": stale.get("from_plan"),
        "target_before": before,
        "target_after": after,
        "freed": before - after,
        "by_category": report.get("totals", {}).get("by_category"),
        "clean_seconds": round(elapsed, 2),
        "next_compiles": same,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches routine_after_a_day")
    parser.add_argument("--dir", type=Path, required=True, help="a Rust workspace to copy")
    parser.add_argument("--scenario", choices=SCENARIOS, action="append")
    args = parser.parse_args(argv)
    for name in args.scenario or SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="perf-tasks-bench-") as tmp:
            result = scenario(args.dir.resolve(), name, Path(tmp))
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
