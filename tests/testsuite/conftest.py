"""The testsuite's workspaces, each a fresh real cargo workspace in git."""

from __future__ import annotations

from pathlib import Path

import pytest
from rust_workspaces import demo, generated


@pytest.fixture
def generated_ws(tmp_path: Path) -> Path:
    return generated(tmp_path / "ws")


@pytest.fixture
def demo_ws(tmp_path: Path) -> Path:
    return demo(tmp_path / "demo")
