"""Report.ok: anything that could not be read or removed makes a run not ok, dry or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from perf_tasks.clean.model import Failure, Item, Plan, Report

ITEM = Item(Path("/ws/cache"), 10, 1, "output", "generated output cache (nuke)")


def plan(*, scan_errors: tuple[Failure, ...] = ()) -> Plan:
    return Plan("nuke", Path("/ws"), (ITEM,), (), 10, (), scan_errors=scan_errors)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_folder_that_could_not_be_read_is_not_ok(dry_run: bool) -> None:
    # The same scan error as `Permission denied` on an unreadable folder, which root cannot make.
    denied = plan(scan_errors=(Failure(Path("/ws/cache/private"), "Permission denied"),))
    removed = () if dry_run else (ITEM,)
    assert not Report(denied, dry_run=dry_run, removed=removed).ok


def test_a_dry_run_removes_nothing_and_is_ok() -> None:
    assert Report(plan(), dry_run=True).ok


def test_a_real_run_is_ok_only_when_every_item_went() -> None:
    assert Report(plan(), dry_run=False, removed=(ITEM,)).ok
    assert not Report(plan(), dry_run=False).ok
    failed = (Failure(ITEM.path, "Operation not permitted"),)
    assert not Report(plan(), dry_run=False, removed=(ITEM,), errors=failed).ok
