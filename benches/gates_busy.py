"""`contract.init` then `gate`, round after round, with one core kept busy in every other round.

For each workspace (the demo, and each `--dir`, copied to a scratch dir first): each round runs
`contract.init --force` (a fresh measurement), then `gate --save` (another fresh measurement).
Even rounds start `python3 -c 'while True: pass'` first and stop it after. A round passes when
both exit 0. Each round's record is also checked against the contract of round 1 (`gate
--contract --record`): whether the first contract, written on an idle machine, holds under load.

Run: `python -m benches gates_busy [--rounds 10] [--dir PATH ...]`. Prints one line per round and
the closest a value came to its bound; writes benches/out/gates_busy.json. Not run by `nox -s
bench` (it builds real crates): name it. About 3 minutes for the demo and toml on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo-workspace"
CONTRACT = "benches/PERFORMANCE_CONTRACT.md"


def perf(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "perf_tasks", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def one_workspace(source: Path, scratch: Path, rounds: int) -> dict[str, Any]:
    ws = scratch / source.name
    shutil.copytree(source, ws, ignore=shutil.ignore_patterns("target", "docs", ".git", "benches"))
    first = scratch / f"{source.name}-first-contract.md"
    results = []
    for i in range(1, rounds + 1):
        busy = i % 2 == 0
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            load_before = os.getloadavg()[0]
            init = perf("contract.init", "--root", str(ws), "--force", "--json")
            record = scratch / f"{source.name}-{i}.json"
            gate = perf("gate", "--root", str(ws), "--save", str(record), "--json")
        finally:
            if hog is not None:
                hog.terminate()
                hog.wait()
        if i == 1:
            shutil.copy(ws / CONTRACT, first)
        held = perf("gate", "--root", str(ws), "--contract", str(first), "--record", str(record))
        rows = json.loads(gate.stdout)["gates"] if gate.stdout.startswith("{") else []
        bounds = json.loads(init.stdout)["contract"] if init.returncode == 0 else ""
        closest = max(
            (
                (r["value"] / _limit(bounds, r["metric"]), r["metric"])
                for r in rows
                if r["value"] is not None and _limit(bounds, r["metric"])
            ),
            default=(0.0, "-"),
        )
        result = {
            "round": i,
            "busy": busy,
            "load_1m_before": round(load_before, 2),
            "init_rc": init.returncode,
            "gate_rc": gate.returncode,
            "first_contract_rc": held.returncode,
            "closest_ratio": round(closest[0], 3),
            "closest_metric": closest[1],
            "values": {r["metric"]: r["value"] for r in rows},
            "error": (init.stderr + gate.stderr)[-500:]
            if init.returncode or gate.returncode
            else "",
        }
        results.append(result)
        print(
            f"{source.name} round {i:2} {'busy' if busy else 'idle'}: init {init.returncode}, "
            f"gate {gate.returncode}, round-1 contract {held.returncode}; closest "
            f"{closest[0]:.2f} of its bound ({closest[1]})",
            flush=True,
        )
    passed = sum(r["init_rc"] == 0 and r["gate_rc"] == 0 for r in results)
    held_all = sum(r["first_contract_rc"] == 0 for r in results)
    print(
        f"{source.name}: {passed}/{rounds} rounds passed; round-1 contract held {held_all}/{rounds}"
    )
    return {"workspace": source.name, "passed": passed, "held": held_all, "rounds": results}


def _limit(contract_text: str, metric: str) -> float | None:
    from perf_tasks.gates.contract import parse

    if not contract_text:
        return None
    for gate in parse(contract_text, source="contract").gates:
        if gate.metric == metric:
            return gate.bound.limit
    return None


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches gates_busy")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--dir", action="append", default=[], help="another workspace to copy")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    out = []
    with tempfile.TemporaryDirectory(prefix="gates-busy-") as scratch:
        for source in [DEMO, *map(Path, args.dir)]:
            out.append(one_workspace(source, Path(scratch), args.rounds))
    dest = REPO / "benches" / "out" / "gates_busy.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"cores": os.cpu_count(), "workspaces": out}, indent=2) + "\n")
    print(f"wrote {dest.relative_to(REPO)}")


if __name__ == "__main__":
    main(sys.argv[1:])
