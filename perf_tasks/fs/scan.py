"""Disk usage the way `du` counts it, for many paths at once.

Sizes are allocated blocks (`st_blocks * 512`), never apparent sizes. A hard-linked inode is counted
once, for the first scanned path that holds it, like `du a b c`. The scan also remembers how many of
each inode's links it saw under each path, so that `freed(paths)` counts a file only when every one
of its links is among the paths removed. An inode whose links all lie under one path is simply that
path's own; only inodes shared between paths are kept apart, in groups of the same shape.

Symlinks are never followed. Like `du`, the walk opens each folder relative to its parent's fd and
stats each entry relative to its folder's, so depth is no limit (PATH_MAX is not). It runs in two
processes when the tree is large: the parent lists the first levels, and the workers `lstat` and
walk the rest, which is where the time goes.
"""

from __future__ import annotations

import errno
import os
import pickle
import stat
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK = 512
GIT = ".git"  # a folder holding this (a dir, or a file as in worktrees) is another repository
# Below this many work units, forking costs more than it saves.
_PARALLEL_MIN_UNITS = 2000  # names to stat
_PARALLEL_MIN_SUBTREES = 32  # or subtrees to walk
_TARGET_SUBTREES = 256  # the parent lists folders until it has about this many to share out
_MAX_LIST_DEPTH = 8
_WORKERS = min(2, os.cpu_count() or 1)


@dataclass
class Usage:
    bytes: int = 0  # allocated bytes, hard links counted once
    files: int = 0  # entries that are not directories
    newest_mtime: float = 0.0  # newest mtime of anything inside, the path itself included

    def add(self, other: Usage) -> None:
        self.bytes += other.bytes
        self.files += other.files
        self.newest_mtime = max(self.newest_mtime, other.newest_mtime)


# Several links of one inode, as the scan saw them: the tops holding them and how many each.
# A signature (nlink, ((top, links seen there), ...)) is shared by many inodes: bytes add up per
# signature, so `freed` looks at a few groups rather than at every inode.
_Signature = tuple[int, tuple[tuple[int, int], ...]]
# An inode whose links are not all seen yet:
# [bytes, nlink, links seen, top or {top: links seen}, mtime]
_Pending = list[Any]


@dataclass
class _Partial:
    """What one process saw: per top path, bytes it owns alone; inodes shared between tops apart.

    An inode whose links all turned up under one top is that top's own, like a single-link file;
    one whose links span tops goes to a signature group; one still missing links stays pending
    until the partials are merged.
    """

    own: dict[int, list[float]] = field(default_factory=dict)  # top -> [bytes, files, newest]
    groups: dict[_Signature, int] = field(default_factory=dict)  # signature -> bytes
    pending: dict[int, dict[int, _Pending]] = field(default_factory=dict)  # dev -> ino -> state
    errors: list[tuple[str, str]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)  # which batches of units it walked
    repos: list[str] = field(default_factory=list)  # folders holding a `.git` entry

    def record(self, top: int, st: os.stat_result) -> None:
        own = self.own.get(top)
        if own is None:
            own = self.own[top] = [0, 0, 0.0]
        own[2] = max(own[2], st.st_mtime)
        is_dir = stat.S_ISDIR(st.st_mode)
        if not is_dir:
            own[1] += 1
        if is_dir or st.st_nlink <= 1:
            own[0] += st.st_blocks * BLOCK
            return
        own[0] += self.link(top, st)

    def link(self, top: int, st: os.stat_result) -> int:
        """Note one link of a multi-link inode; returns its bytes once they are `top`'s own."""
        pend = self.pending.get(st.st_dev)
        if pend is None:
            pend = self.pending[st.st_dev] = {}
        state = pend.get(st.st_ino)
        if state is None:
            pend[st.st_ino] = [st.st_blocks * BLOCK, st.st_nlink, 1, top, st.st_mtime]
            return 0
        return self.again(pend, st.st_ino, state, top)

    def again(self, pend: dict[int, _Pending], ino: int, state: _Pending, top: int) -> int:
        """One more link of a pending inode; returns its bytes once they are `top`'s own."""
        state[2] += 1
        if state[3] == top:  # an int equal to top: every link so far is under it
            if state[2] >= state[1]:
                del pend[ino]
                return int(state[0])
            return 0
        _add_top(state, top, 1)
        if state[2] >= state[1]:
            del pend[ino]
            sig = _signature(state)
            self.groups[sig] = self.groups.get(sig, 0) + state[0]
        return 0


