"""How `tests.order` looks: the bands, the measurement when asked, and what was written."""

from __future__ import annotations

from perf_tasks.measure.report import secs
from perf_tasks.testorder.job import Ordered
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders
from perf_tasks.ui.verify_view import text_table


@renders(Ordered)
def render_ordered(out: Output, done: Ordered) -> None:
    banding, edit = done.banding, done.edit
    out.line(shown(f"durations from {', '.join(done.sources)}"))
    if banding.bands:
        rows = [["priority", "tests", "durations"]]
        for band in banding.bands:
            span = f"{secs(band.fastest_s)} to {secs(band.slowest_s)}"
            rows.append(
                [
                    str(band.priority),
                    str(len(band.tests)),
                    f"failed in the last run ({span})" if band.failed else span,
                ]
            )
        for line in text_table(rows):
            out.line(shown(line))
    if banding.left:
        out.line(f"{banding.left} faster test(s) keep nextest's default priority (0)")
    if not banding.bands:
        out.line("no test is slow enough to order")
    table = f"[[profile.{done.profile}.overrides]]"
    if not edit.changes:
        out.line(shown(f"{edit.shown} already holds these bands ({table}): nothing to change"))
    elif done.dry_run:
        out.console.file.write(edit.diff())
        why = "dry run"
        verb = "create" if not edit.exists else "change"
        out.line(shown(f"{why}: would {verb} {edit.shown} ({table}); nothing was written"))
    else:
        verb = "created" if not edit.exists else "updated"
        out.line(shown(f"{verb} {edit.shown}: {len(banding.bands)} priority band(s) in {table}"))
