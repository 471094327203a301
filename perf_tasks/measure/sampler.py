"""RAM of a whole process tree, sampled on a thread while the command runs.

Two honest figures come out of the same samples:

- the peak of the tree: the largest sum of RSS over every process of the tree at one instant
  (shared pages count once per process, as RSS does);
- the largest single process: the largest RSS any one process had in a sample, and its name.

They are sampled, so a process that lives shorter than the interval can be missed; the number of
samples is reported with them. `ru_maxrss` from `wait4` is not used: it is the largest of the
processes, which starts at the parent's own size.

The tree is found through `/proc/<pid>/task/<tid>/children` on Linux, which costs a few reads per
process of the tree; psutil's `children(recursive=True)` reads every process of the machine, and
is the fallback elsewhere.
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

# The interval grows with the run: a tenth of the elapsed time, kept between these bounds, so that a
# short command still gets several samples. It never drops below 100 times what one sample costs,
# so that the sampler uses at most about 1% of one core however large the tree is.
MIN_INTERVAL_S = 0.010
MAX_INTERVAL_S = 0.100
COST_FACTOR = 100


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
        self._procs: dict[int, psutil.Process] = {}
        self._names: dict[int, str] = {}
        self._proc_fs = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").is_file()
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
        interval = self.min_interval  # no sample at 0: the command has only just started
        first = True
        try:
            while not self._stop.wait(interval):
                before = time.thread_time()
                self.sample()
                cost = time.thread_time() - before
                elapsed = time.monotonic() - started
                # The first sample pays for setting up (psutil's objects): not a guide.
                floor = 0.0 if first else COST_FACTOR * cost
                first = False
                interval = min(self.max_interval, max(self.min_interval, elapsed / 10, floor))
        finally:
            self._cpu_s = time.thread_time() - cpu_start

    def sample(self) -> None:
        """One sample of the tree: add up RSS, remember the peaks."""
        import psutil

        total = 0
        largest = 0
        largest_pid = 0
        alive = self._tree()
        for pid in alive:
            proc = self._procs.get(pid)
            try:
                if proc is None:
                    proc = self._procs[pid] = psutil.Process(pid)
                rss = proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            total += rss
            if rss > largest:
                largest, largest_pid = rss, pid
        for gone in self._procs.keys() - set(alive):
            del self._procs[gone]
        if not alive:
            return
        self._samples += 1
        self._tree_peak = max(self._tree_peak, total)
        if largest > self._process_peak:
            self._process_peak = largest
            self._process_name = self._name(largest_pid)

    def _name(self, pid: int) -> str:
        import psutil

        name = self._names.get(pid)
        if name is None:
            proc = self._procs.get(pid)
            try:
                name = proc.name() if proc is not None else ""
            except psutil.Error:  # the process ended between two reads: keep no name
                name = ""
            self._names[pid] = name
        return name

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
        if len(found) == 1 and not Path(f"/proc/{self.pid}").exists():
            return []
        return found

    def _tree_psutil(self) -> list[int]:
        import psutil

        try:
            root = psutil.Process(self.pid)
            return [self.pid, *(p.pid for p in root.children(recursive=True))]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return []


def _read(path: str) -> bytes:
    """One small procfs file, with the fewest system calls."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 1 << 16)
    finally:
        os.close(fd)
