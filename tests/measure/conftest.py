"""Every measure test ends with no process of its own left: nothing it started may outlive it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from measure.processes import wait_none_under


@pytest.fixture(autouse=True)
def _no_process_left(tmp_path: Path) -> Iterator[None]:
    yield
    left = wait_none_under(tmp_path)
    assert not left, f"processes outlived the test: {left}"
