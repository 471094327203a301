"""Disk usage the way `du` counts it, for many paths at once.

Sizes are allocated blocks (`st_blocks * 512`), never apparent sizes. A hard-linked inode is counted
once, for the first scanned path that holds it, like `du a b c`. The scan also remembers how many of
each inode's links it saw under each path, so that `freed(paths)` counts a file only when every one
of
its links is among the paths removed.

Symlinks are never followed. The walk runs in two processes when the tree is large: the parent lists
the first levels, and the workers `lstat` and walk the rest, which is where the time goes.
"""

from __future__ import annotations

import os
import pickle
import stat
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 512
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


@dataclass
class _Partial:
    """What one process saw: per top path, bytes of single-link entries; multi-link inodes apart."""

    own: dict[int, list[float]] = field(default_factory=dict)  # top -> [bytes, files, newest]
    # one (dev, ino, bytes, nlink, top) per name of an inode with several links; merged at the end
    links: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

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
        self.links.append((st.st_dev, st.st_ino, st.st_blocks * BLOCK, st.st_nlink, top))


@dataclass(frozen=True)
class Scan:
    """Usage of each scanned path, and what removing any subset of them would free."""

    paths: tuple[Path, ...]
    usage: dict[Path, Usage]
    _multi: dict[tuple[int, int], tuple[int, int, dict[int, int]]]
    _own_bytes: tuple[int, ...]
    errors: tuple[tuple[str, str], ...] = ()
    _index: dict[Path, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p: i for i, p in enumerate(self.paths)})

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
        """Bytes that removing `paths` gives back: a file counts when its last link goes."""
        index = self._index
        chosen = {index[p] for p in paths if p in index}
        freed = sum(self._own_bytes[i] for i in chosen)
        for nbytes, nlink, seen in self._multi.values():
            if sum(n for top, n in seen.items() if top in chosen) >= nlink:
                freed += nbytes
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
    excluded = {os.fspath(p) for p in exclude}
    part = _Partial()
    units: list[_Unit] = []
    by_dir: dict[str, list[tuple[str, int]]] = {}
    for i, top in enumerate(tops):
        directory, name = os.path.split(os.fspath(top))
        by_dir.setdefault(directory, []).append((name, i))
    for directory, entries in by_dir.items():
        if len(entries) <= _FEW_TOPS:
            for name, i in entries:
                _list(i, os.path.join(directory, name), units, part, excluded, deep=i < n_deep)
            continue
        # Many paths in one folder (stale files in deps/): workers stat them, in chunks.
        kinds = _kinds(directory)
        plain = [(n, i) for n, i in entries if i >= n_deep or not kinds.get(n, False)]
        for name, i in entries:
            if i < n_deep and kinds.get(name, False):
                _list(i, os.path.join(directory, name), units, part, excluded, deep=True)
        for k in range(0, len(plain), _CHUNK):
            chunk = plain[k : k + _CHUNK]
            units.append((directory, [n for n, _ in chunk], [i for _, i in chunk], False))
    if _WORKERS > 1 and _worth_forking(units):
        partials = _run_parallel(units, excluded)
    else:
        partials = [_walk_units(units, excluded)]
    partials.append(part)
    return _merge(tops, partials)


# (directory, names in it to stat, the top each name counts for, walk below those that are dirs)
_Unit = tuple[str, list[str], "int | list[int]", bool]
_CHUNK = 256
_SUBTREE_CHUNK = 4
_FEW_TOPS = 8
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _kinds(directory: str) -> dict[str, bool]:
    """name -> is a real directory, from one listing (no stat)."""
    try:
        with os.scandir(directory) as entries:
            return {e.name: e.is_dir(follow_symlinks=False) for e in entries}
    except OSError:
        return {}


def _worth_forking(units: Sequence[_Unit]) -> bool:
    names = sum(len(u[1]) for u in units)
    subtrees = sum(len(u[1]) for u in units if u[3])
    return names >= _PARALLEL_MIN_UNITS or subtrees >= _PARALLEL_MIN_SUBTREES


