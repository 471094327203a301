"""How profiles look: `profiles.show`'s table, and the edit of `profiles.apply` / `nextest.init`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from perf_tasks.profiles.job import Edited, Shown
from perf_tasks.ui.output import Output, shown
from perf_tasks.ui.render import renders

if TYPE_CHECKING:
    from perf_tasks.profiles.resolve import Value


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _origin(v: Value) -> str:
    if v.source == "default":
        return v.source
    if not v.profile:  # over every profile
        env = v.source.startswith("CARGO_")
        return v.source if env else f"{v.source} build.incremental"
    return f"{v.source} [profile.{v.profile}]"


def _title(name: str, chain: Sequence[str]) -> str:
    return name if len(chain) == 1 else f"{name} < {' < '.join(chain[1:])}"


@renders(Shown)
def render_show(out: Output, done: Shown) -> None:
    """One column per profile; a value set anywhere but cargo's defaults carries a mark, and the
    marks are listed under the table."""
    from perf_tasks.profiles.model import SHOWN

    resolved, notes = done.resolved, done.notes

    marks: dict[str, int] = {}
    rows = [["", *(_title(p.name, p.chain) for p in resolved.profiles)]]
    for key in SHOWN:
        row = [key]
        for p in resolved.profiles:
            v = p.values[key]
            cell = _value_text(v.value)
            if v.source != "default":
                cell += f" [{marks.setdefault(_origin(v), len(marks) + 1)}]"
            row.append(cell)
        rows.append(row)
    # Plain columns, never cut short: a narrow terminal wraps the lines instead.
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.line(shown("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()))
    out.line()
    for origin, mark in marks.items():
        out.line(shown(f"[{mark}] {origin}"))
    out.line("no mark: cargo's default; `ci < dev`: ci inherits dev")
    out.line(f"read: {', '.join(shown(r) for r in resolved.read)}")
    for note in [*resolved.notes, *notes]:
        out.warn(shown(note))


@renders(Edited)
def render_edit(out: Output, done: Edited) -> None:
    """A dry run prints the diff; a real run says what it wrote."""
    edit, tables = done.edit, ", ".join(done.edit.changed)
    if not edit.changes:
        out.line(f"{edit.shown} already has {', '.join(edit.tables)}: nothing to change")
    elif done.dry_run:
        out.console.file.write(edit.diff())
        verb = "create" if not edit.exists else "change"
        out.line(f"dry run: would {verb} {edit.shown} ({tables}); nothing was written")
    else:
        verb = "created" if not edit.exists else "updated"
        out.line(f"{verb} {edit.shown}: {tables}")
    render_notes(out, done)


@renders(Edited, beside_json="after")
def render_notes(out: Output, done: Edited) -> None:
    for note in done.notes:
        out.warn(shown(note))
