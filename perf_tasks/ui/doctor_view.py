"""How `doctor` looks: a table on a terminal, plain lines in a log; the silenced findings in a
footer with their reasons (never silently); what could not be read, and what to run for it."""

from __future__ import annotations

from perf_tasks.doctor.job import Diagnosis
from perf_tasks.doctor.model import Finding
from perf_tasks.quantities import format_seconds
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders

STYLES = {"error": "red", "warning": "yellow", "note": "cyan"}


def _evidence(f: Finding, *, all_: bool) -> list[str]:
    found = [f"{e.where}: {e.text}" if e.where else e.text for e in f.evidence]
    return found if all_ else found[:1]


@renders(Diagnosis)
def render_diagnosis(out: Output, done: Diagnosis) -> None:
    if not done.findings:
        out.line("no findings: nothing the checklist flags")
    elif out.interactive:
        _table(out, done)
    else:
        for f in done.findings:
            _plain(out, f, verbose=out.verbose)
    render_footer(out, done)


def _table(out: Output, done: Diagnosis) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True, highlight=False)
    for name in ("", "id", "finding", "fix"):
        table.add_column(name, overflow="fold")
    for f in done.findings:
        body = "\n".join([f.title, *_evidence(f, all_=out.verbose)])
        if out.verbose:
            body += f"\nimpact: {f.impact.text}"
        table.add_row(
            Text(f"{f.priority} {f.level}", style=STYLES[f.level]),
            Text(f.id),
            Text(shown(body, keep_newlines=True)),
            Text(shown(f.fix)),
        )
    out.console.print(table)


def _plain(out: Output, f: Finding, *, verbose: bool) -> None:
    out.line(shown(f"{f.priority} {f.level:<7} {f.id}: {f.title}"))
    for line in _evidence(f, all_=True):
        out.line(shown(f"    evidence: {line}"))
    if verbose or f.impact.text != "not measured":
        out.line(shown(f"    impact:   {f.impact.text}"))
    out.line(shown(f"    fix:      {f.fix}"))


@renders(Diagnosis, beside_json="after")
def render_footer(out: Output, done: Diagnosis) -> None:
    for s in done.silenced:
        out.line(shown(f"silenced: {s.finding.id} ({s.finding.level}): {s.reason}"))
    for ident in done.unused_silences:
        out.line(shown(f"[doctor] silence names {ident}, which nothing found this time"))
    if out.verbose:
        for fact, why in done.missing:
            out.line(shown(f"not read: {fact}: {why}"))
    counts = {level: sum(1 for f in done.findings if f.level == level) for level in STYLES}
    summary = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in counts.items())
    quiet = f" ({len(done.silenced)} silenced)" if done.silenced else ""
    out.line(f"{summary}{quiet} in {format_seconds(done.elapsed_s)}")