def _list(
    top: int, path: str, units: list[_Unit], part: _Partial, excluded: set[str], *, deep: bool
) -> None:
    """List the first levels here, so that workers get many small, even pieces of work.

    This process lists the top folders, breadth first, until there are `_TARGET_SUBTREES` folders
    to share out (listing is cheap); every `lstat` and everything deeper is left to the workers, in
    chunks of names of one directory.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        part.errors.append((path, exc.strerror or str(exc)))
        return
    part.record(top, st)
    if not deep or not stat.S_ISDIR(st.st_mode) or path in excluded:
        return
    # Breadth first, until there are enough subtrees to share out evenly (or the tree ends).
    frontier: deque[tuple[str, int]] = deque([(path, 1)])
    while frontier:
        directory, depth = frontier.popleft()
        try:
            with os.scandir(directory) as entries:
                listed = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        except OSError as exc:
            part.errors.append((directory, exc.strerror or str(exc)))
            continue
        files: list[str] = []
        subdirs: list[str] = []
        for name, is_dir in listed:
            if not is_dir:
                files.append(name)
            elif os.path.join(directory, name) not in excluded:
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


def _walk_units(units: Sequence[_Unit], excluded: set[str]) -> _Partial:
    part = _Partial()
    for directory, names, tops, recurse in units:
        if isinstance(tops, int):
            _Walker(part, tops, excluded).names(directory, names, recurse)
        else:  # one top per name: many planned files in one folder
            _stat_each(part, directory, names, tops)
    return part


def _stat_each(part: _Partial, directory: str, names: list[str], tops: list[int]) -> None:
    try:
        dir_fd = os.open(directory, _DIR_FLAGS)
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            part.errors.append((directory, exc.strerror or str(exc)))
        return
    try:
        for name, top in zip(names, tops, strict=True):
            try:
                part.record(top, os.stat(name, dir_fd=dir_fd, follow_symlinks=False))
            except FileNotFoundError:
                continue
            except OSError as exc:
                part.errors.append((os.path.join(directory, name), exc.strerror or str(exc)))
    finally:
        os.close(dir_fd)


class _Walker:
    """Counts into local variables: this loop is the hot path, run once per file."""

    def __init__(self, part: _Partial, top: int, excluded: set[str]) -> None:
        self.part = part
        self.top = top
        self.excluded = excluded

    def names(self, directory: str, names: list[str], recurse: bool) -> None:
        part = self.part
        nbytes = files = 0
        newest = 0.0
        below: list[str] = []
        try:
            dir_fd = os.open(directory, _DIR_FLAGS)
        except FileNotFoundError:
            return
        except OSError as exc:
            part.errors.append((directory, exc.strerror or str(exc)))
            return
        try:
            for name in names:
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    part.errors.append((os.path.join(directory, name), exc.strerror or str(exc)))
                    continue
                newest = max(newest, st.st_mtime)
                if stat.S_ISDIR(st.st_mode):
                    nbytes += st.st_blocks * BLOCK
                    if recurse:
                        below.append(os.path.join(directory, name))
                    continue
                files += 1
                if st.st_nlink > 1:
                    self._multi(st)
                else:
                    nbytes += st.st_blocks * BLOCK
        finally:
            os.close(dir_fd)
        self._add(nbytes, files, newest)
        for child in below:
            self.tree(child)

    def tree(self, root: str) -> None:
        """Everything below `root` (whose own entry is already counted), through directory fds."""
        part, excluded = self.part, self.excluded
        nbytes = files = 0
        newest = 0.0
        isdir = stat.S_ISDIR
        stack = [root]
        while stack:
            current = stack.pop()
            try:
                dir_fd = os.open(current, _DIR_FLAGS)
            except FileNotFoundError:
                continue
            except OSError as exc:
                part.errors.append((current, exc.strerror or str(exc)))
                continue
            try:
                # scandir over an fd makes each entry's stat an fstatat() relative to it, like du.
                with os.scandir(dir_fd) as entries:
                    for entry in entries:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue
                        except OSError as exc:
                            part.errors.append(
                                (os.path.join(current, entry.name), exc.strerror or str(exc))
                            )
                            continue
                        newest = max(newest, st.st_mtime)
                        if isdir(st.st_mode):
                            child = os.path.join(current, entry.name)
                            if child not in excluded:
                                nbytes += st.st_blocks * BLOCK
                                stack.append(child)
                            continue
                        files += 1
                        if st.st_nlink > 1:
                            self._multi(st)
                        else:
                            nbytes += st.st_blocks * BLOCK
            except OSError as exc:
                part.errors.append((current, exc.strerror or str(exc)))
            finally:
                os.close(dir_fd)
        self._add(nbytes, files, newest)

    def _add(self, nbytes: int, files: int, newest: float) -> None:
        own = self.part.own.get(self.top)
        if own is None:
            own = self.part.own[self.top] = [0, 0, 0.0]
        own[0] += nbytes
        own[1] += files
        own[2] = max(own[2], newest)

    def _multi(self, st: os.stat_result) -> None:
        self.part.links.append((st.st_dev, st.st_ino, st.st_blocks * BLOCK, st.st_nlink, self.top))


def _run_parallel(units: list[_Unit], excluded: set[str]) -> list[_Partial]:
    """Fork workers that each take every n-th unit; they send their partial back over a pipe."""
    children: list[tuple[int, int, int]] = []
    for worker in range(1, _WORKERS):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # worker: no cleanup handlers, no buffered output of the parent
            os.close(read_fd)
            code = 0
            try:
                data = pickle.dumps(_walk_units(units[worker::_WORKERS], excluded), protocol=5)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
            except BaseException:
                code = 1
            os._exit(code)
        os.close(write_fd)
        children.append((worker, pid, read_fd))
    partials = [_walk_units(units[0::_WORKERS], excluded)]
    for worker, pid, read_fd in children:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            # The worker died (killed, out of memory): do its share here rather than report less.
            partials.append(_walk_units(units[worker::_WORKERS], excluded))
            continue
        partials.append(pickle.loads(data))
    return partials


def _merge(tops: tuple[Path, ...], partials: list[_Partial]) -> Scan:
    own: list[list[float]] = [[0, 0, 0.0] for _ in tops]
    multi: dict[tuple[int, int], tuple[int, int, dict[int, int]]] = {}
    errors: list[tuple[str, str]] = []
    for part in partials:
        errors.extend(part.errors)
        for top, (nbytes, files, newest) in part.own.items():
            own[top][0] += nbytes
            own[top][1] += files
            own[top][2] = max(own[top][2], newest)
        for dev, ino, nbytes, nlink, top in part.links:
            entry = multi.get((dev, ino))
            if entry is None:
                multi[(dev, ino)] = (nbytes, nlink, {top: 1})
            else:
                entry[2][top] = entry[2].get(top, 0) + 1
    usage = {top: Usage(int(o[0]), int(o[1]), o[2]) for top, o in zip(tops, own, strict=True)}
    # Like du with several arguments: a multi-link inode belongs to the first path holding it.
    for nbytes, _nlink, seen in multi.values():
        first = min(seen)
        usage[tops[first]].bytes += nbytes
    return Scan(
        paths=tops,
        usage=usage,
        _multi=multi,
        _own_bytes=tuple(int(o[0]) for o in own),
        errors=tuple(errors),
    )
