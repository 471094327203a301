"""The default `perf-tasks doctor` on a large workspace: 150 integration-test binaries and a 5 GB
target dir, really written. Gate: under 10 s.

The workspace is generated: one library crate with `--tests` files under `tests/` (each its own
test binary), built for real (`cargo build` and `cargo test --no-run`, so the stale planner's probe
finds the build fresh and judges every unit), then the target dir is filled up to `--gb` with
stale units laid out as cargo lays them (`benches/cargo_like.py`: `deps/`, `.fingerprint/`,
`incremental/` sessions) and large stale rlibs written with real data: the scanner counts
allocated blocks, so sparse files would not count. Everything is deleted afterwards.

Not run by `nox -s bench` (it writes gigabytes and builds 150 binaries): name it.
Run: `python -m benches doctor_scale [--tests 150] [--gb 5] [--runs 3] [--dir DIR] [--no-build]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benches import cargo_like

GATE_S = 10.0
CHUNK = b"\xa5" * (8 * 2**20)  # real bytes: every block allocated
BIG_FILE = 256 * 2**20


def make_workspace(root: Path, tests: int) -> None:
    (root / "src").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "Cargo.toml").write_text(
        '[package]\nname = "many-tests"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n'
    )
    (root / "src" / "lib.rs").write_text("pub fn add(a: u64, b: u64) -> u64 { a + b }\n")
    for i in range(tests):
        (root / "tests" / f"t{i:03}.rs").write_text(
            f"#[test]\nfn adds_{i}() {{ assert_eq!(many_tests::add({i}, 1), {i + 1}); }}\n"
        )


def build(root: Path) -> float:
    start = time.perf_counter()
    for args in (("build", "--workspace"), ("test", "--workspace", "--no-run")):
        subprocess.run(["cargo", *args, "--quiet"], cwd=root, check=True)
    return time.perf_counter() - start


def allocated(path: Path) -> int:
    out = subprocess.run(["du", "-s", "-B1", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def fill(target: Path, size: int, files: int) -> float:
    """Stale units up to `size` allocated bytes in `target`: a cargo-like tree of `files` files,
    then large stale rlibs written with real bytes."""
    start = time.perf_counter()
    stale = target / "stale-tree"
    cargo_like.make(stale, files=files)
    # Move its units into the real profile dir, as an older toolchain's units would sit there.
    debug = target / "debug"
    for sub in ("deps", ".fingerprint", "build", "incremental"):
        for entry in (stale / "debug" / sub).iterdir():
            os.rename(entry, debug / sub / f"zz{entry.name}")
    shutil.rmtree(stale)
    have = allocated(target)
    n = 0
    while have < size:
        path = debug / "deps" / f"libold_{n}-{n:016x}.rlib"
        with path.open("wb") as f:
            written = 0
            while written < min(BIG_FILE, size - have + len(CHUNK)):
                f.write(CHUNK)
                written += len(CHUNK)
        have += written
        n += 1
    return time.perf_counter() - start


def doctor(root: Path) -> tuple[float, float, dict[str, object]]:
    """One run: its wall time, the CPU time of its process tree (user + system: on a loaded
    machine the wall time is mostly waiting for a core), and its report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "perf_tasks", "doctor", "--json", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"doctor failed ({proc.returncode}): {proc.stderr}")
    report: dict[str, object] = json.loads(proc.stdout)
    return elapsed, cpu, report


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="doctor_scale")
    parser.add_argument("--tests", type=int, default=150, help="integration-test binaries")
    parser.add_argument("--gb", type=float, default=5.0, help="target dir size, GB (10**9)")
    parser.add_argument("--files", type=int, default=100_000, help="files of the stale tree")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to generate (a temp dir)")
    parser.add_argument("--no-build", action="store_true", help="skip the real build")
    parser.add_argument("--out", type=Path, default=REPO / "benches" / "out" / "doctor.json")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="perf-tasks-doctor-", dir=args.dir))
    try:
        root = scratch / "ws"
        make_workspace(root, args.tests)
        built = 0.0 if args.no_build else build(root)
        (root / "target" / "debug" / "deps").mkdir(parents=True, exist_ok=True)
        filled = fill(root / "target", int(args.gb * 10**9), args.files)
        size = allocated(root / "target")
        print(
            f"workspace: {args.tests} test binaries (built in {built:.0f} s); target dir "
            f"{size / 1e9:.2f} GB allocated (written in {filled:.0f} s)"
        )
        # warm cache, as a workspace in daily use has it (the first run above read it too)
        times, cpus = [], []
        report: dict[str, object] = {}
        for _ in range(args.runs):
            elapsed, cpu, report = doctor(root)
            times.append(elapsed)
            cpus.append(cpu)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    median = statistics.median(times)
    findings = [f["id"] for f in report["findings"]]  # type: ignore[attr-defined]
    verdict = "ok" if median < GATE_S else "OVER"
    each = " ".join(f"{t:.2f}" for t in times)
    print(
        f"doctor: median {median:.2f} s over {len(times)} runs ({each}), "
        f"gate < {GATE_S:.0f} s: {verdict}"
    )
    print(f"CPU time of doctor's process tree: median {statistics.median(cpus):.2f} s")
    print(f"findings: {', '.join(findings)}")
    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "tests": args.tests,
                "target_bytes": size,
                "times_s": times,
                "cpu_s": cpus,
                "median_s": median,
                "gate_s": GATE_S,
                "findings": findings,
                "cpus": os.cpu_count(),
                "load_before": load_before,
                "load_after": load_after,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
