"""No traceback on any damaged workflow: every fixture with each of its lines deleted, or cut
short at each line, is audited and its fix planned (in-process: the library raises nothing);
after the fix, a second one has nothing to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_fixtures import ALL, workspace

from perf_tasks.ci.audit import findings_of, fix, read_sources

SHAPES = ["named", "anchors", "flow", "comments", "matrix", "if_expressions", "realistic"]


def variants(text: str) -> list[str]:
    lines = text.split("\n")
    dropped = ["\n".join(lines[:i] + lines[i + 1 :]) for i in range(len(lines))]
    cut = ["\n".join(lines[:i]) for i in range(1, len(lines))]
    return dropped + cut


@pytest.mark.parametrize("name", SHAPES)
def test_every_damaged_variant_is_audited_without_an_exception(tmp_path: Path, name: str) -> None:
    (path, text), *rest = ALL[name].items()
    root = workspace(tmp_path, dict(rest))
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    for variant in variants(text):
        target.write_text(variant, encoding="utf-8")
        sources = read_sources(root)
        found = findings_of(root, sources)
        planned = fix.plan(sources, found)
        for change in planned.changes:  # a second fix after this one has nothing to do
            change.path.write_text(change.new, encoding="utf-8")
        if planned.changes:
            again = read_sources(root)
            assert fix.plan(again, findings_of(root, again)).changes == (), variant
