"""The smallest text change that makes one node say something else, spliced into the original
text: the rest of the file keeps every byte (comments, quoting, anchors, line endings).

Each builder answers None when it cannot make the change without touching more than the node (a
block scalar, an empty node, a shape it does not know); the finding is then reported, not fixed.
"""

from __future__ import annotations

import json
import re

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from perf_tasks.ci.audit.model import Splice
from perf_tasks.ci.audit.parse import Source

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"

_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_FLOW = ",[]{}"


def plain_ok(value: str, *, flow: bool) -> bool:
    """`value` reads back as the same string when written plain (block or flow context)."""
    if not value or value != value.strip() or value[0] in _INDICATORS or "\n" in value:
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    if flow and any(c in value for c in _FLOW):
        return False
    from perf_tasks.ci.audit.parse import compose

    node = compose(f"k: {value}\n")
    assert isinstance(node, MappingNode)
    resolved = node.value[0][1]
    return bool(resolved.tag == STR and resolved.value == value)


def scalar_text(value: str, *, style: str | None, flow: bool) -> str:
    """`value` written as a YAML string in the style given (plain when it can be)."""
    if style == "'" or (style is None and not plain_ok(value, flow=flow) and '"' not in value):
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or (style is None and not plain_ok(value, flow=flow)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _newline_at(text: str, pos: int) -> str:
    end = text.find("\n", pos)
    if end < 0:
        end = text.rfind("\n", 0, pos)
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def _line_end(text: str, pos: int) -> int | None:
    """The offset just after the line break that ends the line holding `pos` (None at the end of
    a file without a final line break)."""
    end = text.find("\n", pos)
    return None if end < 0 else end + 1


def set_scalar(source: Source, node: Node | None, value: str, *, flow: bool) -> Splice | None:
    """Replace a one-scalar value (a cache key) keeping its quoting style; in a block scalar of
    one line (`key: |` then the value), that line's text."""
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return _set_block_line(source, node, value)
    if not isinstance(node, ScalarNode):
        return None
    start, end = _after_properties(source.text, node.start_mark.index), node.end_mark.index
    if "\n" in source.text[start:end]:
        return None  # a scalar over several lines: its folding would change the text around it
    new = scalar_text(value, style=node.style, flow=flow)
    return Splice(source.path, start, end, new, "set", node, value=(STR, value))


def _set_block_line(source: Source, node: ScalarNode, value: str) -> Splice | None:
    """The one line of text of a block scalar replaced; None when it has more lines, or the value
    would need escapes a block scalar cannot hold."""
    if "\n" in value or value != value.strip() or value.startswith("#"):
        return None
    text = source.text
    header_end = text.find("\n", _after_properties(text, node.start_mark.index))
    if header_end < 0 or header_end >= node.end_mark.index:
        return None
    body_start = header_end + 1
    body = text[body_start : node.end_mark.index]
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]*", body) if m.group().strip()]
    if len(lines) != 1:
        return None
    offset, line = lines[0]
    content = line.strip()
    old_value = str(node.value)
    if old_value.rstrip("\n") != content:
        return None
    start = body_start + offset + line.index(content)
    new_value = value + old_value[len(content) :]
    return Splice(
        source.path, start, start + len(content), value, "set", node, value=(STR, new_value)
    )


_PROPERTY = re.compile(r"(?:[&!][^\s]*[ \t]+)+")


def _after_properties(text: str, start: int) -> int:
    """Where a node's value starts, after its anchor (`&key`) and tag (`!!str`), which stay."""
    found = _PROPERTY.match(text, start)
    return found.end() if found else start


def _ends_on_its_line(node: Node) -> bool:
    """A value after which the rest of its last line is only a comment or nothing."""
    if isinstance(node, ScalarNode):
        return node.style not in ("|", ">")
    return bool(getattr(node, "flow_style", False))


def add_key(
    source: Source, mapping: Node | None, key: str, value: str, data: object
) -> Splice | None:
    """Add `key: value` to a mapping, as its last entry (block: a line of its own at the keys'
    indentation; flow: `, key: value` after the last value)."""
    if not isinstance(mapping, MappingNode) or not mapping.value:
        return None
    text = source.text
    last_key, last_value = mapping.value[-1]
    aliased = last_value.start_mark.index < last_key.start_mark.index  # `key: *name`
    if mapping.flow_style:
        if aliased:
            return None  # its node lies at its anchor: where `*name` ends is not known
        pos = last_value.end_mark.index
        return Splice(source.path, pos, pos, f", {key}: {value}", "add", mapping, key, data)
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    nl = _newline_at(text, last_value.end_mark.index)
    if _ends_on_its_line(last_value) and not aliased:
        after = _line_end(text, last_value.end_mark.index)
        if after is None:
            pos = len(text)
            return Splice(
                source.path, pos, pos, f"{nl}{indent}{key}: {value}", "add", mapping, key, data
            )
        return Splice(
            source.path, after, after, f"{indent}{key}: {value}{nl}", "add", mapping, key, data
        )
    pos = first_key.start_mark.index
    if text[text.rfind("\n", 0, pos) + 1 : pos].strip(" -") != "":
        return None
    return Splice(source.path, pos, pos, f"{key}: {value}{nl}{indent}", "add", mapping, key, data)


