"""The routine clean after a normal day, on a real workspace: no compiling, and no extra compiles.

For each scenario, a copy of the workspace is built (`cargo build` and `cargo test --no-run`), then
changed the way a day changes it, then built with `cargo build` only:
- `edit`: a comment appended to the first `src/lib.rs` (or `src/main.rs`);
- `rustflags`: `RUSTFLAGS=--cfg perf_tasks_bench` for the rest of the day;
- `feature`: a feature of a member that its default set lacks is added to `default` in that
  member's `Cargo.toml` (the first such feature by name that is not an optional dependency's).
A second copy is kept that is never cleaned. `perf-tasks clean` (no terminal, no `--build`) runs on
the first; then both copies run `cargo build` and `cargo test --workspace --no-run` (with `-v`), and
what each compiles is compared: its `Compiling` lines (packages) and its rustc runs, each named by
crate, kind and unit hash (units). They must be the same, counted.

Run: `python -m benches routine_after_a_day --dir PATH_TO_WORKSPACE [--scenario edit]`.
Not part of `python -m benches` (it builds real crates): name it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = (("build", "--workspace"), ("test", "--workspace", "--no-run"))
SCENARIOS = ("edit", "rustflags", "feature")


def cargo(ws: Path, *args: str, env: dict[str, str]) -> list[str]:
    """The packages a command compiles (its `Compiling` lines)."""
    return compiled(ws, *args, env=env)[0]


def compiled(ws: Path, *args: str, env: dict[str, str]) -> tuple[list[str], list[str]]:
    """What a command compiles: its `Compiling` lines (one per package), and each rustc run
    (`-v`) named by crate, kind and unit hash, which a copy of the workspace shares."""
    proc = subprocess.run(
        ["cargo", *args, "-v"], cwd=ws, env=env, capture_output=True, text=True, check=True
    )
    packages, units = [], []
    for line in proc.stderr.splitlines():
        line = line.strip()
        if line.startswith("Compiling"):
            packages.append(line.replace(str(ws), "."))
        elif line.startswith("Running `") and " --crate-name " in line:
            name = re.search(r"--crate-name (\S+)", line)
            kind = "test" if " --test " in line else re.search(r"--crate-type (\S+)", line)
            unit = re.search(r"extra-filename=(\S+?)[`' ]", line + " ")
            units.append(
                " ".join(
                    [
                        name[1] if name else "?",
                        kind if isinstance(kind, str) else (kind[1] if kind else "?"),
                        unit[1] if unit else "",
                    ]
                )
            )
    return sorted(packages), sorted(units)


def du(path: Path) -> int:
    out = subprocess.run(["du", "-s", "-B1", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def edit_a_source(ws: Path) -> Path:
    for candidate in sorted(ws.rglob("src/lib.rs")) + sorted(ws.rglob("src/main.rs")):
        if "target" not in candidate.parts:
            candidate.write_text(candidate.read_text() + "\n// edited by the benchmark\n")
            return candidate
    raise SystemExit(f"no src/lib.rs or src/main.rs under {ws}")


def turn_a_feature_on(ws: Path, env: dict[str, str]) -> str:
    """Add a feature to a member's default set, in its manifest; "<package>/<feature>"."""
    import tomlkit

    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    meta = json.loads(out.stdout)
    members = set(meta["workspace_members"])
    for package in meta["packages"]:
        if package["id"] not in members:
            continue
        features = package["features"]
        default = set(features.get("default", []))
        for name in sorted(features):
            if name == "default" or name in default or features[name] == [f"dep:{name}"]:
                continue
            manifest = Path(package["manifest_path"])
            doc = tomlkit.parse(manifest.read_text())
            table = doc.setdefault("features", tomlkit.table())
            table.setdefault("default", tomlkit.array()).append(name)
            manifest.write_text(tomlkit.dumps(doc))
            return f"{package['name']}/{name}"
    raise SystemExit(f"no member of {ws} has a feature outside its default set")


def scenario(source: Path, name: str, base: Path) -> dict[str, object]:
    ws = base / "ws"
    shutil.copytree(source, ws, symlinks=True, ignore=shutil.ignore_patterns("target"))
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    for args in COMMANDS:
        cargo(ws, *args, env=env)
    day_env = dict(env)
    change = ""
    if name == "edit":
        change = str(edit_a_source(ws).relative_to(ws))
    elif name == "feature":
        change = turn_a_feature_on(ws, env)
    else:
        day_env["RUSTFLAGS"] = "--cfg perf_tasks_bench"
        change = day_env["RUSTFLAGS"]
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
        ours, theirs = compiled(ws, *args, env=day_env), compiled(never, *args, env=day_env)
        same[" ".join(args)] = {
            "packages": {"cleaned": len(ours[0]), "never_cleaned": len(theirs[0])},
            "rustc_units": {"cleaned": len(ours[1]), "never_cleaned": len(theirs[1])},
            "same_units": ours == theirs,
        }
    stale = report.get("stale", {})
    return {
        "scenario": name,
        "change": change,
        "exit": proc.returncode,
        "status": stale.get("status"),
        "from_plan": stale.get("from_plan"),
        "live_units": stale.get("live_units"),
        "stale_units": stale.get("stale_units"),
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
