"""The processes a run starts end with it: on a timeout, a signal or an error, none outlives us.

A measured command is a tree: cargo and its rustc, nextest and its test binaries (each in a
process group of its own). Ending it takes three things:

- `adopting()`: this process becomes the child subreaper of its descendants (Linux), so that a
  test binary whose nextest died is re-parented to us, not to PID 1, and can still be found;
- `end_tree(pid)`: SIGTERM to the command alone (nextest then stops its tests, cargo its rustc),
  a grace period for it to exit, then SIGKILL to every process still under it or adopted by us;
- `stop_on_signals()`: SIGTERM and SIGHUP stop a run like Ctrl-C does: the exception unwinds
  every `finally` (scratch dirs go, trees end), and the tool exits 128 + the signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

GRACE_S = 5.0  # how long a command has to end its own children after SIGTERM
NO_LIMIT_S = 10.0**9  # a timeout of 30 years or more is none (a timer cannot wait 300 years)
_PR_SET_CHILD_SUBREAPER = 36
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """A stop signal arrived (SIGTERM, SIGHUP). A BaseException, like KeyboardInterrupt: no
    `except Exception` may swallow it on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Stopped`, SIGINT raises KeyboardInterrupt, once: a second signal
    while we clean up is noted, not raised, so that the cleanup finishes. A signal we were started
    ignoring stays ignored (`nohup` ignores SIGHUP, a shell's `&` SIGINT). Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)
        if len(seen) > 1:
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    handled = [s for s in (signal.SIGINT, *STOP_SIGNALS) if signal.getsignal(s) != signal.SIG_IGN]
    previous = {s: signal.signal(s, handler) for s in handled}
    try:
        with adopting():
            yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def adopting() -> Iterator[None]:
    """Become the subreaper of our descendants; on the way out, end any we adopted."""
    before = set(_children(os.getpid()))
    became = _set_subreaper(True)
    try:
        yield
    finally:
        end_adopted(keep=before)
        if became:
            _set_subreaper(False)


def end_tree(pid: int, *, grace_s: float = GRACE_S, keep: frozenset[int] = frozenset()) -> None:
    """SIGTERM to `pid`, up to `grace_s` for it to exit, then SIGKILL to whatever is left under it
    and whatever we adopted (`keep`: our children from before, left alone). `pid` itself is not
    reaped: its owner waits for it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and not _exited(pid):
        time.sleep(0.02)
    for _ in range(50):  # a tree may fork while it is being killed: until nothing is left
        left = [p for p in [pid, *_descendants(pid)] if not _exited(p)]
        left += [p for p in _descendants(os.getpid(), skip=keep | {pid}) if not _exited(p)]
        if not left:
            break
        for p in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        _reap_adopted(keep=keep | {pid})
        time.sleep(0.01)
    _reap_adopted(keep=keep | {pid})


def end_adopted(*, keep: set[int] | frozenset[int] = frozenset()) -> None:
    """SIGKILL every process under us but our children in `keep` (and theirs), and reap them."""
    for _ in range(50):
        left = [p for p in _descendants(os.getpid(), skip=frozenset(keep)) if not _exited(p)]
        if not left:
            break
        for p in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        _reap_adopted(keep=frozenset(keep))
        time.sleep(0.01)
    _reap_adopted(keep=frozenset(keep))


def own_children() -> frozenset[int]:
    return frozenset(_children(os.getpid()))


def _reap_adopted(*, keep: frozenset[int]) -> None:
    for p in _children(os.getpid()):
        if p in keep:
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(p, os.WNOHANG)


def _exited(pid: int) -> bool:
    """Gone, or a zombie: it will not run again."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return True
    return stat.rpartition(b")")[2].split()[0] in (b"Z", b"X")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return _children_psutil(pid)
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                found += [int(x) for x in f.read().split()]
        except OSError:
            return _children_psutil(pid)
    return found


def _children_psutil(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def _descendants(pid: int, *, skip: frozenset[int] = frozenset()) -> list[int]:
    found: list[int] = []
    todo = [c for c in _children(pid) if c not in skip]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += _children(p)
    return found


def _set_subreaper(on: bool) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


class Deadline:
    """Ends the tree of `pid` (`end_tree`) once `timeout_s` has passed, unless settled first.

    The owner waits for `pid` without reaping it (`waitid` with WNOWAIT), then calls `settle()`,
    and only then reaps: the pid cannot be reused while the timer may still signal it.
    """

    def __init__(
        self, pid: int, timeout_s: float | None, *, grace_s: float = GRACE_S, keep: frozenset[int]
    ) -> None:
        self.pid = pid
        self.grace_s = grace_s
        self.keep = keep
        self.fired = False
        self._lock = threading.Lock()
        self._settled = False
        self._timer: threading.Timer | None = None
        if timeout_s and timeout_s < NO_LIMIT_S:  # past it, the timer thread cannot even wait
            self._timer = threading.Timer(timeout_s, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._settled:
                return
            self.fired = True
        end_tree(self.pid, grace_s=self.grace_s, keep=self.keep)

    def settle(self) -> None:
        """No firing from now on; if it already fired, wait until the tree is ended."""
        with self._lock:
            self._settled = True
        if self._timer is not None:
            self._timer.cancel()
            if self.fired:
                self._timer.join()


def wait_unreaped(pid: int) -> None:
    """Block until `pid` has exited, leaving it a zombie for the caller to reap."""
    if hasattr(os, "waitid"):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