def append_items(source: Source, sequence: Node | None, values: list[str]) -> Splice | None:
    """Add strings at the end of a sequence of scalars, written as its first item is."""
    if not isinstance(sequence, SequenceNode) or not sequence.value or not values:
        return None
    if not all(isinstance(i, ScalarNode) and i.style not in ("|", ">") for i in sequence.value):
        return None
    if any(_is_alias(i, sequence) for i in sequence.value):
        return None  # an alias's node lies at its anchor: its end is not this sequence's
    style = sequence.value[0].style
    flow = bool(sequence.flow_style)
    written = [scalar_text(v, style=style, flow=flow) for v in values]
    data = tuple((STR, v) for v in values)
    text = source.text
    last = sequence.value[-1]
    if flow:
        pos = last.end_mark.index
        return Splice(
            source.path,
            pos,
            pos,
            "".join(f", {w}" for w in written),
            "append",
            sequence,
            value=data,
        )
    dash = sequence.start_mark
    if text[dash.index] != "-" or _line_has_other(text, dash.index):
        return None
    indent = " " * dash.column
    nl = _newline_at(text, last.end_mark.index)
    after = _line_end(text, last.end_mark.index)
    lines = "".join(f"{indent}- {w}{nl}" for w in written)
    if after is None:
        pos = len(text)
        return Splice(
            source.path, pos, pos, nl + lines.removesuffix(nl), "append", sequence, value=data
        )
    return Splice(source.path, after, after, lines, "append", sequence, value=data)


def _is_alias(node: Node, parent: Node) -> bool:
    """A node written elsewhere (at its anchor) and only named here (`*name`)."""
    return bool(node.start_mark.index < parent.start_mark.index)


def _line_has_other(text: str, pos: int) -> bool:
    """Something other than indentation before `pos` on its line (`- - a`, `key: - a`)."""
    return bool(re.search(r"\S", text[text.rfind("\n", 0, pos) + 1 : pos]))


def append_in_block(
    source: Source, scalar: Node | None, lists: list[tuple[Node, list[str]]]
) -> Splice | None:
    """Add items to block sequences of YAML written inside a literal block scalar (the
    `filters: |` of dorny/paths-filter): the splices `append_items` makes in the scalar's value,
    moved to the file's lines, each with the block's indentation, as one splice from the first
    insertion to the last. The scalar is then expected to hold its old value with the items
    added."""
    if not isinstance(scalar, ScalarNode) or scalar.style != "|" or not lists:
        return None
    inner = str(scalar.value)
    from perf_tasks.fs.guarded import Snapshot

    inner_source = Source(
        source.path, source.shown, Snapshot(source.path, source.shown, inner), None
    )
    edits = [append_items(inner_source, sequence, values) for sequence, values in lists]
    if any(
        e is None or e.start != e.end or (e.start and inner[e.start - 1] != "\n") for e in edits
    ):
        return None  # only whole lines, after a line of the value
    text = source.text
    header_end = text.find("\n", _after_properties(text, scalar.start_mark.index))
    if header_end < 0:
        return None
    line_starts = [header_end + 1]
    while len(line_starts) <= inner.count("\n"):
        nxt = text.find("\n", line_starts[-1]) + 1
        if nxt == 0:
            return None
        line_starts.append(nxt)
    content = text[header_end + 1 : scalar.end_mark.index]
    first = next((line for line in content.split("\n") if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" "))]
    inserts = []
    new_value = inner
    for edit in sorted((e for e in edits if e is not None), key=lambda e: e.start, reverse=True):
        pos = line_starts[inner[: edit.start].count("\n")]
        nl = _newline_at(text, pos)
        lines = [indent + line for line in edit.text.split("\n") if line]
        inserts.append((pos, "".join(line + nl for line in lines)))
        new_value = new_value[: edit.start] + edit.text + new_value[edit.start :]
    start, end = min(p for p, _ in inserts), max(p for p, _ in inserts)
    middle = text[start:end]
    for pos, added in inserts:  # from the last: each offset still holds
        middle = middle[: pos - start] + added + middle[pos - start :]
    return Splice(source.path, start, end, middle, "set", scalar, value=(STR, new_value))
