"""A gate report for GitHub Actions: the Markdown table for `$GITHUB_STEP_SUMMARY`, and `::error`
annotations for breaches (at most `cap`, then one line saying how many more). `publish` appends
the table to the job summary; the rest is pure text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from perf_tasks.gates.check import BREACH, GateReport
from perf_tasks.quantities import all_of, plural

ANNOTATION_CAP = 10
_VERDICT = {"pass": "✅ pass", "breach": "❌ breach", "skipped": "⏭ skipped"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(report: GateReport) -> str:
    """Every gate: metric, value, bound, verdict, evidence."""
    lines = [
        "| metric | value | bound | verdict | evidence |",
        "|---|---|---|---|---|",
    ]
    for row in report.rows:
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    f"`{row.gate.metric}`",
                    row.shown,
                    row.gate.bound.text,
                    _VERDICT.get(row.verdict, row.verdict),
                    row.evidence,
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def step_summary(report: GateReport) -> str:
    """The section appended to `$GITHUB_STEP_SUMMARY`."""
    n = len(report.breaches)
    total = len(report.rows)
    head = (
        f"{n} of {plural(total, 'gate')} breached"
        if n
        else f"{all_of(total, 'gate')} {'holds' if total == 1 else 'hold'}"
    )
    base = f"; base: {report.base}" if report.base else ""
    notes = "".join(f"\n> {note}\n" for note in report.notes)
    return (
        f"### Performance gates: {head}\n\n"
        f"Contract `{report.contract}`; measured {report.measured}{base}.\n{notes}\n"
        + markdown_table(report)
        + "\n"
    )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def error_lines(report: GateReport, *, cap: int = ANNOTATION_CAP) -> list[str]:
    """`::error file=…,line=…,title=…::…` per breach, pointing at the contract's row."""
    breaches = [r for r in report.rows if r.verdict == BREACH]
    lines = [
        f"::error file={_property(report.contract)}"
        + (f",line={r.gate.line}" if r.gate.line else "")  # tests.outcomes has no row
        + f",title={_property('gate breached: ' + r.gate.metric)}::"
        + _data(f"{r.gate.metric} = {r.shown} breaches {r.gate.bound.text}: {r.evidence}")
        for r in breaches[:cap]
    ]
    if len(breaches) > cap:
        lines.append(
            f"::error title=gates breached::{len(breaches) - cap} more gates breached "
            f"({len(breaches)} in all): see the job summary"
        )
    return lines


@dataclass(frozen=True)
class Published:
    """What a gate run leaves for GitHub Actions: the annotations to print, and why the job
    summary could not be written (None: it was, or there is none)."""

    annotations: tuple[str, ...] = ()
    summary_error: str | None = None


def publish(report: GateReport, env: Mapping[str, str]) -> Published:
    """In GitHub Actions: the table into the job summary, an annotation per breach (capped)."""
    summary, problem = env.get("GITHUB_STEP_SUMMARY"), None
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(step_summary(report))
        except OSError as exc:  # the verdict stands; the summary is a courtesy
            problem = (
                f"cannot append the gate table to $GITHUB_STEP_SUMMARY ({summary}): "
                f"{exc.strerror or exc}"
            )
    lines = tuple(error_lines(report)) if env.get("GITHUB_ACTIONS") else ()
    return Published(lines, problem)
