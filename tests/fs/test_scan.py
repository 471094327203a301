"""The scanner counts what `du` counts, and `freed` counts a file only when its last link goes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import du
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perf_tasks.fs import scan as scan_mod
from perf_tasks.fs.scan import scan


def make_tree(root: Path, files: int, *, size: int = 3000) -> list[Path]:
    made = []
    for i in range(files):
        d = root / f"d{i % 7}" / f"e{i % 3}"
        d.mkdir(parents=True, exist_ok=True)
        f = d / f"f{i}"
        f.write_bytes(b"x" * ((i * 131) % size))
        made.append(f)
    return made


def test_matches_du_with_hard_links_and_symlinks(tmp_path: Path) -> None:
    files = make_tree(tmp_path / "t", 300)
    for f in files[::10]:
        os.link(f, f.with_name(f.name + ".link"))
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "big").write_bytes(b"y" * 100_000)
    (tmp_path / "t" / "to-outside").symlink_to(tmp_path / "outside")
    result = scan([tmp_path / "t"])
    assert result.of(tmp_path / "t").bytes == du(tmp_path / "t")
    # 300 files, 30 extra names for the links, 1 symlink
    assert result.of(tmp_path / "t").files == 331


def test_several_paths_count_a_shared_inode_once_like_du(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_bytes(b"z" * 50_000)
    os.link(a / "f", b / "f")
    result = scan([a, b])
    assert result.total().bytes == du(a, b)
    assert result.of(a).bytes > result.of(b).bytes  # the first path holding it gets the inode


def test_freed_counts_a_file_only_when_its_last_link_goes(tmp_path: Path) -> None:
    deps, uplifted = tmp_path / "deps", tmp_path / "bin"
    deps.mkdir()
    (deps / "app-1234").write_bytes(b"b" * 200_000)
    os.link(deps / "app-1234", uplifted)
    result = scan([deps, uplifted])
    blocks = os.lstat(uplifted).st_blocks * 512
    assert result.freed([deps]) == result.of(deps).bytes - blocks
    assert result.freed([deps, uplifted]) == result.total().bytes


def test_shallow_paths_cut_a_tree_into_pieces_that_add_up(tmp_path: Path) -> None:
    make_tree(tmp_path / "t", 50)
    top = tmp_path / "t"
    pieces = sorted(top.iterdir())
    result = scan(pieces, shallow=[top])
    assert result.total().bytes == du(top)


def test_missing_paths_count_zero_and_newest_mtime_is_inside(tmp_path: Path) -> None:
    files = make_tree(tmp_path / "run", 5)
    os.utime(files[2], (2_000_000_000, 2_000_000_000))
    result = scan([tmp_path / "run", tmp_path / "nope"])
    assert result.of(tmp_path / "nope").bytes == 0
    assert result.of(tmp_path / "run").newest_mtime == 2_000_000_000


def test_parallel_walk_gives_the_same_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = make_tree(tmp_path / "t", 3000, size=600)
    for f in files[::7]:
        os.link(f, f.with_name(f.name + ".l"))
    monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 10**9)
    monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_SUBTREES", 10**9)
    serial = scan([tmp_path / "t"])
    monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 1)
    monkeypatch.setattr(scan_mod, "_WORKERS", 2)
    parallel = scan([tmp_path / "t"])
    assert serial.of(tmp_path / "t") == parallel.of(tmp_path / "t")
    assert parallel.of(tmp_path / "t").bytes == du(tmp_path / "t")


def test_many_paths_in_one_folder(tmp_path: Path) -> None:
    files = make_tree(tmp_path / "t", 40)
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, f in enumerate(files):
        os.link(f, flat / f"n{i}")
    chosen = sorted(flat.iterdir())[:30]
    result = scan(chosen)
    assert result.total().bytes == du(*chosen)
    assert result.freed(chosen) == 0  # every one of them still has its other link


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=25),
    links=st.lists(st.tuples(st.integers(0, 24), st.integers(0, 3)), max_size=10),
)
def test_property_equals_du(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], links: list[tuple[int, int]]
) -> None:
    root = tmp_path_factory.mktemp("p")
    folders = [root / f"g{i}" for i in range(4)]
    for d in folders:
        d.mkdir()
    files = []
    for i, size in enumerate(sizes):
        f = folders[i % 4] / f"f{i}"
        f.write_bytes(b"q" * size)
        files.append(f)
    for n, (src, dst) in enumerate(links):
        if src < len(files):
            os.link(files[src], folders[dst] / f"link{n}")
    result = scan(folders)
    assert result.total().bytes == du(*folders)
    assert result.freed(folders) == result.total().bytes


def brute_freed(tops: list[Path], chosen: set[Path]) -> int:
    """Bytes of the inodes under `tops` whose every link is under `chosen`, each counted once."""
    seen: dict[tuple[int, int], list[Path]] = {}
    facts: dict[tuple[int, int], tuple[int, int]] = {}
    for top in tops:
        paths = [top]
        for dirpath, dirnames, filenames in os.walk(top):
            paths += [Path(dirpath, name) for name in [*dirnames, *filenames]]
        for path in paths:
            st = os.lstat(path)
            seen.setdefault((st.st_dev, st.st_ino), []).append(top)
            # a folder has one name, whatever its link count says
            nlink = 1 if path.is_dir() and not path.is_symlink() else st.st_nlink
            facts[(st.st_dev, st.st_ino)] = (st.st_blocks * 512, nlink)
    freed = 0
    for key, holders in seen.items():
        nbytes, nlink = facts[key]
        if sum(1 for t in holders if t in chosen) >= nlink:
            freed += nbytes
    return freed


@pytest.mark.parametrize("listing_inodes", [True, False])
@pytest.mark.parametrize("parallel", [False, True])
def test_links_across_paths_and_workers_free_only_with_all_their_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool, listing_inodes: bool
) -> None:
    if not listing_inodes:  # as on a file system whose listings may not give stat's inode numbers
        monkeypatch.setattr(scan_mod, "_same_ino_devices", frozenset)
    elif os.stat(tmp_path).st_dev not in scan_mod._same_ino_devices():
        pytest.skip("the temporary folder is not on a file system known to list stat's inodes")
    tops = [tmp_path / f"top{i}" for i in range(5)]
    files = []
    for i, top in enumerate(tops):
        files += make_tree(top, 400 + 50 * i, size=5000)
    # links inside one path, across two, across three, and one to a file outside every path
    outside = tmp_path / "outside"
    outside.mkdir()
    for n, f in enumerate(files[::3]):
        target_top = tops[(n * 7) % 5]
        os.link(f, target_top / f"x{n}")
        if n % 4 == 0:
            os.link(f, tops[(n * 3 + 1) % 5] / f"y{n}")
        if n % 11 == 0:
            os.link(f, outside / f"z{n}")
    if parallel:
        monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 1)
        monkeypatch.setattr(scan_mod, "_WORKERS", 2)
        monkeypatch.setattr(scan_mod, "_CHUNK", 16)  # the links of one inode land in both workers
    else:
        monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 10**9)
        monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_SUBTREES", 10**9)
    result = scan(tops)
    assert result.total().bytes == du(*tops)
    for i in range(5):  # each path gets what du gives it after the paths before it
        assert result.of(tops[i]).bytes == du(*tops[: i + 1]) - du(*tops[:i]) if i else du(tops[0])
    for chosen in ([tops[0]], tops[:2], [tops[1], tops[3]], tops[1:], tops):
        assert result.freed(chosen) == brute_freed(tops, set(chosen)), chosen


def test_the_share_of_a_worker_that_dies_is_walked_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = make_tree(tmp_path / "t", 2500, size=600)
    for f in files[::5]:
        os.link(f, f.with_name(f.name + ".l"))
    parent = os.getpid()
    dumps = scan_mod.pickle.dumps

    def dies_in_a_worker(obj: object, protocol: int | None = None) -> bytes:
        if os.getpid() != parent:
            raise MemoryError
        return dumps(obj, protocol=protocol)

    monkeypatch.setattr(scan_mod.pickle, "dumps", dies_in_a_worker)
    monkeypatch.setattr(scan_mod, "_PARALLEL_MIN_UNITS", 1)
    monkeypatch.setattr(scan_mod, "_WORKERS", 2)
    result = scan([tmp_path / "t"])
    assert result.of(tmp_path / "t").bytes == du(tmp_path / "t")
    assert result.freed([tmp_path / "t"]) == du(tmp_path / "t")
