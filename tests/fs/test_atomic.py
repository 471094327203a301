"""Atomic writes: a reader sees the old text or the new one, and no temp file is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_tasks.fs.atomic import write_atomic


def test_write_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "performance" / "baseline.json"
    write_atomic(path, "one\n")
    write_atomic(path, "two\n")
    assert path.read_text() == "two\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["baseline.json"]  # no temp file left


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "baseline.json"
    write_atomic(path, "old\n")

    def boom(self: Path, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]
