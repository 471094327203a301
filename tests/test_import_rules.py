"""The layout's import rules (docs/architecture.md), checked on every module, imports inside
functions included: `cargo/`, `fs/` and `measure/` never import `clean/`; only `tasks/`, `ui/` and
the program import invoke or rich."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "perf_tasks"
MODULES = sorted(PACKAGE.rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=where)
def test_lower_layers_never_import_clean(path: Path) -> None:
    if not where(path).startswith(("cargo/", "fs/", "measure/")):
        return
    bad = sorted(m for m in imports_of(path) if m.startswith("perf_tasks.clean"))
    assert not bad, f"{where(path)} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=where)
def test_only_the_edge_imports_invoke_or_rich(path: Path) -> None:
    if where(path).startswith(("tasks/", "ui/")) or where(path) == "program.py":
        return
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in ("invoke", "rich"))
    assert not bad, f"{where(path)} imports {bad}"


def test_the_rules_see_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from perf_tasks.clean import plan\n    import rich\n")
    assert {"perf_tasks.clean", "perf_tasks.clean.plan", "rich"} <= imports_of(module)
