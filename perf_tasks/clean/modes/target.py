"""`clean.target`: bring the target dir under its budget. The stale sweep first, then whole dirs
the configured commands do not use (profiles, triples, `doc/`, `tmp/`, nextest's store), largest
first, until the projected size is within the budget; with `--force`, all of them.

The projection comes from one scan of the swept items, each unused dir and the rest of the cargo
dirs, with hard links counted as the real run will find them. Nothing here deletes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.cargo.dirs import locks_of
from perf_tasks.clean import model
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection, label
from perf_tasks.clean.stale import Options, Sweep, dirs_of, select_stale
from perf_tasks.fs.partition import scan_with_rest
from perf_tasks.fs.scan import Scan, scan
from perf_tasks.quantities import format_bytes
from perf_tasks.settings import Settings
from perf_tasks.workspace import Workspace


@dataclass(frozen=True)
class Unused:
    path: Path
    category: str
    reason: str


def unused_outputs(
    ws: Workspace, used: frozenset[Path] | None, areas: Sequence[Path] | None = None
) -> list[Unused]:
    """Whole dirs of the target and build dirs (or of `areas`, some of them) that the configured
    commands do not use.

    Profile and triple dirs are judged only against a keep-set (`used` = the profile dirs the
    commands touch); generated docs, `tmp/`, `package/` and nextest's store need none. Folders we
    do not know are left alone.
    """
    found: list[Unused] = []
    for root in ws.cargo_areas if areas is None else areas:
        for child in dirs_of(root):
            if locks_of(child):
                if used is not None and child not in used:
                    found.append(
                        Unused(
                            child,
                            model.PROFILE,
                            f"profile {child.name}/: no configured command uses it",
                        )
                    )
                continue
            known = _known_output(child)
            if known is not None:
                found.append(known)
                continue
            profiles = [p for p in dirs_of(child) if locks_of(p)]
            if not profiles or used is None:
                continue
            if not any(p in used for p in profiles):
                found.append(
                    Unused(
                        child, model.PROFILE, f"{child.name}/: no configured command builds for it"
                    )
                )
                continue
            for p in profiles:
                if p not in used:
                    found.append(
                        Unused(
                            p,
                            model.PROFILE,
                            f"profile {child.name}/{p.name}/: no configured command uses it",
                        )
                    )
            doc = _known_output(child / "doc")
            if doc is not None and doc.path.is_dir():
                found.append(doc)
    return found


def _known_output(path: Path) -> Unused | None:
    if path.name == "doc":
        return Unused(path, model.DOC, "generated documentation")
    if path.name in ("tmp", "package"):
        return Unused(path, model.CARGO_OUTPUT, f"cargo's {path.name}/: made again when needed")
    if path.name == "nextest":
        return Unused(path, model.NEXTEST, "nextest's store")
    return None


def select_target(
    guard: Guard, settings: Settings, options: Options, *, base: Selection, force: bool
) -> Sweep:
    """Over budget: the stale sweep, then unused whole dirs, largest first, until the projected
    size is within the budget. Forced: the stale sweep and every unused whole dir, whatever the
    budget."""
    ws = guard.workspace
    roots = ws.cargo_areas
    names = ", ".join(label(ws.root, r) for r in roots)
    budget = settings.budgets.target
    before = _total(scan(roots), roots)
    budget_facts: dict[str, object] = {
        "budget_bytes": budget,
        "before_bytes": before,
        "over": before > budget,
        "forced": force,
    }
    if before <= budget and not force:
        sel = Selection(areas=[(label(ws.root, r), r) for r in roots])
        sel.notes.append(
            f"{names} {format_bytes(before)} is within its budget of {format_bytes(budget)}: "
            "nothing to do (--force cleans anyway)"
        )
        return Sweep(sel, None, {"budget": {**budget_facts, "projected_bytes": before}})
    sweep = select_stale(guard, settings, options)
    sel = sweep.selection
    state = "over" if before > budget else "within"
    sel.notes.insert(
        0,
        f"{names} {format_bytes(before)} is {state} its budget of {format_bytes(budget)}"
        + ("; --force cleans every unused dir anyway" if force else ""),
    )
    used = sweep.keepset.profiles if sweep.keepset is not None else None
    # The guard leaves a cargo dir outside the root alone (unless --shared): judge none of its dirs.
    mine = [r for r in roots if guard.leaves_alone(r) is None]
    outside = [r for r in roots if r not in mine]
    if outside:
        sel.notes.append(
            f"whole dirs of {', '.join(label(ws.root, r) for r in outside)} (outside the "
            "workspace root, maybe shared) are left alone: pass --shared to judge them too"
        )
    unused = unused_outputs(ws, used, mine)
    if used is None:
        sel.notes.append("whole profiles are judged only against a keep-set: none removed")
    swept = [c.path for c in (*base.candidates, *sel.candidates) if os.path.lexists(c.path)]
    pre = _decision_scan(roots, swept, [u.path for u in unused])
    inside = [p for p in swept if any(p.is_relative_to(r) for r in roots)]
    projected = _total(pre, roots) - pre.freed(inside)
    chosen: list[Path] = []
    gains = {u.path: pre.freed([*inside, u.path]) - pre.freed(inside) for u in unused}
    picked: list[str] = []
    for u in sorted(unused, key=lambda u: -gains[u.path]):
        if not force and (projected <= budget or gains[u.path] <= 0):
            break
        why = "over budget" if projected > budget else "--force"
        gain = pre.freed([*inside, *chosen, u.path]) - pre.freed([*inside, *chosen])
        chosen.append(u.path)
        projected -= gain
        sel.candidates.append(Candidate(u.path, u.category, f"{u.reason} ({why})"))
        picked.append(f"{label(ws.root, u.path)} ({format_bytes(gain)})")
    if picked:
        sel.notes.append(
            "removing whole dirs the configured commands do not use"
            + (" (all of them: --force)" if force else ", largest first")
            + ": "
            + ", ".join(picked)
        )
    if projected > budget:
        sel.notes.append(
            f"still over budget after this run: {format_bytes(projected)} > "
            f"{format_bytes(budget)}; what is left is what the configured commands build"
            + ("" if used is not None else ", or could not be judged")
        )
    sel.prescan = pre
    facts: dict[str, object] = {
        "budget": {**budget_facts, "projected_bytes": max(projected, 0)},
        "stale": sweep.facts,
    }
    return Sweep(sel, sweep.keepset, facts)


def _decision_scan(roots: Sequence[Path], items: Sequence[Path], extra: Sequence[Path]) -> Scan:
    """One scan that sizes the swept items, each unused dir and the rest of the cargo dirs."""
    return scan_with_rest(sorted({*items, *extra}), roots)


def _total(result: Scan, roots: Sequence[Path]) -> int:
    return sum(
        result.of(p).bytes
        for p in result.paths
        if any(p == r or p.is_relative_to(r) for r in roots)
    )
