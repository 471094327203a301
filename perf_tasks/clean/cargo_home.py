"""What `~/.cargo` holds: reported, never deleted (it is shared by every project on the machine).

Sizes come from the same scanner as everything else. What cargo's own garbage collection would drop
comes from cargo's last-use database (`.global-cache`, SQLite), read-only, at cargo's default
ages.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.fs.scan import scan

MONTH = 30 * 86400
# cargo's defaults for `gc.auto.max-*-age` (cargo docs, "gc" configuration)
GC_MAX_AGE = {
    "registry_src": 1 * MONTH,
    "registry_crate": 3 * MONTH,
    "registry_index": 3 * MONTH,
    "git_checkout": 1 * MONTH,
    "git_db": 3 * MONTH,
}
PARTS = {
    "registry sources": "registry/src",
    "registry .crate files": "registry/cache",
    "registry index": "registry/index",
    "git checkouts": "git/checkouts",
    "git databases": "git/db",
}


@dataclass(frozen=True)
class CargoHomeReport:
    path: Path
    parts: dict[str, int]  # name -> on-disk bytes
    gc_would_drop: dict[str, int]  # table -> entries older than cargo's default max age
    gc_would_free: int | None  # bytes, where cargo recorded sizes; None without its database

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "parts": self.parts,
            "gc_would_drop_entries": self.gc_would_drop,
            "gc_would_free_bytes": self.gc_would_free,
        }


def cargo_home(env: Mapping[str, str]) -> Path:
    return Path(env.get("CARGO_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cargo")


def report(home: Path, *, now: float) -> CargoHomeReport:
    paths = [home / rel for rel in PARTS.values()]
    sizes = scan(paths)
    parts = {name: sizes.of(home / rel).bytes for name, rel in PARTS.items()}
    drop, free = _gc_candidates(home / ".global-cache", now=now)
    return CargoHomeReport(home, parts, drop, free)


def _gc_candidates(db: Path, *, now: float) -> tuple[dict[str, int], int | None]:
    if not db.is_file():
        return {}, None
    try:
        # Read-only and immutable-free: cargo may hold it open; we never write.
        con = sqlite3.connect(f"file:{os.fspath(db)}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return {}, None
    drop: dict[str, int] = {}
    free = 0
    try:
        for table, max_age in GC_MAX_AGE.items():
            cutoff = int(now - max_age)
            has_size = table in ("registry_src", "registry_crate", "git_checkout")
            columns = "count(*), coalesce(sum(size), 0)" if has_size else "count(*), 0"
            row = con.execute(
                f"SELECT {columns} FROM {table} WHERE timestamp < ?", (cutoff,)
            ).fetchone()
            drop[table] = int(row[0])
            free += int(row[1])
    except sqlite3.Error:
        return {}, None
    finally:
        con.close()
    return drop, free
