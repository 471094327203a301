"""Which of rustc's incremental sessions the live units still use.

`<profile>/incremental/` holds one dir per crate *variant*, `<crate>-<id>`, named by rustc from the
crate name and a hash of `-C metadata` (which cargo does not print). Inside are session dirs,
`s-<start>-<random>-<svh>` (or `-working` while rustc runs), each with a lock file
`s-<start>-<random>.lock`. rustc never removes a variant dir, and a change of flags that keeps the
same `-C metadata` (RUSTFLAGS, for one) leaves older sessions next to the new one.

The rule: rustc finishes a session in the same moment it writes the unit's output, so a session
whose dir was last written closest to a live unit's output (same crate name) is that unit's
session. Each live unit claims the `keep` sessions nearest in time; every other finished session,
every unfinished one, and every variant dir left with no claimed session is stale. A wrong claim
can only keep too much or cost one compile from scratch later: rustc checks a session before it
uses it, so a removed session never makes a wrong build.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_VARIANT = re.compile(r"^(?P<crate>[A-Za-z0-9_]+)-(?P<id>[0-9a-z]+)$")
_SESSION = re.compile(r"^(?P<stem>s-[0-9a-z]+-[0-9a-z]+)-(?P<svh>[0-9a-z]+)$")
_LOCK = re.compile(r"^(?P<stem>s-[0-9a-z]+-[0-9a-z]+)\.lock$")
WORKING = "working"


@dataclass(frozen=True)
class Session:
    path: Path
    variant: Path  # the `<crate>-<id>` dir
    crate: str
    mtime: float
    finished: bool
    lock: Path | None


@dataclass(frozen=True)
class Verdict:
    """What goes: whole variant dirs, and single sessions (with their lock files)."""

    variants: tuple[Path, ...]
    sessions: tuple[Session, ...]
    kept: tuple[Session, ...]


def list_sessions(incremental: Path) -> list[Session]:
    """Every session under `incremental/`. Entries that are not rustc's are left out."""
    sessions: list[Session] = []
    for variant in _dirs(incremental):
        match = _VARIANT.match(variant.name)
        if match is None:
            continue
        try:
            children = sorted(variant.iterdir())
        except OSError:
            continue
        locks = {}
        for child in children:
            lock = _LOCK.match(child.name)
            if lock is not None:
                locks[lock["stem"]] = child
        for child in children:
            session = _SESSION.match(child.name)
            if session is None or not child.is_dir() or child.is_symlink():
                continue
            try:
                mtime = child.stat().st_mtime
            except OSError:
                continue
            sessions.append(
                Session(
                    path=child,
                    variant=variant,
                    crate=match["crate"],
                    mtime=mtime,
                    finished=session["svh"] != WORKING,
                    lock=locks.get(session["stem"]),
                )
            )
    return sessions


def decide(
    sessions: Sequence[Session],
    live: Iterable[tuple[str, float]],
    *,
    keep: int = 1,
    newest_only: bool = False,
) -> Verdict:
    """Claim sessions for the live units (crate name, output mtime); the rest is stale.

    `newest_only`: only the newest finished session of each variant may be claimed, because that
    is the one rustc starts from; used when some units are about to be rebuilt (their older
    sessions are superseded, whichever unit they were nearest to).
    """
    by_crate: dict[str, list[Session]] = defaultdict(list)
    newest: dict[Path, Session] = {}
    for s in sessions:
        if s.finished and (s.variant not in newest or s.mtime > newest[s.variant].mtime):
            newest[s.variant] = s
    for s in sessions:
        if s.finished and (not newest_only or newest[s.variant] is s):
            by_crate[s.crate].append(s)
    wanted: dict[str, list[float]] = defaultdict(list)
    for crate, mtime in live:
        if crate:
            wanted[crate].append(mtime)
    claimed: set[Path] = set()
    for crate, mtimes in wanted.items():
        free = list(by_crate.get(crate, ()))
        for _ in range(keep):
            # Closest pairs first: a lib and its test harness, built in the same second, both
            # find their own session.
            pairs = sorted(
                (abs(s.mtime - m), i, j)
                for i, m in enumerate(mtimes)
                for j, s in enumerate(free)
                if s.path not in claimed
            )
            served: set[int] = set()
            for _, i, j in pairs:
                if i in served or free[j].path in claimed:
                    continue
                served.add(i)
                claimed.add(free[j].path)
    kept = tuple(s for s in sessions if s.path in claimed)
    kept_variants = {s.variant for s in kept}
    variants = sorted({s.variant for s in sessions} - kept_variants)
    loose = tuple(s for s in sessions if s.path not in claimed and s.variant in kept_variants)
    return Verdict(tuple(variants), loose, kept)


def _dirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []
