"""One run per workspace at a time: two cron jobs must not collide, no cleaning may run while a
baseline measures, and no two edits of a user's file may interleave (fs/guarded.py).

The lock is a file held with `flock`. Where the workspace root is in a git work tree, the file is
in that work tree's git dir, named for the root's place in the work tree (`perf-tasks-<hash>.lock`:
two cargo workspaces can share one repository), so that `git status` never shows it. The git dir is
found by reading `.git` (a folder, or a file saying `gitdir: ...`) rather than by running git: git
refuses a repository another user owns ("dubious ownership"), and every user must pick the same
file, whoever they are and whatever `GIT_DIR` a hook has set. Elsewhere the lock is `LOCK_NAME` at
the top of the root. Either place is one every user who may clean the workspace can reach, that the
workspace keeps for as long as it exists, and that depends neither on the login session (cron has
no `XDG_RUNTIME_DIR`) nor on who owns a file in `/tmp`. The file is made once and reused, never
deleted: unlinking a lock that someone may hold or be about to take splits it in two. No cleaning
mode ever selects it, and the guard keeps it.

`flock` needs no write access, so a lock file made by another user (mode 0644 under the usual
umask) is still shared: we open it read-only and lock it all the same.

The lock is re-entrant within a process: a task that holds it (a clean, a baseline) may write a
user's file through the guarded writer, which takes it again. A second `flock` from another open
file would conflict with our own, so a lock this process holds is recognised (by its inode) and
held on, never taken twice.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from perf_tasks.errors import Busy, WorkspaceError

# The lock outside a git work tree, and where earlier versions kept it inside one too.
LOCK_NAME = ".perf-tasks.lock"
_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # never a symlink; never hang on a FIFO
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)
_GITFILE_LIMIT = 4096  # `.git` as a file holds one line: `gitdir: <path>`

# (st_dev, st_ino) of each lock file this process holds: taken again, it is not flocked twice.
_held: set[tuple[int, int]] = set()
_held_guard = threading.Lock()


def lock_path(root: Path) -> Path:
    """The lock file of the workspace at `root`: in the git dir of the work tree that holds it,
    named for the root's place in that work tree; outside a work tree, `LOCK_NAME` in the root."""
    found = git_dir_of(root)
    if found is None:
        return root / LOCK_NAME
    git_dir, top = found
    place = root.resolve().relative_to(top).as_posix()  # "." for the top of the work tree
    return git_dir / f"perf-tasks-{hashlib.sha256(place.encode()).hexdigest()[:16]}.lock"


def git_dir_of(root: Path) -> tuple[Path, Path] | None:
    """(the git dir, the top of the work tree) of the work tree that holds `root`, or None.

    Read from `.git` itself, never by running git: see the module's docstring.
    """
    start = root.resolve()
    for folder in (start, *start.parents):
        dot = folder / ".git"
        try:
            info = os.stat(dot)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode):
            return dot, folder
        if stat.S_ISREG(info.st_mode):
            target = _gitfile_target(dot)
            return (target, folder) if target is not None else None
        return None
    return None


def _gitfile_target(dot: Path) -> Path | None:
    """The folder a `.git` file points at (`gitdir: ../.git/worktrees/x`, relative to the file)."""
    from perf_tasks.fs.regular import read_text

    try:
        text = read_text(dot, limit=_GITFILE_LIMIT)
    except OSError:  # NotRegular too: not a gitfile git could use either
        return None
    first = text.split("\n", 1)[0].strip()
    if not first.startswith("gitdir:"):
        return None
    target = (dot.parent / first.removeprefix("gitdir:").strip()).resolve()
    return target if target.is_dir() else None


@contextlib.contextmanager
def run_lock(root: Path, *, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the workspace for this run, or raise `Busy` naming who holds it (after `wait_s`
    seconds of trying). Taken again while this process holds it (a task's write through
    fs/guarded.py), it is simply held on."""
    path = lock_path(root)
    if _held_here(path):
        yield
        return
    fd, writable = _take(path, root, wait_s=wait_s)
    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino)
    try:
        with _held_guard:
            _held.add(key)
        with _legacy_lock(root, path):
            if writable:
                _write_pid(fd)
            yield
    finally:
        with _held_guard:
            _held.discard(key)
        os.close(fd)  # closing the last fd drops the flock


def _held_here(path: Path) -> bool:
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    with _held_guard:
        return (info.st_dev, info.st_ino) in _held


def _take(path: Path, root: Path, *, wait_s: float) -> tuple[int, bool]:
    """Open and flock the lock file; retry if it was replaced between the open and the flock."""
    for _ in range(5):
        fd, writable = _open(path)
        try:
            _flock(fd, wait_s)
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


def _flock(fd: int, wait_s: float) -> None:
    """Take the flock, trying for up to `wait_s` seconds; `BlockingIOError` if still held."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


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
                f"run as a user who may write {path.parent}"
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
def _legacy_lock(root: Path, current: Path) -> Iterator[None]:
    """Respect the locks older versions took, while they may still run: `LOCK_NAME` in the root
    (when the lock is now in the git dir) and, older still, a file in the temp dir.

    Only an existing file is locked: it is never made, written or removed here. Removing one safely
    would need to know that no older run has it open, which nothing can tell us.
    """
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    older = [Path(tempfile.gettempdir()) / f"perf-tasks-{digest}.lock"]
    if current != root / LOCK_NAME:
        older.append(root / LOCK_NAME)
    with contextlib.ExitStack() as stack:
        for path in older:
            stack.enter_context(_existing_lock(path, root))
        yield


@contextlib.contextmanager
def _existing_lock(path: Path, root: Path) -> Iterator[None]:
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
