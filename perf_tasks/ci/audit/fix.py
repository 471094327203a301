"""`--fix`: the fixable findings' splices applied to the original text, each file proved.

A file's splices are applied from the end (so each offset still holds), then the new text is
parsed again and compared, as data, with the old one plus exactly the intended changes: anything
else that moved (a key read differently, a comment that became content) refuses that file's fix,
which is then reported as a finding and not written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from perf_tasks.ci.audit.model import NOTE, P3, Finding, Splice
from perf_tasks.ci.audit.parse import Source, compose, data, entries, expanded_size
from perf_tasks.edit.file import Planned

# A workflow is a few thousand nodes; an alias bomb is billions, which no proof can walk.
MAX_NODES = 200_000


@dataclass(frozen=True)
class Change(Planned):
    """One file's fix: its text as read (`before`) and as fixed (`new`), and the findings fixed."""

    fixed: tuple[Finding, ...] = ()

    def diff(self) -> str:
        return self.unified_diff()


@dataclass(frozen=True)
class Fix:
    changes: tuple[Change, ...]
    refused: tuple[Finding, ...]  # files whose fix did not prove out: reported, not written


def plan(sources: Sequence[Source], findings: Sequence[Finding]) -> Fix:
    by_path = {s.path: s for s in sources}
    changes, refused = [], []
    for path, source in by_path.items():
        mine = [f for f in findings if f.fixable and any(s.path == path for s in f.splices)]
        splices = _disjoint([s for f in mine for s in f.splices if s.path == path])
        if not splices:
            continue
        new = apply(source.text, splices)
        problem = prove(source, new, splices)
        if problem is not None:
            refused.append(
                Finding(
                    "ci.fix-refused",
                    P3,
                    NOTE,
                    path,
                    None,
                    f"{source.shown}: the fix was not written: {problem}",
                    "make the changes the other findings name by hand",
                )
            )
            continue
        # A finding is fixed when every splice it needs made it in (an overlap drops one).
        made = [f for f in mine if all(s in splices for s in f.splices if s.path == path)]
        changes.append(Change(source.snapshot, new, tuple(made)))
    return Fix(tuple(changes), tuple(refused))


def _disjoint(splices: list[Splice]) -> list[Splice]:
    """The same splice reached twice (an anchor's node seen through its aliases) counts once;
    of two that overlap, the first found is kept (the next run makes the other)."""
    out: list[Splice] = []
    for s in sorted(set(splices), key=lambda s: (s.start, s.end, s.text)):
        if out and s.start < out[-1].end:
            continue
        if out and s.start == out[-1].start == out[-1].end == s.end:
            continue  # two insertions at one place: their order would be a guess
        out.append(s)
    return out


def apply(text: str, splices: Sequence[Splice]) -> str:
    for s in sorted(splices, key=lambda s: s.start, reverse=True):
        text = text[: s.start] + s.text + text[s.end :]
    return text


def prove(source: Source, new: str, splices: Sequence[Splice]) -> str | None:
    """None when `new` holds the old YAML with exactly the splices' changes; else what differs."""
    from ruamel.yaml.error import YAMLError

    if expanded_size(source.root) > MAX_NODES:
        return f"its aliases expand to more than {MAX_NODES} nodes, too many to compare"
    try:
        new_root = compose(new)
    except YAMLError as exc:
        return f"the fixed text would not be valid YAML ({str(exc).strip().splitlines()[0]})"
    wanted = _data(source.root, {id(s.node): s for s in splices}, ())
    if wanted != data(new_root):
        return "it would change more than the intended keys"
    return None


def _data(node: Node | None, edits: dict[int, Splice], above: tuple[int, ...]) -> object:
    """`data` of the old tree with each splice's change made to its node."""
    if node is None:
        return None
    if id(node) in above:
        return ("alias",)
    edit = edits.get(id(node))
    here = (*above, id(node))
    if isinstance(node, MappingNode):
        out = {k: _data(v, edits, here) for k, _, v in entries(node)}
        if edit is not None and edit.kind == "add" and edit.key is not None:
            out[edit.key] = edit.value
        return out
    if isinstance(node, SequenceNode):
        items = tuple(_data(i, edits, here) for i in node.value)
        if edit is not None and edit.kind == "append":
            items += edit.value  # type: ignore[operator]
        return items
    if edit is not None and edit.kind == "set":
        return edit.value
    return (str(node.tag), str(node.value))


def changed_paths(fix: Fix) -> tuple[Path, ...]:
    return tuple(c.path for c in fix.changes)
