"""One renderer: a result's view is chosen by its type (its class, then its bases); `--json`
prints the result's `as_json()` on stdout and the lines a view keeps beside it on stderr."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from perf_tasks.ui.output import Output
from perf_tasks.ui.render import render, renders


@dataclass(frozen=True)
class Done:
    value: int
    exit_code = 0

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value}


@dataclass(frozen=True)
class DoneToo(Done):  # no view of its own: its base's
    pass


@dataclass(frozen=True)
class Unknown:
    exit_code = 0

    def as_json(self) -> dict[str, Any]:
        return {}


@renders(Done)
def _text(out: Output, done: Done) -> None:
    out.line(f"value {done.value}")
    _after(out, done)


@renders(Done, beside_json="before")
def _before(out: Output, done: Done) -> None:
    out.line("before")


@renders(Done, beside_json="after")
def _after(out: Output, done: Done) -> None:
    out.line("closing")


def outputs(result: Any, *, json_mode: bool) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    render(Output(json=json_mode, stdout=stdout, stderr=stderr, width=80), result)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("result", [Done(3), DoneToo(3)], ids=["own", "base"])
def test_text_is_the_view_of_the_type(result: Done) -> None:
    assert outputs(result, json_mode=False) == ("value 3\nclosing\n", "")


@pytest.mark.parametrize("result", [Done(3), DoneToo(3)], ids=["own", "base"])
def test_json_is_as_json_alone_on_stdout_and_the_lines_beside_it_on_stderr(result: Done) -> None:
    stdout, stderr = outputs(result, json_mode=True)
    assert json.loads(stdout) == {"value": 3}
    assert stderr == "before\nclosing\n"


def test_a_result_without_a_view_is_our_bug_not_a_silent_nothing() -> None:
    with pytest.raises(LookupError, match="Unknown"):
        outputs(Unknown(), json_mode=False)


def test_every_result_of_the_library_has_a_text_view() -> None:
    """The entry points' results, each rendered by a view of its package (loaded on first use)."""
    from perf_tasks.ab.against import AgainstPlan
    from perf_tasks.ab.engine import Outcome
    from perf_tasks.ci.audit.job import Audited
    from perf_tasks.ci.init import Initialized as CiInitialized
    from perf_tasks.clean.job import Cleaned
    from perf_tasks.gates.job import Checked, Initialized
    from perf_tasks.measure.baseline import Recorded
    from perf_tasks.measure.job import CompareDone, PlannedCompare, PlannedRecord
    from perf_tasks.monitor.run import Monitored
    from perf_tasks.profiles.job import Edited, Shown
    from perf_tasks.runners.recommend import Plan, Report
    from perf_tasks.ui.render import view_of
    from perf_tasks.verify.job import Checked as VerifyChecked
    from perf_tasks.verify.job import Recorded as VerifyRecorded

    kinds = [AgainstPlan, Outcome, CiInitialized, Cleaned, Checked, Initialized, Recorded]
    kinds += [CompareDone, PlannedCompare, PlannedRecord, Monitored, Edited, Shown, Plan, Report]
    kinds += [VerifyChecked, VerifyRecorded, Audited]
    assert [k.__qualname__ for k in kinds if view_of(k).text is None] == []
