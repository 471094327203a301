"""RAM of a whole process tree, sampled on a thread while the command runs.

Two honest figures come out of the same samples:

- the peak of the tree: the largest sum of RSS over every process of the tree at one instant
  (shared pages count once per process, as RSS does);
- the largest single process: the largest RSS any one process had in a sample, and its name.

They are sampled, so a process that lives shorter than the interval can be missed; the number of
samples is reported with them. `ru_maxrss` from `wait4` is not used: it is the largest of the
processes, which starts at the parent's own size.

On Linux a sample reads, per process of the tree, `/proc/<pid>/task/<tid>/children` (to find the
tree) and `/proc/<pid>/statm` (the resident pages: the RSS that psutil's `memory_info()` reports,
read without building psutil's objects, which would cost several times more). Elsewhere, psutil
does both, through `children(recursive=True)`.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

# The first sample comes after MIN_INTERVAL_S: before that, the command has only just started. Then
# the interval grows with the run (a tenth of the elapsed time, up to MAX_INTERVAL_S), and it never
# drops below COST_FACTOR times what the last sample cost: the sampler uses at most about 0.5% of
# one core, however large the tree.
MIN_INTERVAL_S = 0.015
MAX_INTERVAL_S = 0.100
COST_FACTOR = 200


@dataclass(frozen=True)
class Peaks:
    """The peaks a run's samples saw; None when the run ended before the first sample."""

    tree_rss: int | None  # bytes: largest sum of RSS over the tree in one sample
    process_rss: int | None  # bytes: largest RSS of one process in any sample
    process_name: str  # the name of that process ("rustc", "cargo", ...)
    samples: int
    cpu_s: float  # CPU time the sampler thread itself used


class Sampler:
    """Samples the tree under `pid` until `stop()`; `stop()` returns the peaks."""

    def __init__(
        self,
        pid: int,
        *,
        min_interval: float = MIN_INTERVAL_S,
        max_interval: float = MAX_INTERVAL_S,
    ) -> None:
        self.pid = pid
        self.min_interval = min_interval
        self.max_interval = max_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="perf-tasks-sampler", daemon=True)
        me = os.getpid()
        self._proc_fs = Path(f"/proc/{me}/task/{me}/children").is_file()
        self._page = os.sysconf("SC_PAGE_SIZE") if self._proc_fs else 0
        self._procs: dict[int, psutil.Process] = {}  # without procfs only
        self._tree_peak = 0
        self._process_peak = 0
        self._process_name = ""
        self._samples = 0
        self._cpu_s = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> Peaks:
        self._stop.set()
        self._thread.join()
        sampled = self._samples > 0
        return Peaks(
            tree_rss=self._tree_peak if sampled else None,
            process_rss=self._process_peak if sampled else None,
            process_name=self._process_name,
            samples=self._samples,
            cpu_s=self._cpu_s,
        )

    def _loop(self) -> None:
        cpu_start = time.thread_time()
        started = time.monotonic()
        interval = self.min_interval
        try:
            while not self._stop.wait(interval):
                before = time.thread_time()
                self.sample()
                cost = time.thread_time() - before
                elapsed = time.monotonic() - started
                interval = max(self.min_interval, elapsed / 10, COST_FACTOR * cost)
                interval = min(self.max_interval, interval)
        finally:
            self._cpu_s = time.thread_time() - cpu_start

    def sample(self) -> None:
        """One sample of the tree: add up RSS, remember the peaks."""
        total = 0
        largest = 0
        largest_pid = 0
        seen = 0
        for pid in self._tree():
            rss = self._rss(pid)
            if rss is None:
                continue
            seen += 1
            total += rss
            if rss > largest:
                largest, largest_pid = rss, pid
        if not seen:
            return
        self._samples += 1
        self._tree_peak = max(self._tree_peak, total)
        if largest > self._process_peak:
            self._process_peak = largest
            self._process_name = self._name(largest_pid) or self._process_name

    def _rss(self, pid: int) -> int | None:
        if self._proc_fs:
            try:
                return int(_read(f"/proc/{pid}/statm").split()[1]) * self._page
            except (OSError, IndexError, ValueError):
                return None
        import psutil

        try:
            proc = self._procs.get(pid)
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
            return int(proc.memory_info().rss)
        except psutil.Error:
            self._procs.pop(pid, None)
            return None

    def _name(self, pid: int) -> str:
        if self._proc_fs:
            try:
                return _read(f"/proc/{pid}/comm").decode(errors="replace").strip()
            except OSError:  # the process ended between two reads: keep no name
                return ""
        import psutil

        try:
            return psutil.Process(pid).name()
        except psutil.Error:
            return ""

    def _tree(self) -> list[int]:
        if not self._proc_fs:
            return self._tree_psutil()
        found = [self.pid]
        i = 0
        while i < len(found):
            pid = found[i]
            i += 1
            try:
                with os.scandir(f"/proc/{pid}/task") as tasks:
                    tids = [t.name for t in tasks]
            except OSError:
                continue
            for tid in tids:
                try:
                    found.extend(int(x) for x in _read(f"/proc/{pid}/task/{tid}/children").split())
                except OSError:
                    continue
        return found

    def _tree_psutil(self) -> list[int]:
        import psutil

        try:
            root = psutil.Process(self.pid)
            return [self.pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.Error:
            return []


def _read(path: str) -> bytes:
    """One small procfs file, with the fewest system calls."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 1 << 16)
    finally:
        os.close(fd)
