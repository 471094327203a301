"""`--json` prints one strict JSON document, whatever the figures hold."""

from __future__ import annotations

import io
import json
import math

from perf_tasks.ui.output import Output


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in --json output: not JSON")


def test_a_figure_that_is_no_number_is_null_never_nan_or_infinity() -> None:
    sink = io.StringIO()
    Output(stdout=sink, width=100).emit_json(
        {"a": math.nan, "b": [math.inf, 1.5, {"c": -math.inf}], "d": (2.0, math.nan), "e": "NaN"}
    )
    data = json.loads(sink.getvalue(), parse_constant=_refuse)
    assert data == {"a": None, "b": [None, 1.5, {"c": None}], "d": [2.0, None], "e": "NaN"}
