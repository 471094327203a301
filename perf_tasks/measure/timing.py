"""Run a command N times and measure each run: wall time, exact CPU of the tree, sampled RAM.

The wall clock runs from just before the spawn to the return of `wait4`, as `hyperfine -N` counts
it (no shell in between). CPU user and system time come from the rusage that `wait4` returns: the
child's own time plus that of every descendant it waited for, which is the whole tree for cargo,
rustc, nextest and test binaries. RAM comes from `sampler.Sampler`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from perf_tasks import proc as proc_mod
from perf_tasks.errors import ToolMissing
from perf_tasks.measure.sampler import Sampler
from perf_tasks.measure.stats import Stats, summarize

TAIL_LINES = 20

Clock = Callable[[], float]


# Text a running command wrote since the last call (whole lines; empty when none).
OnOutput = Callable[[str], None]


@dataclass(frozen=True)
class Run:
    """One timed run of a command."""

    wall_s: float
    user_s: float
    sys_s: float
    exit_code: int  # negative: killed by that signal
    peak_tree_rss: int | None  # bytes, sampled; None when the run ended before the first sample
    peak_process_rss: int | None  # bytes, sampled; None likewise
    peak_process_name: str
    samples: int
    sampler_cpu_s: float
    stdout: str = ""  # kept only when asked for (cargo's JSON messages)
    tail: tuple[str, ...] = ()  # the last lines of its output, for messages
    timed_out: bool = False  # it ran past the timeout and was ended (its tree with it)
    # CPU seconds the rest of the machine used while it ran (all CPUs, from /proc/stat, minus
    # this run's tree and our sampler): contention. None where /proc/stat cannot be read.
    others_cpu_s: float | None = None
    load_1m: float | None = None  # the 1-minute load average as the run ended

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


@dataclass(frozen=True)
class Measurement:
    argv: tuple[str, ...]
    runs: tuple[Run, ...]
    warmup: int = 0
    env: Mapping[str, str] = field(default_factory=dict)  # what we set on top of the environment

    def stats(self, metric: str) -> Stats | None:
        """`wall_s`, `cpu_s`, `user_s`, `sys_s`, `peak_tree_rss`, `peak_process_rss`, ...

        Runs without a value (RAM not sampled) are left out; None when no run has one.
        """
        values = [getattr(r, metric) for r in self.runs]
        present = [float(v) for v in values if v is not None]
        return summarize(present) if present else None

    @property
    def exit_codes(self) -> tuple[int, ...]:
        return tuple(r.exit_code for r in self.runs)

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.exit_codes)


# (run index from 1, runs, warmup?) -> None: what a progress display needs before each run.
OnRun = Callable[[int, int, bool], None]


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    runs: int,
    warmup: int = 0,
    before: Callable[[], None] | None = None,
    after: Callable[[Run], None] | None = None,
    capture_stdout: bool = False,
    stream_fd: int | None = None,
    on_run: OnRun | None = None,
    stop_on_failure: bool = False,
    extra_env: Mapping[str, str] | None = None,
    clock: Clock = time.perf_counter,
    timeout_s: float | None = None,
    on_output: OnOutput | None = None,
) -> Measurement:
    """Run `argv` `warmup` times untimed, then `runs` times timed.

    `before` runs before every run (warmups included), outside the clock: it touches a file or
    wipes a scratch dir. `after` sees each timed run. With `stop_on_failure`, a run that exits
    non-zero ends the measurement there. A run that passes `timeout_s` is ended, and so is the
    measurement.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    full_env = {**env, **(extra_env or {})}
    done: list[Run] = []
    for i in range(warmup + runs):
        is_warmup = i < warmup
        if on_run is not None:
            on_run(i + 1 if is_warmup else i - warmup + 1, warmup if is_warmup else runs, is_warmup)
        if before is not None:
            before()
        run = run_once(
            argv,
            cwd=cwd,
            env=full_env,
            capture_stdout=capture_stdout and not is_warmup,
            stream_fd=stream_fd,
            clock=clock,
            timeout_s=timeout_s,
            on_output=on_output,
        )
        if run.timed_out:
            done.append(run)
            break
        if is_warmup:
            if stop_on_failure and run.exit_code != 0:
                done.append(run)
                break
            continue
        done.append(run)
        if after is not None:
            after(run)
        if stop_on_failure and run.exit_code != 0:
            break
    return Measurement(argv=tuple(argv), runs=tuple(done), warmup=warmup, env=dict(extra_env or {}))


