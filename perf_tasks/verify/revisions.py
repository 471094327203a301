"""`verify.check --before REF [--after REF]`: the tests of two git revisions, compared.

Each revision is checked out in the workspace's scratch worktrees (`ab.worktree.Scratch`, slots
"before" and "after"), never in the work tree, and built in its own target dir there with the A/B
engine's hermetic environment (`ab.revision_arms.arm_env`). Without `--after` the other side is the
work tree as it is, uncommitted changes included; it too builds in a scratch target dir, so
neither its files nor its `target/` change. The whole run holds the workspace's run lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from perf_tasks.ab import worktree
from perf_tasks.ab.revision_arms import arm_env
from perf_tasks.inspection import inspect
from perf_tasks.runlock import run_lock
from perf_tasks.verify import collect
from perf_tasks.verify.record import Comparison, Record, compare

BEFORE = "before"
AFTER = "after"
WORK_TREE = "the work tree"

# What is being done now ("before: checking out HEAD~1 (abc)") -> None.
OnStep = Callable[[str], None]


@dataclass(frozen=True)
class Side:
    label: str  # "HEAD~1 (0123456789)", or WORK_TREE
    revision: worktree.Revision | None  # None: the work tree


def sides(
    root: Path, before: str, after: str | None, *, env: Mapping[str, str]
) -> tuple[Side, Side]:
    """Both revisions resolved (an unknown one is a ConfigError, before anything runs)."""
    a = worktree.resolve(root, before, env=env)
    b = worktree.resolve(root, after, env=env) if after is not None else None
    return Side(a.label, a), Side(b.label if b else WORK_TREE, b)


def check_revisions(
    root: Path,
    before: str,
    after: str | None,
    *,
    env: Mapping[str, str],
    on_step: OnStep | None = None,
) -> Comparison:
    """Every test of `before` and of `after` (default: the work tree), with their differences."""
    step = on_step or (lambda what: None)
    inspection = inspect(root, env=env)
    collect.require_nextest(inspection)  # before any checkout or build
    tool_env = inspection.env
    a, b = sides(root, before, after, env=tool_env)
    scratch = worktree.Scratch.of(root, tool_env)
    records: list[Record] = []
    with run_lock(root):
        for slot, side in ((BEFORE, a), (AFTER, b)):
            if side.revision is not None:
                step(f"{slot}: checking out {side.label} in {scratch.tree(slot)}")
                tree = scratch.checkout(side.revision, slot)
            else:
                tree = root
            step(f"{slot}: building and running every test of {side.label}")
            records.append(
                collect.collect(inspect(tree, env=arm_env(tool_env, scratch.target(slot))))
            )
    return compare(records[0], records[1], record=None, sides=(a.label, b.label))
