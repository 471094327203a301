"""Finding the processes a test started, by the folder they work in."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import psutil


def processes_under(folder: Path) -> list[psutil.Process]:
    """Live processes (not zombies) whose command line, program or cwd names `folder`."""
    mark = str(folder)
    found = []
    for p in psutil.process_iter(["pid", "cmdline", "exe", "cwd", "status"]):
        info = p.info
        if p.pid == os.getpid() or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        texts = [*(info["cmdline"] or []), info["exe"] or "", info["cwd"] or ""]
        if any(mark in t for t in texts):
            found.append(p)
    return found


def wait_none_under(folder: Path, *, timeout_s: float = 3.0) -> list[str]:
    """What is still running under `folder` after `timeout_s` (killed, so that no test leaks it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = processes_under(folder)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    shown = [f"{p.pid} {' '.join(p.info['cmdline'] or [])[:200]}" for p in left]
    for p in left:
        with contextlib.suppress(psutil.Error):
            p.kill()
    return shown
