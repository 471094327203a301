"""`nextest.init`: a `ci` profile in the workspace's `.config/nextest.toml`, merged key by key.

No fail-fast (a CI run reports every failure), two retries (a flaky test is reported as flaky, not
as a failure), a slow test is flagged after 60 s and killed after 3 periods, and a JUnit report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perf_tasks.edit import file as edit_file
from perf_tasks.edit import tables

CONFIG = ".config/nextest.toml"
PROFILE = "ci"


def ci_tables(profile: str = PROFILE) -> dict[tables.TablePath, dict[str, Any]]:
    return {
        ("profile", profile): {
            "fail-fast": False,
            "retries": 2,
            "slow-timeout": {"period": "60s", "terminate-after": 3},
        },
        ("profile", profile, "junit"): {"path": "junit.xml"},
    }


def plan(root: Path, profile: str = PROFILE) -> edit_file.Edit:
    before = edit_file.read(root / CONFIG, shown=CONFIG)
    old = before.text or ""
    changes = ci_tables(profile)
    new = tables.set_tables(old, changes, what=CONFIG)
    shown = tuple(f"[{'.'.join(p)}]" for p in changes)
    changed = tuple(
        name for name, p in zip(shown, changes, strict=True) if _text(old, p) != _text(new, p)
    )
    return edit_file.Edit(before, new, shown, changed)


def _text(text: str, path: tables.TablePath) -> str | None:
    return next((c.text for c in tables.chunks(text) if c.path == path), None)
