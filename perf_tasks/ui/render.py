"""The one renderer: any command's result, as JSON (its `as_json()`) or as text (its view).

Each view module registers a text renderer per result type with `@renders(Type)`; `render` picks
it by the result's type (its class, then its bases). With `--json` the document goes to stdout and
the human lines a view registers `beside_json` go to stderr, before or after it. Views are imported
when a result of their package is first rendered, so loading the tasks stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

from perf_tasks.ui.output import Output


class Result(Protocol):
    """What every command returns: its exit code and its JSON document."""

    @property
    def exit_code(self) -> int: ...

    def as_json(self) -> Any: ...


R = TypeVar("R")
Renderer = Callable[[Output, Any], None]


@dataclass(frozen=True)
class _View:
    text: Renderer | None = None
    before_json: Renderer | None = None
    after_json: Renderer | None = None


_VIEWS: dict[type, _View] = {}
# The view module of each library package's results, loaded on first use.
VIEW_MODULES = {
    "perf_tasks.measure": "perf_tasks.ui.baseline",
    "perf_tasks.ab": "perf_tasks.ui.baseline.ab",
    "perf_tasks.gates": "perf_tasks.ui.gate_view",
    "perf_tasks.monitor": "perf_tasks.ui.gate_view",
    "perf_tasks.verify": "perf_tasks.ui.verify_view",
    "perf_tasks.runners": "perf_tasks.ui.runners_view",
    "perf_tasks.profiles": "perf_tasks.ui.profiles_view",
    "perf_tasks.ci": "perf_tasks.ui.ci_view",
    "perf_tasks.shards": "perf_tasks.ui.shards_view",
    "perf_tasks.clean": "perf_tasks.ui.clean_view",
    "perf_tasks.starter": "perf_tasks.ui.starter_view",
    "perf_tasks.testsuite": "perf_tasks.ui.testsuite_view",
    "perf_tasks.testorder": "perf_tasks.ui.testorder_view",
    "perf_tasks.experiments": "perf_tasks.ui.experiments_view",
    "perf_tasks.doctor": "perf_tasks.ui.doctor_view",
}


def renders(
    kind: type[R], *, beside_json: Literal["before", "after"] | None = None
) -> Callable[[Callable[[Output, R], None]], Callable[[Output, R], None]]:
    """Register the text of `kind` or, with `beside_json`, the human lines that go with its JSON."""

    def register(fn: Callable[[Output, R], None]) -> Callable[[Output, R], None]:
        part = {"before": "before_json", "after": "after_json", None: "text"}[beside_json]
        _VIEWS[kind] = replace(_VIEWS.get(kind, _View()), **{part: fn})
        return fn

    return register


def render(out: Output, result: Result) -> None:
    """The result as `out` asks: its JSON (and the lines beside it), or its text."""
    view = view_of(type(result))
    if not out.json:
        if view.text is None:
            raise LookupError(f"no text renderer for {type(result).__qualname__}")
        view.text(out, result)
        return
    if view.before_json is not None:
        view.before_json(out, result)
    out.emit_json(result.as_json())
    if view.after_json is not None:
        view.after_json(out, result)


def view_of(kind: type) -> _View:
    for cls in kind.__mro__:
        for package, module in VIEW_MODULES.items():
            if cls.__module__.startswith(package + "."):
                importlib.import_module(module)
        if cls in _VIEWS:
            return _VIEWS[cls]
    raise LookupError(f"no view for {kind.__qualname__}")
