"""How `tests.affected`, `tests.ignored` and `tests.slow` look."""

from __future__ import annotations

from pathlib import Path

from perf_tasks.measure.shell import shell_line
from perf_tasks.paths import relative
from perf_tasks.quantities import format_seconds, plural
from perf_tasks.testsuite.affected import Affected
from perf_tasks.testsuite.ignored import Ignored, IgnoredTest
from perf_tasks.testsuite.slow import Row, Slow
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table


@renders(Affected)
def render_affected(out: Output, done: Affected) -> None:
    changes, s = done.changes, done.selection
    short = changes.merge_base[:10]
    out.line(
        shown(f"changes since {changes.ref} (merge base {short}): ")
        + plural(len(changes.files), "file")
    )
    total = len(s.all_packages)
    if s.everything:
        out.line(f"affected: every package ({total}), because")
        for why in s.everything:
            out.line(shown(f"  {why}"))
    elif not s.packages:
        out.line(f"affected: none of the {total} packages")
    else:
        out.line(f"affected: {len(s.packages)} of {total} packages")
        for row in text_table([[p.name, p.reason] for p in s.packages]):
            out.line(shown(f"  {row}"))
    if s.ignored:
        out.line(shown(f"ignored (in no package; [affected] ignore): {', '.join(s.ignored)}"))
    if s.names:
        out.line(shown(f"nextest filterset: {s.filterset}"))
        out.line(shown(f"packages: {' '.join(s.package_args)}"))
    _render_run(out, done)


def _render_run(out: Output, done: Affected) -> None:
    if not done.request.run:
        return
    if done.command is None:
        out.line("no test to run")
        return
    line = shell_line(done.command, done.root)
    if done.ran is None:
        out.line(shown(f"would run: {line}"))
        out.line("nothing was run (--dry-run)")
        return
    took = format_seconds(done.ran.wall_s)
    out.line(shown(f"ran: {line}: exit code {done.ran.exit_code}, {took}"))


@renders(Ignored)
def render_ignored(out: Output, done: Ignored) -> None:
    tests = len(done.tests)
    reasons = sum(t.reason is not None for t in done.tests)
    out.line(
        f"{plural(tests, 'ignored test')} (nextest lists {done.nextest_count}), {reasons} with a "
        f"reason; {plural(len(done.doctests), 'ignored doctest')}"
    )
    for package, (listed, docs) in done.by_package().items():
        out.line(shown(f"{package}: {plural(len(listed), 'test')}, {plural(len(docs), 'doctest')}"))
        rows = [[f"{t.binary} {t.name}", _why(t), t.source or "-"] for t in listed]
        rows += [["doctest", f"```{d.info}", d.source] for d in docs]
        for row in text_table(rows) if rows else []:
            out.line(shown(f"  {row}"))


def _why(test: IgnoredTest) -> str:
    reason = test.reason if test.reason is not None else "(no reason given)"
    if test.condition is not None:
        return f"{reason}; only where cfg({test.condition})"
    if test.source is None:
        return "(no #[ignore] found in the sources: made by a macro?)"
    return reason


@renders(Slow)
def render_slow(out: Output, done: Slow) -> None:
    d = done.durations
    whole = (
        f"the suite's wall time {format_seconds(d.wall_s)}"
        if d.wall_s
        else f"the summed test time {format_seconds(d.total_s)} (no wall time in the source)"
    )
    sources = ", ".join(relative(Path(source), done.root) for source in d.sources)
    out.line(shown(f"{len(d.tests)} tests from {sources}; share of {whole}"))
    if not d.tests:
        return
    out.line(f"slowest {len(done.top)}:")
    for line in text_table(_rows(done.top)):
        out.line(shown(f"  {line}"))
    t = done.slow_timeout
    limit = f"nextest's slow-timeout, {t.seconds:g} s (profile {t.profile}: {t.source})"
    if not done.over_timeout:
        out.line(shown(f"over {limit}: none"))
    else:
        out.line(shown(f"over {limit}: {len(done.over_timeout)}"))
        for line in text_table(_rows(done.over_timeout)):
            out.line(shown(f"  {line}"))
    h = done.history
    if h.entries == 0:
        out.line(shown(f"trend: no monitor history at {relative(h.path, done.root)}"))
    elif h.per_test == 0:
        out.line(
            shown(
                f"trend: the monitor's history ({h.entries} entries) holds no per-test times; "
                "it keeps the times of the tests the contract gates (`test:<binary-id> <name>`)"
            )
        )


def _rows(rows: tuple[Row, ...]) -> list[list[str]]:
    table = [["test", "time", "share", "trend"]]
    for row in rows:
        name = f"{row.test.id}" + (" (failed)" if row.failed else "")
        table.append([name, format_seconds(row.test.seconds), f"{row.share:.1%}", _trend(row)])
    return table


def _trend(row: Row) -> str:
    trend = row.trend
    if trend is None:
        return "-"
    change = "" if trend.change is None else f" ({trend.change:+.0%})"
    first, last = format_seconds(trend.first_s), format_seconds(trend.last_s)
    return f"{first} -> {last}{change}, {plural(trend.entries, 'entry')}"