def _add_top(state: _Pending, top: int, count: int) -> None:
    seen = state[3]
    if isinstance(seen, int):
        # the links seen before this one were all under `seen`
        seen = state[3] = {seen: state[2] - count}
    seen[top] = seen.get(top, 0) + count


def _signature(state: _Pending) -> _Signature:
    seen = state[3]
    tops = ((seen, state[2]),) if isinstance(seen, int) else tuple(sorted(seen.items()))
    return (int(state[1]), tops)


@dataclass(frozen=True)
class Scan:
    """Usage of each scanned path, and what removing any subset of them would free."""

    paths: tuple[Path, ...]
    usage: dict[Path, Usage]
    _groups: dict[_Signature, int]  # inodes whose links span several paths, bytes per signature
    _own_bytes: tuple[int, ...]  # bytes that go when that path alone goes
    errors: tuple[tuple[str, str], ...] = ()
    repos: tuple[Path, ...] = ()  # folders with their own `.git` (dir or file): other repositories
    _index: dict[Path, int] = field(init=False, repr=False, compare=False)
    _by_top: dict[int, list[_Signature]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p: i for i, p in enumerate(self.paths)})
        by_top: dict[int, list[_Signature]] = {}
        for sig in self._groups:
            for top, _ in sig[1]:
                by_top.setdefault(top, []).append(sig)
        object.__setattr__(self, "_by_top", by_top)

    def of(self, path: Path) -> Usage:
        return self.usage.get(path, Usage())

    def covers(self, paths: Iterable[Path]) -> bool:
        """Whether every one of `paths` was scanned (deep or shallow)."""
        return all(p in self._index for p in paths)

    def total(self) -> Usage:
        total = Usage()
        for usage in self.usage.values():
            total.add(usage)
        return total

    def freed(self, paths: Iterable[Path]) -> int:
        """Bytes that removing `paths` gives back: a file counts when its last link goes.

        Costs the chosen paths plus the link groups they touch, not a pass over the whole scan.
        """
        index = self._index
        chosen = {i for p in paths if (i := index.get(p)) is not None}
        freed = sum(self._own_bytes[i] for i in chosen)
        touched = {sig for i in chosen for sig in self._by_top.get(i, ())}
        for sig in touched:
            nlink, seen = sig
            if sum(n for top, n in seen if top in chosen) >= nlink:
                freed += self._groups[sig]
        return freed