def run_once(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    capture_stdout: bool = False,
    stream_fd: int | None = None,
    clock: Clock = time.perf_counter,
    sample: bool = True,
    timeout_s: float | None = None,
    on_output: OnOutput | None = None,
) -> Run:
    """One run: spawn, sample, `wait4`. Output goes to temporary files (or to `stream_fd`).

    Past `timeout_s`, or on any exception while we wait (Ctrl-C, `proc.Stopped`), the command's
    whole tree is ended (`proc.end_tree`); no process of it outlives the run. `on_output` sees
    the command's stderr as it is written (every `WATCH_S`, new text or none), when captured."""
    with contextlib.ExitStack() as stack:
        out_file = err_file = None
        stdout: int | IO[bytes]
        stderr: int | IO[bytes]
        if stream_fd is None or capture_stdout:
            out_file = stack.enter_context(tempfile.TemporaryFile())
            stdout = out_file
        else:
            stdout = stream_fd
        if stream_fd is None:
            err_file = stack.enter_context(tempfile.TemporaryFile())
            stderr = err_file
        else:
            stderr = stream_fd
        keep = proc_mod.own_children()
        busy_before = machine_busy_s()
        started = clock()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        except FileNotFoundError:
            raise ToolMissing(f"{argv[0]} is not installed or not on PATH") from None
        sampler = Sampler(proc.pid) if sample else None
        if sampler is not None:
            sampler.start()
        deadline = proc_mod.Deadline(proc.pid, timeout_s, keep=keep)
        if on_output is not None and err_file is not None:
            stack.enter_context(_watched(err_file, on_output))
        try:
            with _reaped(proc, deadline, keep):
                proc_mod.wait_unreaped(proc.pid)
                wall = clock() - started
                deadline.settle()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            peaks = sampler.stop() if sampler is not None else None
        busy_after = machine_busy_s()
        proc_mod.end_adopted(keep=keep)  # what it left running, if anything
        out_text = _read(out_file) if out_file is not None else ""
        err_text = _read(err_file) if err_file is not None else ""
    tail_source = err_text if err_text.strip() or capture_stdout else out_text
    others = None
    if busy_before is not None and busy_after is not None:
        ours = usage.ru_utime + usage.ru_stime + (peaks.cpu_s if peaks else 0.0)
        others = round(max(0.0, busy_after - busy_before - ours), 3)
    return Run(
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        exit_code=proc.returncode,
        peak_tree_rss=peaks.tree_rss if peaks else None,
        peak_process_rss=peaks.process_rss if peaks else None,
        peak_process_name=peaks.process_name if peaks else "",
        samples=peaks.samples if peaks else 0,
        sampler_cpu_s=peaks.cpu_s if peaks else 0.0,
        stdout=out_text if capture_stdout else "",
        tail=tuple(tail_source.splitlines()[-TAIL_LINES:]),
        timed_out=deadline.fired,
        others_cpu_s=others,
        load_1m=_load_1m(),
    )


@contextlib.contextmanager
def _reaped(
    proc: subprocess.Popen[bytes], deadline: proc_mod.Deadline, keep: frozenset[int]
) -> Iterator[None]:
    """On Ctrl-C, a stop signal or any error while we wait, the child's tree does not outlive us:
    it gets SIGTERM and a grace period (nextest stops its tests), then SIGKILL."""
    try:
        yield
    except BaseException:
        deadline.settle()
        if proc.returncode is None:
            proc_mod.end_tree(proc.pid, keep=keep)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc.pid, 0)
            proc.returncode = -9
        proc_mod.end_adopted(keep=keep)
        raise


def machine_busy_s() -> float | None:
    """CPU seconds every CPU of the machine has spent busy since boot (`/proc/stat`)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 8:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[1:8])
    steal = int(fields[8]) if len(fields) > 8 else 0
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _load_1m() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


# How often the output of a running command is read for progress.
WATCH_S = 0.25


@contextlib.contextmanager
def _watched(f: IO[bytes], on_output: OnOutput) -> Iterator[None]:
    """Hand what the command writes to `f` to `on_output`, as it comes, from a thread: `pread`
    leaves the file's offset alone, and the text is read whole once the command has ended."""
    import threading

    stop = threading.Event()
    fd = f.fileno()

    def watch() -> None:
        offset, pending = 0, b""
        while True:
            stopping = stop.wait(WATCH_S)
            while chunk := os.pread(fd, 1 << 16, offset):
                offset += len(chunk)
                pending += chunk
            complete, _, pending = pending.rpartition(b"\n")
            on_output(complete.decode("utf-8", "replace") + "\n" if complete else "")
            if stopping:
                return

    thread = threading.Thread(target=watch, name="output-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _read(f: IO[bytes]) -> str:
    f.seek(0)
    return f.read().decode("utf-8", errors="replace")
