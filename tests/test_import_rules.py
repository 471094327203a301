"""The layout's import rules (docs/architecture.md), checked on every module, imports inside
functions and relative imports included: only `tasks/` and `ui/` import `clean/` (so `cargo/`,
`fs/` and `measure/` never do); only `tasks/`, `ui/` and the program import invoke or rich; and no
two modules import each other, however indirectly."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "perf_tasks"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = (package.name, *path.relative_to(package).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: Path = PACKAGE) -> set[str]:
    """Every module name `path` imports, anywhere in it but under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path, package).split(".")
    if path.name != "__init__.py":
        here = here[:-1]  # the package a relative import starts from
    found: set[str] = set()
    for node in _run_time_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _run_time_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node, but the body of `if TYPE_CHECKING:` (annotations only, never imported)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and ast.unparse(child.test).endswith("TYPE_CHECKING"):
            for rest in child.orelse:
                yield from _run_time_nodes(rest)
            continue
        yield from _run_time_nodes(child)


def where(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                top = stack.pop()
                group.add(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    paths = sorted(package.rglob("*.py"))
    names = {module_name(p, package) for p in paths}
    return {
        module_name(p, package): (imports_of(p, package) & names) - {module_name(p, package)}
        for p in paths
    }


@pytest.mark.parametrize("path", MODULES, ids=where)
def test_only_tasks_and_ui_import_clean(path: Path) -> None:
    if where(path).startswith(("clean/", "tasks/", "ui/")):
        return
    bad = sorted(m for m in imports_of(path) if m.startswith("perf_tasks.clean"))
    assert not bad, f"{where(path)} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=where)
def test_only_the_edge_imports_invoke_or_rich(path: Path) -> None:
    if where(path).startswith(("tasks/", "ui/")) or where(path) == "program.py":
        return
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in ("invoke", "rich"))
    assert not bad, f"{where(path)} imports {bad}"


def test_no_modules_import_each_other() -> None:
    assert cycles(import_graph()) == []


def test_the_rules_see_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    package = tmp_path / "perf_tasks"
    module = package / "measure" / "m.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..clean import plan\n"
        "from . import record\n"
        "if TYPE_CHECKING:\n    from perf_tasks.gates import check\n"
        "def f():\n    from perf_tasks.clean.safety import Guard\n    import rich\n"
    )
    found = imports_of(module, package)
    assert {
        "perf_tasks.clean",
        "perf_tasks.clean.plan",
        "perf_tasks.measure.record",
        "perf_tasks.clean.safety",
        "rich",
    } <= found
    assert not any(m.startswith("perf_tasks.gates") for m in found), "annotations only"


def test_a_cycle_through_a_third_module_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]


TASKS = sorted((PACKAGE / "tasks").glob("*.py"))


def private_task_imports(source: str) -> list[str]:
    """The private names a module imports from a task module (relative imports included)."""
    return [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and ((node.module or "").startswith("perf_tasks.tasks") or node.level)
        for alias in node.names
        if alias.name.startswith("_")
    ]


@pytest.mark.parametrize("path", TASKS, ids=where)
def test_a_task_module_never_imports_another_ones_private_names(path: Path) -> None:
    """The edge (`tasks/_edge.py`) is shared by name; nothing private of another task module is."""
    bad = private_task_imports(path.read_text(encoding="utf-8"))
    assert not bad, f"{where(path)} imports {bad}"


def _is_task(node: ast.FunctionDef) -> bool:
    def name(d: ast.expr) -> str:
        return ast.unparse(d.func if isinstance(d, ast.Call) else d)

    return any(name(d) in ("task", "invoke.task") for d in node.decorator_list)


def _body_lines(node: ast.FunctionDef) -> int:
    """The lines of a function's body, its docstring left out."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return 0
    return int(node.end_lineno or 0) - body[0].lineno + 1


def task_sizes(source: str) -> list[tuple[str, int, int]]:
    """Each function over its limit: (name, lines, limit). A task's body (the flags resolved and
    one call) is at most 20 lines; any other function of a task module, at most 30 in all."""
    over = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        if _is_task(node):
            size, limit = _body_lines(node), 20
        else:
            size, limit = int(node.end_lineno or 0) - node.lineno + 1, 30
        if size > limit:
            over.append((node.name, size, limit))
    return over


@pytest.mark.parametrize("path", TASKS, ids=where)
def test_task_bodies_stay_thin(path: Path) -> None:
    assert task_sizes(path.read_text(encoding="utf-8")) == []


def test_the_size_rule_sees_a_long_task_and_a_long_helper() -> None:
    long_task = "@task(help={})\ndef t(c):\n    '''Doc.'''\n" + "    x = 1\n" * 21
    assert task_sizes(long_task) == [("t", 21, 20)]
    assert task_sizes("@task\ndef t(c):\n" + "    x = 1\n" * 20) == []
    helper = "def _h():\n" + "    x = 1\n" * 30
    assert task_sizes(helper) == [("_h", 31, 30)]


def test_the_private_name_rule_sees_a_private_import() -> None:
    source = (
        "from perf_tasks.tasks.baseline import CountingTask, _stoppable\n"
        "def f():\n    from .clean import _clean\n"
        "from perf_tasks.tasks._edge import finish\n"
    )
    assert private_task_imports(source) == ["perf_tasks.tasks.baseline._stoppable", "clean._clean"]
