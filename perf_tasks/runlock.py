"""One run per workspace at a time: two cron jobs must not collide, and no cleaning may run while a
baseline measures.

The lock is the file `LOCK_NAME` at the top of the workspace root, held with `flock`. The root is
the one place every user who may clean the workspace can reach, that the workspace keeps for as
long as it exists, and that depends neither on the login session (cron has no `XDG_RUNTIME_DIR`)
nor on who owns a file in `/tmp`. The file is made once and reused, never deleted: unlinking a lock
that someone may hold or be about to take splits it in two. No cleaning mode ever selects it, and
the guard keeps it.

`flock` needs no write access, so a lock file made by another user (mode 0644 under the usual
umask) is still shared: we open it read-only and lock it all the same.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from perf_tasks.errors import Busy, WorkspaceError

LOCK_NAME = ".perf-tasks.lock"
_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # never a symlink; never hang on a FIFO
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def lock_path(root: Path) -> Path:
    return root / LOCK_NAME


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[None]:
    """Hold the workspace for this run, or raise `Busy` naming who holds it."""
    path = lock_path(root)
    fd, writable = _take(path, root)
    try:
        with _legacy_lock(root):
            if writable:
                _write_pid(fd)
            yield
    finally:
        os.close(fd)  # closing the last fd drops the flock


def _take(path: Path, root: Path) -> tuple[int, bool]:
    """Open and flock the lock file; retry if it was replaced between the open and the flock."""
    for _ in range(5):
        fd, writable = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise Busy(
                f"another perf-tasks run ({holder}) is working on {root}: let it finish, "
                "then run again"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd, writable
        os.close(fd)  # someone removed the file while we opened it: lock the one that is there
    raise WorkspaceError(f"the run lock {path} keeps being replaced: find what deletes it")


def _open(path: Path) -> tuple[int, bool]:
    """The lock file, made if missing (0666 less the umask); read-only if that is all we may do."""
    writable = True
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _FLAGS, 0o666)
    except OSError as exc:
        if exc.errno not in _NOT_WRITABLE:
            raise _unusable(path, exc) from None
        writable = False
        try:
            fd = os.open(path, os.O_RDONLY | _FLAGS)
        except FileNotFoundError:
            raise WorkspaceError(
                f"cannot create the run lock {path} ({exc.strerror}): "
                "run as a user who may write the workspace root"
            ) from None
        except OSError as exc2:
            raise _unusable(path, exc2) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise WorkspaceError(
            f"the run lock {path} is not a regular file: remove it, then run again"
        )
    # A lock with other names (a hard link planted elsewhere) is flocked, never written.
    return fd, writable and info.st_nlink == 1


def _unusable(path: Path, exc: OSError) -> WorkspaceError:
    if exc.errno == errno.ELOOP:
        return WorkspaceError(f"the run lock {path} is a symlink: remove it, then run again")
    return WorkspaceError(
        f"cannot open the run lock {path} ({exc.strerror}): let every user who cleans this "
        "workspace read it (chmod a+r)"
    )


def _write_pid(fd: int) -> None:
    """For the message a second run prints; the lock itself is the flock, not this text."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)


def _holder(fd: int) -> str:
    """`pid N` if the file names a live process; the file may be stale when its last holder could
    not write it."""
    try:
        pid = int(os.pread(fd, 32, 0).decode(errors="replace").strip())
        os.kill(pid, 0)
    except PermissionError:
        return f"pid {pid}"  # alive, under another user
    except (OSError, ValueError):
        return "another process"
    return f"pid {pid}"


@contextlib.contextmanager
def _legacy_lock(root: Path) -> Iterator[None]:
    """Respect the lock older versions took in the temp dir, while they may still run.

    Only an existing file is locked: it is never made, written or removed here. Removing one safely
    would need to know that no older run has it open, which nothing can tell us.
    """
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"perf-tasks-{digest}.lock"
    try:
        fd = os.open(path, os.O_RDONLY | _FLAGS)
    except OSError:
        yield  # none, or not ours to open: an older run could not take it from us either
        return
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Busy(
                    f"an older perf-tasks run ({_holder(fd)}) is working on {root}: let it "
                    "finish, then run again"
                ) from None
        yield
    finally:
        os.close(fd)