def scan(
    paths: Sequence[Path], *, shallow: Sequence[Path] = (), exclude: Iterable[Path] = ()
) -> Scan:
    """Scan `paths` (files, dirs or links) like `du -s -B1 paths...`. Missing paths count zero.

    `shallow` paths count as their own entry only (a folder whose contents are other paths), so a
    tree can be cut into pieces that add up to the whole. `exclude` names directories to leave out
    of the walk (our own quarantine folder, say).
    """
    tops = (*paths, *shallow)
    n_deep = len(paths)
    walk = _Walk(frozenset(os.fspath(p) for p in exclude), _same_ino_devices())
    part = _Partial()
    units: list[_Unit] = []
    by_dir: dict[str, list[tuple[str, int]]] = {}
    for i, top in enumerate(tops):
        directory, name = os.path.split(os.fspath(top))
        by_dir.setdefault(directory, []).append((name, i))
    for directory, entries in by_dir.items():
        if len(entries) <= _FEW_TOPS:
            for name, i in entries:
                _list(i, os.path.join(directory, name), units, part, walk, deep=i < n_deep)
            continue
        # Many paths in one folder (stale files in deps/): workers stat them, in chunks.
        kinds = _kinds(directory)
        plain = [(n, i) for n, i in entries if i >= n_deep or not kinds.get(n, False)]
        for name, i in entries:
            if i < n_deep and kinds.get(name, False):
                _list(i, os.path.join(directory, name), units, part, walk, deep=True)
        for k in range(0, len(plain), _CHUNK):
            chunk = plain[k : k + _CHUNK]
            units.append((directory, [n for n, _ in chunk], [i for _, i in chunk], False))
    if _WORKERS > 1 and _worth_forking(units):
        partials = _run_parallel(units, walk)
    else:
        partials = [_walk_units(units, walk)]
    partials.append(part)
    return _merge(tops, partials)


# (directory, names in it to stat, the top each name counts for, walk below those that are dirs)
_Unit = tuple[str, list[str], "int | list[int]", bool]


@dataclass(frozen=True)
class _Walk:
    excluded: frozenset[str]  # folders left out
    same_ino: frozenset[int]  # devices whose listings give the inode number stat would


# File systems whose directory entries carry the inode number that stat reports (d_ino == st_ino;
# overlayfs, for one, does not promise it). There, a second link of an inode already stat'ed is
# known from the listing alone, and needs no stat.
_SAME_INO_FS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "f2fs"})


