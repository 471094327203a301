"""How `cache.compare` looks: each arm's cold build, hit rate and cache size; each ratio with its
interval; the setup to use, or that the cache does not pay here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perf_tasks.experiments.cache import (
    ARMS,
    EMPTY,
    LABELS,
    NOT_WARM,
    PAYS,
    WALL,
    WARM_HIT_RATE,
    Report,
)
from perf_tasks.experiments.profiles import Report as ProfilesReport
from perf_tasks.measure.report import secs, size
from perf_tasks.ui.ab_figures import median, ratio_text
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table

if TYPE_CHECKING:
    from perf_tasks.ab.engine import Outcome


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


@renders(Report)
def render_cache(out: Output, report: Report) -> None:
    from perf_tasks.experiments.cache import CPU

    backend = report.request.backend or "local disk"
    out.line(shown(f"cold build: {' '.join(report.build)} (backend: {backend})"))
    rows = [["arm", "wall (median)", "CPU (median)", "hit rate", "cache size"]]
    for arm in ARMS:
        med, fig = report.medians(arm), report.figures[arm]
        rows.append(
            [
                LABELS[arm],
                secs(med[WALL]),
                secs(med[CPU]),
                _percent(fig.hit_rate),
                size(fig.cache_bytes) if fig.cache_bytes is not None else "-",
            ]
        )
    outcome: Outcome
    for arm, outcome in ((EMPTY, report.empty), ("warm", report.warm)):
        rows.append(
            [
                f"ratio {arm} / none",
                ratio_text(outcome.metric(WALL)),
                ratio_text(outcome.metric(CPU)),
                "",
                "",
            ]
        )
    for line in text_table(rows):
        out.line(shown(line))
    out.line(
        f"{report.warm.pairs} rounds, each arm once per round in a rotating order; "
        "[low, high]: the 95% interval of the ratio"
    )
    for note in report.notes:
        out.line(shown(f"note: {note}"))
    wall = report.warm.metric(WALL)
    if report.verdict == PAYS and wall is not None:
        out.line(
            f"{PAYS}: a cold build with a warm cache takes x{wall.interval.median:.2f} the wall "
            f"time (the whole interval is below {1 / (1 + wall.threshold.delta):.3f})"
            if wall.threshold is not None
            else PAYS,
            style="bold",
        )
        out.line("to use it:")
        for line in report.setup:
            out.line(shown(f"  {line}"))
    elif report.verdict == NOT_WARM:
        out.line(
            f"{NOT_WARM}: the warm arm's median run hit less than "
            f"{WARM_HIT_RATE:.0%} of its cacheable lookups (see its hit rate), so its time is "
            "not a warm cache's; nothing is recommended",
            style="bold",
        )
    else:
        out.line(
            f"{report.verdict}: a warm cache's cold build is not clearly faster than one without "
            "(the wall-time interval is not wholly below the threshold)",
            style="bold",
        )


@renders(ProfilesReport)
def render_profiles(out: Output, report: ProfilesReport) -> None:
    from perf_tasks.experiments.profiles import MIXED, NO_CLEAR_DIFFERENCE

    outcome, req = report.outcome, report.request
    if report.written:
        out.line(shown(f"written in a scratch copy's Cargo.toml: {', '.join(report.written)}"))
    rows = [["figure", f"{req.a} (median)", f"{req.b} (median)", f"ratio {req.b} / {req.a}", ""]]
    for m in outcome.metrics:
        rows.append(
            [
                m.metric,
                *(
                    (size(median(m.a)), size(median(m.b)))
                    if m.metric.endswith("_bytes") or m.metric == "target.bytes"
                    else (secs(median(m.a)), secs(median(m.b)))
                ),
                ratio_text(m),
                m.verdict if m.decides else "",
            ]
        )
    for line in text_table(rows):
        out.line(shown(line))
    out.line(f"{outcome.pairs} pairs, order {outcome.order}; [low, high]: the 95% interval")
    if report.differences or report.failing:
        diff = [["test", "difference", req.a, req.b]]
        for t in report.differences:
            diff.append([t.id, t.change, t.before or "-", t.after or "-"])
        for test in report.failing:
            diff.append([test, "failed", "", "failed"])
        for line in text_table(diff):
            out.line(shown(line))
        out.line(
            "nothing recommended: the tests do not pass the same under both profiles",
            style="bold",
        )
        return
    if report.verdict in (NO_CLEAR_DIFFERENCE, MIXED):
        out.line(f"nothing recommended: {report.verdict}", style="bold")
        return
    out.line(shown(f"recommended: {report.recommended}"), style="bold")
    if report.command:
        out.line(shown(f"  {report.command}"))
