"""Finishing what an interrupted run left in a quarantine this tool can prove it made."""

from __future__ import annotations

import os

from perf_tasks.clean import model, quarantine
from perf_tasks.clean.model import Skip
from perf_tasks.clean.safety import Guard
from perf_tasks.clean.selection import Candidate, Selection


def select_unfinished(guard: Guard) -> Selection:
    """What an interrupted run left in its quarantine: finishing it is the first job of any run.

    Only quarantines this tool can prove it made are finished (`quarantine.find`), and what they
    hold goes through the guard like anything else. A cargo dir the guard leaves alone (outside
    the root, without --shared) is not even looked into: a quarantine there may be another
    workspace's run, in progress right now, which `find` would take for a half-made one.
    """
    sel = Selection()
    ws = guard.workspace
    for home in (ws.root, *ws.cargo_dirs):
        if guard.leaves_alone(home) is not None:
            continue
        found = quarantine.find(home)
        sel.skipped += found.foreign
        guard.with_quarantines(found.runs)
        for run in found.runs:
            try:
                names = sorted(os.listdir(run))
            except OSError as exc:
                sel.skipped.append(Skip(run, f"cannot list: {exc.strerror}", blocking=True))
                continue
            sel.candidates += [
                Candidate(run / name, model.TRASH, "left by an interrupted run: finishing it")
                for name in names
                if name != quarantine.MARKER
            ]
    return sel