def _same_ino_devices() -> frozenset[int]:
    """Devices mounted with one of `_SAME_INO_FS`, from /proc/self/mountinfo (none if absent)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mounts:
            lines = mounts.read().splitlines()
    except OSError:
        return frozenset()
    devices = set()
    for line in lines:
        fields = line.split()
        try:
            fstype = fields[fields.index("-") + 1]
            major, minor = fields[2].split(":")
        except (ValueError, IndexError):
            continue
        if fstype in _SAME_INO_FS:
            devices.add(os.makedev(int(major), int(minor)))
    return frozenset(devices)


_CHUNK = 256
_SUBTREE_CHUNK = 4
_FEW_TOPS = 8
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
# Opening a long path a piece at a time: each piece stays well under PATH_MAX.
_PIECE = 2048
# The walk holds one fd per level of the folder it is in; deeper than this, it lets the
# shallowest go and opens them again (relative to a kept one) when it climbs back.
_MAX_OPEN_DIRS = 64


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _open_dir(path: str) -> int:
    """An fd on the directory `path` (a link there is not followed), however long the path is.

    Past PATH_MAX the path is opened a piece at a time, each relative to the one before, like `du`.
    """
    try:
        return os.open(path, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
    rest = os.fsencode(path)
    fd: int | None = None
    try:
        while len(rest) > _PIECE:
            cut = rest.rfind(b"/", 1, _PIECE)
            if cut <= 0:  # one name longer than a piece: the system said it is too long
                raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), path)
            head, rest = rest[:cut], rest[cut + 1 :].lstrip(b"/")
            # the middle of a path is resolved as the kernel would: links there are followed
            flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
            inner = os.open(head, flags, dir_fd=fd)
            if fd is not None:
                os.close(fd)
            fd = inner
        return os.open(rest, _DIR_FLAGS, dir_fd=fd)
    finally:
        if fd is not None:
            os.close(fd)


def _lstat(path: str) -> os.stat_result:
    """`os.lstat`, also for a path longer than PATH_MAX."""
    try:
        return os.lstat(path)
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
    directory, name = os.path.split(path)
    dir_fd = _open_dir(directory)
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    finally:
        os.close(dir_fd)


def _listing(directory: str) -> list[tuple[str, bool]]:
    """(name, is a real directory) of each entry, from one listing (no stat)."""
    dir_fd = _open_dir(directory)
    try:
        with os.scandir(dir_fd) as entries:
            return [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    finally:
        os.close(dir_fd)


def _kinds(directory: str) -> dict[str, bool]:
    """name -> is a real directory, from one listing (no stat)."""
    try:
        return dict(_listing(directory))
    except OSError:
        return {}


def _worth_forking(units: Sequence[_Unit]) -> bool:
    names = sum(len(u[1]) for u in units)
    subtrees = sum(len(u[1]) for u in units if u[3])
    return names >= _PARALLEL_MIN_UNITS or subtrees >= _PARALLEL_MIN_SUBTREES


def _list(
    top: int, path: str, units: list[_Unit], part: _Partial, walk: _Walk, *, deep: bool
) -> None:
    """List the first levels here, so that workers get many small, even pieces of work.

    This process lists the top folders, breadth first, until there are `_TARGET_SUBTREES` folders
    to share out (listing is cheap); every `lstat` and everything deeper is left to the workers, in
    chunks of names of one directory.
    """
    try:
        st = _lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        part.errors.append((path, _why(exc)))
        return
    part.record(top, st)
    if os.path.basename(path) == GIT:
        part.repos.append(os.path.dirname(path))
    if not deep or not stat.S_ISDIR(st.st_mode) or path in walk.excluded:
        return
    # Breadth first, until there are enough subtrees to share out evenly (or the tree ends).
    frontier: deque[tuple[str, int]] = deque([(path, 1)])
    while frontier:
        directory, depth = frontier.popleft()
        try:
            listed = _listing(directory)
        except OSError as exc:
            part.errors.append((directory, _why(exc)))
            continue
        files: list[str] = []
        subdirs: list[str] = []
        for name, is_dir in listed:
            if name == GIT:
                part.repos.append(directory)
            if not is_dir:
                files.append(name)
            elif os.path.join(directory, name) not in walk.excluded:
                subdirs.append(name)
        expand = depth < _MAX_LIST_DEPTH and len(frontier) + len(subdirs) <= _TARGET_SUBTREES
        if expand:
            frontier.extend((os.path.join(directory, d), depth + 1) for d in subdirs)
            files += subdirs  # their own entry is counted by a worker; the parent lists them
        else:
            # Each of these may be a whole subtree: hand them out in small chunks.
            for i in range(0, len(subdirs), _SUBTREE_CHUNK):
                units.append((directory, subdirs[i : i + _SUBTREE_CHUNK], top, True))
        for i in range(0, len(files), _CHUNK):
            units.append((directory, files[i : i + _CHUNK], top, False))


def _walk_units(units: Sequence[_Unit], walk: _Walk, part: _Partial | None = None) -> _Partial:
    if part is None:
        part = _Partial()
    for directory, names, tops, recurse in units:
        if isinstance(tops, int):
            _Walker(part, tops, walk).names(directory, names, recurse)
        else:  # one top per name: many planned files in one folder
            _stat_each(part, directory, names, tops)
    return part


def _stat_each(part: _Partial, directory: str, names: list[str], tops: list[int]) -> None:
    try:
        dir_fd = _open_dir(directory)
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            part.errors.append((directory, _why(exc)))
        return
    try:
        for name, top in zip(names, tops, strict=True):
            if name == GIT:
                part.repos.append(directory)
            try:
                part.record(top, os.stat(name, dir_fd=dir_fd, follow_symlinks=False))
            except FileNotFoundError:
                continue
            except OSError as exc:
                part.errors.append((os.path.join(directory, name), _why(exc)))
    finally:
        os.close(dir_fd)


class _Frame:
    """A folder of the walk whose subfolders are still to visit."""

    __slots__ = ("fd", "name", "path", "todo")

    def __init__(self, fd: int, name: str, path: str, todo: list[tuple[str, int]]) -> None:
        self.fd = fd  # -1 while let go (see _MAX_OPEN_DIRS)
        self.name = name  # relative to the frame below it
        self.path = path  # for messages and `exclude` only: never handed to the system
        self.todo = todo  # (name, device) of the subfolders left


class _Walker:
    """Counts into local variables: the loop in `_count` is the hot path, run once per entry.

    Every directory is opened relative to its parent's fd and every entry is stat'ed relative to
    its directory's fd, as `du` does, so no path handed to the system grows with the depth.
    """

    def __init__(self, part: _Partial, top: int, walk: _Walk) -> None:
        self.part = part
        self.top = top
        self.excluded = walk.excluded
        self.same_ino = walk.same_ino
        self.bytes = 0
        self.files = 0
        self.newest = 0.0

    def names(self, directory: str, names: list[str], recurse: bool) -> None:
        part = self.part
        link = part.link
        top = self.top
        nbytes = files = 0
        newest = 0.0
        below: list[tuple[str, int]] = []
        try:
            dir_fd = _open_dir(directory)
        except FileNotFoundError:
            return
        except OSError as exc:
            part.errors.append((directory, _why(exc)))
            return
        try:
            for name in names:
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    part.errors.append((os.path.join(directory, name), _why(exc)))
                    continue
                if st.st_mtime > newest:  # noqa: PLR1730 (hot loop: no call)
                    newest = st.st_mtime
                if name == GIT:
                    part.repos.append(directory)
                if stat.S_ISDIR(st.st_mode):
                    nbytes += st.st_blocks * BLOCK
                    if recurse:
                        below.append((name, st.st_dev))
                    continue
                files += 1
                if st.st_nlink > 1:
                    nbytes += link(top, st)
                else:
                    nbytes += st.st_blocks * BLOCK
            self._add(nbytes, files, newest)
            for name, dev in below:
                self.tree(dir_fd, name, os.path.join(directory, name), dev)
        finally:
            os.close(dir_fd)
        self._flush()

    def tree(self, parent_fd: int, name: str, path: str, dev: int) -> None:
        """Everything below directory `name` of `parent_fd` (on device `dev`), whose own entry is
        already counted."""
        fd = self._open(parent_fd, name, path)
        if fd < 0:
            return
        todo = self._count(fd, path, dev)
        if not todo:
            os.close(fd)
            return
        stack = [_Frame(fd, name, path, todo)]
        open_from = 0  # frames below this index have let their fd go
        try:
            while stack:
                frame = stack[-1]
                if not frame.todo:
                    if frame.fd >= 0:
                        os.close(frame.fd)
                    stack.pop()
                    continue
                child, dev = frame.todo.pop()
                child_path = f"{frame.path}/{child}"
                if frame.fd < 0:
                    try:
                        open_from = self._reopen(parent_fd, stack)
                    except OSError as exc:  # moved or removed meanwhile: what is left is lost
                        self.part.errors.append((frame.path, _why(exc)))
                        for f in stack:
                            f.todo = [] if f.fd < 0 else f.todo
                        open_from = next((i for i, f in enumerate(stack) if f.fd >= 0), len(stack))
                        continue
                fd = self._open(frame.fd, child, child_path)
                if fd < 0:
                    continue
                todo = self._count(fd, child_path, dev)
                if not todo:
                    os.close(fd)
                    continue
                stack.append(_Frame(fd, child, child_path, todo))
                if len(stack) - open_from > _MAX_OPEN_DIRS:
                    os.close(stack[open_from].fd)
                    stack[open_from].fd = -1
                    open_from += 1
        finally:
            for frame in stack:
                if frame.fd >= 0:
                    os.close(frame.fd)

    def _reopen(self, parent_fd: int, stack: list[_Frame]) -> int:
        """Open every frame again from `parent_fd` (all have let go when the top one has); the
        deepest `_MAX_OPEN_DIRS` keep their fd. Returns the index of the first that holds one."""
        keep_from = max(0, len(stack) - _MAX_OPEN_DIRS)
        fd = parent_fd
        try:
            for i, frame in enumerate(stack):
                inner = os.open(frame.name, _DIR_FLAGS, dir_fd=fd)
                if 0 < i <= keep_from:  # the one before was only a step on the way
                    os.close(fd)
                fd = inner
                if i >= keep_from:
                    frame.fd = inner
        except OSError:
            if fd != parent_fd and all(f.fd != fd for f in stack):
                os.close(fd)
            raise
        return keep_from

    def _open(self, parent_fd: int, name: str, path: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except FileNotFoundError:
            return -1
        except OSError as exc:
            self.part.errors.append((path, _why(exc)))
            return -1

    def _count(self, dir_fd: int, path: str, dev: int) -> list[tuple[str, int]]:
        """Count the entries of one directory; returns its subdirectories to walk."""
        part, excluded, top = self.part, self.excluded, self.top
        link, again = part.link, part.again
        isdir = stat.S_ISDIR
        nbytes = files = 0
        newest = self.newest
        subdirs: list[tuple[str, int]] = []
        # Inodes of this device with links still to find, when the listing's inode numbers are
        # stat's: a name whose inode is among them is another link, known without a stat.
        pend = part.pending.get(dev) if dev in self.same_ino else None
        try:
            # scandir over an fd makes each entry's stat an fstatat() relative to it, like du.
            with os.scandir(dir_fd) as entries:
                for entry in entries:
                    if entry.name == GIT:  # another repository: the planner splits around it
                        part.repos.append(path)
                    if pend and (state := pend.get(ino := entry.inode())) is not None:
                        files += 1
                        if state[4] > newest:  # noqa: PLR1730 (hot loop: no call)
                            newest = state[4]
                        nbytes += again(pend, ino, state, top)
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    except OSError as exc:
                        part.errors.append((f"{path}/{entry.name}", _why(exc)))
                        continue
                    if st.st_mtime > newest:  # noqa: PLR1730 (hot loop: no call)
                        newest = st.st_mtime
                    if isdir(st.st_mode):
                        if not excluded or f"{path}/{entry.name}" not in excluded:
                            nbytes += st.st_blocks * BLOCK
                            subdirs.append((entry.name, st.st_dev))
                        continue
                    files += 1
                    if st.st_nlink > 1:
                        nbytes += link(top, st)
                        if pend is None and dev in self.same_ino:
                            pend = part.pending.get(dev)
                    else:
                        nbytes += st.st_blocks * BLOCK
        except OSError as exc:
            part.errors.append((path, _why(exc)))
        self.bytes += nbytes
        self.files += files
        self.newest = newest
        return subdirs

    def _add(self, nbytes: int, files: int, newest: float) -> None:
        self.bytes += nbytes
        self.files += files
        self.newest = max(self.newest, newest)

    def _flush(self) -> None:
        own = self.part.own.get(self.top)
        if own is None:
            own = self.part.own[self.top] = [0, 0, 0.0]
        own[0] += self.bytes
        own[1] += self.files
        own[2] = max(own[2], self.newest)
        self.bytes = self.files = 0
        self.newest = 0.0


# Batch numbers go through a pipe as 4 bytes each: this many fit in the smallest pipe (one page).
_MAX_BATCHES = 1024


def _run_parallel(units: list[_Unit], walk: _Walk) -> list[_Partial]:
    """Fork workers; each process takes the next batch of units when it is free, from a pipe that
    holds the batch numbers, so one slowed down by other load takes fewer. Workers send their
    partial back over a pipe of their own."""
    n = min(len(units), _MAX_BATCHES)
    batches = [units[b * len(units) // n : (b + 1) * len(units) // n] for b in range(n)]
    queue_r, queue_w = os.pipe()
    try:
        os.write(queue_w, b"".join(b.to_bytes(4, "little") for b in range(n)))
    finally:
        os.close(queue_w)
    children: list[tuple[int, int]] = []
    try:
        for _ in range(1, _WORKERS):
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # worker: no cleanup handlers, no buffered output of the parent
                os.close(read_fd)
                code = 0
                try:
                    part = _walk_queue(batches, queue_r, walk)
                    data = pickle.dumps(part, protocol=5)
                    with os.fdopen(write_fd, "wb") as out:
                        out.write(data)
                except BaseException:
                    code = 1
                os._exit(code)
            os.close(write_fd)
            children.append((pid, read_fd))
        partials = [_walk_queue(batches, queue_r, walk)]
    finally:
        os.close(queue_r)
    for pid, read_fd in children:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status == 0 and data:
            partials.append(pickle.loads(data))
    # A worker that died (killed, out of memory) sent nothing: walk here what nobody reported.
    done = {b for part in partials for b in part.batches}
    missed = [u for b, batch in enumerate(batches) if b not in done for u in batch]
    if missed:
        partials.append(_walk_units(missed, walk))
    return partials


def _walk_queue(batches: list[list[_Unit]], queue_fd: int, walk: _Walk) -> _Partial:
    part = _Partial()
    while len(taken := os.read(queue_fd, 4)) == 4:
        b = int.from_bytes(taken, "little")
        part.batches.append(b)
        _walk_units(batches[b], walk, part)
    return part


def _merge(tops: tuple[Path, ...], partials: list[_Partial]) -> Scan:
    own: list[list[float]] = [[0, 0, 0.0] for _ in tops]
    groups: dict[_Signature, int] = {}
    pending: dict[int, dict[int, _Pending]] = {}
    errors: list[tuple[str, str]] = []
    repos = sorted({Path(r) for part in partials for r in part.repos})
    for part in partials:
        errors.extend(part.errors)
        for top, (nbytes, files, newest) in part.own.items():
            own[top][0] += nbytes
            own[top][1] += files
            own[top][2] = max(own[top][2], newest)
        for sig, nbytes in part.groups.items():
            groups[sig] = groups.get(sig, 0) + nbytes
        for dev, states in part.pending.items():
            mine_of_dev = pending.get(dev)
            if mine_of_dev is None:
                pending[dev] = states
                continue
            for ino, state in states.items():
                mine = mine_of_dev.get(ino)
                if mine is None:
                    mine_of_dev[ino] = state
                    continue
                seen = state[3]
                for top, count in ((seen, state[2]),) if isinstance(seen, int) else seen.items():
                    mine[2] += count
                    if mine[3] != top:  # not the one top seen so far
                        _add_top(mine, top, count)
    # Inodes still pending had links in several processes, or some outside the scanned paths.
    outside: list[int] = [0] * len(tops)
    for nbytes, nlink, seen_total, seen, _ in (s for d in pending.values() for s in d.values()):
        if isinstance(seen, int):
            if seen_total >= nlink:
                own[seen][0] += nbytes
            else:  # never freed: a link stays elsewhere
                outside[seen] += nbytes
            continue
        if seen_total >= nlink:
            sig = _signature([nbytes, nlink, seen_total, seen, 0.0])
            groups[sig] = groups.get(sig, 0) + nbytes
        else:
            outside[min(seen)] += nbytes
    usage = {
        top: Usage(int(o[0]) + extra, int(o[1]), o[2])
        for top, o, extra in zip(tops, own, outside, strict=True)
    }
    # Like du with several arguments: a multi-link inode belongs to the first path holding it.
    for sig, nbytes in groups.items():
        usage[tops[sig[1][0][0]]].bytes += nbytes
    return Scan(
        paths=tops,
        usage=usage,
        _groups=groups,
        _own_bytes=tuple(int(o[0]) for o in own),
        errors=tuple(errors),
        repos=tuple(repos),
    )
