"""`profiles.apply`'s edit over a corpus of real manifests: what changed, and what was refused.

Applies both team profiles (`dev-fast` and `ci`) to every `Cargo.toml` under each `--dir`, in
memory (no file is written), and counts the manifests whose edit:
- changed only the profile tables: checked by an oracle of its own, not the tool's check: the
  lines outside `[profile...]` sections are identical (a naive line reading), the data outside
  `profile` is equal, and the asked keys hold their values;
- is idempotent: applying again to the result gives the same text;
- was refused, and why (the first words of the one-line message).

Run: `python -m benches profiles_corpus --dir DIR [--dir DIR ...]`. Prints the counts; writes
benches/out/profiles_corpus.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import tomlkit

from perf_tasks.edit.tables import set_tables
from perf_tasks.errors import EditRefused
from perf_tasks.profiles import model

TEAM = {("profile", name): keys for name, keys in model.TEAM.items()}
SKIP = {"target", ".git", "node_modules"}


def manifests(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP)
        if "Cargo.toml" in filenames:
            yield Path(dirpath) / "Cargo.toml"


def outside_profiles(text: str) -> list[str]:
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("["):
            inside = bool(re.match(r"\[\s*profile\s*[.\]]", line))
        if not inside:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def only_profiles_changed(old: str, new: str) -> bool:
    if outside_profiles(old) != outside_profiles(new):
        return False
    before, after = tomlkit.parse(old).unwrap(), tomlkit.parse(new).unwrap()
    profiles = after.pop("profile", {})
    old_profiles = before.pop("profile", {})
    if before != after:
        return False
    for (_, name), keys in TEAM.items():
        if any(not model.same(k, profiles.get(name, {}).get(k), v) for k, v in keys.items()):
            return False
    return all(profiles.get(n) == t for n, t in old_profiles.items() if ("profile", n) not in TEAM)


def reason(message: str) -> str:
    for needle, short in (
        ("not valid TOML", "does not parse"),
        ("dotted keys or an inline table", "profile written with dotted keys or inline"),
        ("would change text outside", "text outside would change"),
        ("would change data outside", "data outside would change"),
        ("would leave it invalid", "result would not parse"),
    ):
        if needle in message:
            return short
    return message


def one(path: Path) -> dict[str, Any]:
    try:
        old = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return {"path": str(path), "outcome": "refused", "reason": "not UTF-8"}
    started = time.perf_counter()
    try:
        new = set_tables(old, TEAM, what="Cargo.toml", same=model.same)
    except EditRefused as exc:
        return {"path": str(path), "outcome": "refused", "reason": reason(str(exc))}
    elapsed = time.perf_counter() - started
    again = set_tables(new, TEAM, what="Cargo.toml", same=model.same)
    return {
        "path": str(path),
        "outcome": "edited",
        "only_profiles": only_profiles_changed(old, new),
        "idempotent": again == new,
        "had_profiles": "profile" in tomlkit.parse(old).unwrap(),
        "ms": round(elapsed * 1000, 2),
    }


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches profiles_corpus")
    parser.add_argument("--dir", action="append", required=True, help="a folder to walk")
    args = parser.parse_args(argv)
    results = [one(p) for d in args.dir for p in manifests(Path(d))]
    edited = [r for r in results if r["outcome"] == "edited"]
    refused = collections.Counter(r["reason"] for r in results if r["outcome"] == "refused")
    summary = {
        "dirs": args.dir,
        "manifests": len(results),
        "edited": len(edited),
        "with_profiles_before": sum(r["had_profiles"] for r in edited),
        "only_profile_tables_changed": sum(r["only_profiles"] for r in edited),
        "idempotent": sum(r["idempotent"] for r in edited),
        "refused": dict(refused),
        "median_ms": sorted(r["ms"] for r in edited)[len(edited) // 2] if edited else None,
    }
    for key, value in summary.items():
        print(f"{key}: {value}")
    for r in results:
        if r["outcome"] == "refused" or not (r["only_profiles"] and r["idempotent"]):
            print(f"  {r['outcome']}: {r['path']}: {r.get('reason') or r}")
    out = REPO / "benches" / "out"
    out.mkdir(exist_ok=True)
    (out / "profiles_corpus.json").write_text(
        json.dumps({"summary": summary, "results": results}, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
