"""Set keys in a few `[a.b]` tables of a TOML file and change nothing else, byte for byte.

A file is cut into chunks: the text before the first header, then one chunk per header, from the
header line to its last line of content (a key, a value), and the blank and comment lines after it
(which belong to no table: they usually introduce the next one). Only the chunks of the tables we
edit go through tomlkit; every other byte is copied. A new table goes after the last table of its
family (`[profile.*]`), or at the end of the file.

`check_preserved` then proves it from the outside, on the text and on the parsed data: outside the
edited tables nothing moved, and the edited tables hold what was asked. An edit that cannot be
done this way (a table written with dotted keys or inline) is refused, never approximated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from perf_tasks import toml_data
from perf_tasks.errors import EditRefused
from perf_tasks.text import keep_ends

TablePath = tuple[str, ...]
# (key, value as written, value wanted) -> True when writing would change nothing that matters
SameFn = Callable[[str, Any, Any], bool]
# table path -> the keys to set in it (values: scalars, or dicts written as inline tables)
Changes = Mapping[TablePath, Mapping[str, Any]]


@dataclass(frozen=True)
class Chunk:
    """One piece of the file. `path` is None for the text before the first header and for the
    trivia (blank and comment lines) after a table's last line of content."""

    text: str
    path: TablePath | None = None
    array: bool = False  # [[x]]


def parse_text(text: str, *, what: str) -> dict[str, Any]:
    """The file's data, or `EditRefused` with the parser's one line."""
    try:
        return _loads(text)
    except ValueError as exc:
        # tomlkit names the end of the file as the character '\x00' (an array left open)
        why = str(exc).replace("Unexpected character: '\\x00'", "Unexpected end of file")
        raise EditRefused(f"{what} is not valid TOML ({why}): fix it first") from None


_loads = toml_data.loads


def chunks(text: str) -> list[Chunk]:
    """The file cut at its header lines; `"".join(c.text for c in chunks(t)) == t`."""
    lines = keep_ends(text)
    starts = _header_lines(lines)
    out: list[Chunk] = []
    if not starts or starts[0] > 0:
        out.append(Chunk("".join(lines[: starts[0] if starts else len(lines)])))
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(lines)
        body = lines[start:end]
        last = len(body)
        while last > 1 and _is_trivia(body[last - 1]):
            last -= 1
        path, array = _header_path(body[0])
        out.append(Chunk("".join(body[:last]), path, array))
        if last < len(body):
            out.append(Chunk("".join(body[last:])))
    return out


def _is_trivia(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _header_path(line: str) -> tuple[TablePath, bool]:
    """`[profile."dev-fast"]  # x` -> ("profile", "dev-fast"); the parser decodes the quoting."""
    data: Any = _loads(line if line.endswith("\n") else line + "\n")
    path: list[str] = []
    array = False
    while isinstance(data, dict) and data:
        ((key, data),) = data.items()
        path.append(key)
        if isinstance(data, list):
            array, data = True, data[0]
    return tuple(path), array


def _header_lines(lines: Sequence[str]) -> list[int]:
    """Indexes of the lines that open a table: a `[` at the start of a line, outside strings and
    outside a multi-line array."""
    starts = []
    depth = 0
    multiline: str | None = None  # the closing quotes of the multi-line string we are in
    for n, line in enumerate(lines):
        i = 0
        if multiline is None and depth == 0 and line.lstrip().startswith("["):
            starts.append(n)
            continue
        while i < len(line):
            if multiline is not None:
                if line.startswith(multiline, i) and (multiline == "'''" or not _escaped(line, i)):
                    i += 3
                    while line.startswith(multiline[0], i):  # up to two quotes may close it
                        i += 1
                    multiline = None
                else:
                    i += 1
                continue
            ch = line[i]
            if ch == "#":
                break
            if line.startswith('"""', i) or line.startswith("'''", i):
                multiline = line[i : i + 3]
                i += 3
            elif ch in "\"'":
                i = _string_end(line, i)
            else:
                if ch in "[{":
                    depth += 1
                elif ch in "]}":
                    depth = max(0, depth - 1)
                i += 1
    return starts


def _escaped(line: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes - 1 >= 0 and line[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _string_end(line: str, i: int) -> int:
    quote = line[i]
    j = i + 1
    while j < len(line):
        if line[j] == quote and (quote == "'" or not _escaped(line, j)):
            return j + 1
        j += 1
    return j


# -- editing -------------------------------------------------------------------------------------


def set_tables(text: str, changes: Changes, *, what: str, same: SameFn | None = None) -> str:
    """`text` with each table of `changes` holding its keys (added or updated; other keys kept).

    A key whose value is already `same` as asked is left as written, so a second run is a no-op.
    Raises `EditRefused` when that cannot be done without touching anything else.
    """
    import tomlkit

    try:
        old_data = parse_text(text, what=what)
    except EditRefused as exc:
        raise EditRefused(f"{exc}; nothing was changed") from None
    equal = same or _same
    nl = "\r\n" if "\r\n" in text else "\n"  # what we write ends its lines as the file does
    parts = chunks(text)
    for path, keys in changes.items():
        found = [i for i, c in enumerate(parts) if c.path == path and not c.array]
        if not found:
            existing = _lookup(old_data, path)
            if existing is not None and (
                not isinstance(existing, Mapping)
                or any(not isinstance(v, Mapping) for v in existing.values())
            ):
                raise EditRefused(
                    f"{what} defines [{_dotted(path)}] with dotted keys or an inline table; "
                    f"write it as a [{_dotted(path)}] table (perf-tasks edits only those): "
                    "nothing was changed"
                )
            parts = _insert(parts, path, _newlines(_render_new(path, keys), nl), nl)
            continue
        (index,) = found  # a table defined twice does not parse: parse_text refused it
        current = _lookup(old_data, path) or {}
        todo = {k: v for k, v in keys.items() if k not in current or not equal(k, current[k], v)}
        if not todo:
            continue
        doc = tomlkit.parse(parts[index].text)
        table: Any = doc
        for key in path:
            table = table[key]
        for key, value in todo.items():
            table[key] = _item(value)
        new_text = doc.as_string()
        new_text = _newlines(new_text, nl)
        parts[index] = Chunk(new_text if new_text.endswith("\n") else new_text + nl, path)
    result = "".join(c.text for c in parts)
    check_preserved(text, result, changes, what=what, same=equal)
    return result


def _same(key: str, written: Any, wanted: Any) -> bool:
    return type(written) is type(wanted) and bool(written == wanted)


def _item(value: Any) -> Any:
    import tomlkit

    if isinstance(value, Mapping):
        inline = tomlkit.inline_table()
        inline.update(value)
        return inline
    return value


def _render_new(path: TablePath, keys: Mapping[str, Any]) -> str:
    import tomlkit

    table = tomlkit.table()
    for key, value in keys.items():
        table[key] = _item(value)
    node: Any = table
    for key in reversed(path[1:]):
        parent = tomlkit.table(is_super_table=True)
        parent[key] = node
        node = parent
    doc = tomlkit.document()
    doc[path[0]] = node
    return doc.as_string()


def _newlines(text: str, nl: str) -> str:
    import re

    return text if nl == "\n" else re.sub(r"(?<!\r)\n", nl, text)


def _insert(parts: list[Chunk], path: TablePath, rendered: str, nl: str) -> list[Chunk]:
    """After the last table of the family (`[profile.*]` for `profile.ci`), else at the end."""
    family = path[:-1] or path
    anchor = None
    for i, c in enumerate(parts):
        if c.path is not None and c.path[: len(family)] == family:
            anchor = i
    parts = list(parts)
    new = Chunk(rendered, path)
    if anchor is None:
        if parts and parts[-1].text and not parts[-1].text.endswith("\n"):
            parts[-1] = Chunk(parts[-1].text + nl, parts[-1].path, parts[-1].array)
        lead = nl if "".join(c.text for c in parts).strip() else ""
        return [*parts, Chunk(lead), new]
    if not parts[anchor].text.endswith("\n"):  # the last line of the file
        parts[anchor] = Chunk(parts[anchor].text + nl, parts[anchor].path, parts[anchor].array)
    after = parts[anchor + 1 :]
    # Tables written back to back stay so; else a blank line, as before the next one.
    spaced = not after or after[0].path is None
    return [*parts[: anchor + 1], *([Chunk(nl)] if spaced else []), new, *after]


def _lookup(data: Mapping[str, Any], path: TablePath) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _dotted(path: TablePath) -> str:
    import re

    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"' for k in path)


# -- the proof -----------------------------------------------------------------------------------


def check_preserved(
    old: str, new: str, changes: Changes, *, what: str, same: SameFn | None = None
) -> None:
    """Refuse (`EditRefused`) unless `new` is `old` with only the tables of `changes` changed.

    Text: cut out of both files each edited table (its header to its last line of content) and
    the blank lines just before it; what is left is identical, but for blank space at the very end.
    Data: outside the edited tables, equal; inside, every asked key holds its value.
    """
    equal = same or _same
    edited = set(changes)
    if _outside(old, edited) != _outside(new, edited):
        raise EditRefused(
            f"editing {what} would change text outside the tables it edits "
            f"({', '.join(f'[{_dotted(p)}]' for p in changes)}); nothing was changed"
        )
    old_data = parse_text(old, what=what)
    try:
        new_data = _loads(new)
    except ValueError as exc:
        raise EditRefused(
            f"editing {what} would leave it invalid TOML ({exc}); nothing was changed"
        ) from None
    for path, keys in changes.items():
        table = _lookup(new_data, path)
        if not isinstance(table, Mapping) or any(
            k not in table or not equal(k, table[k], v) for k, v in keys.items()
        ):
            raise EditRefused(
                f"editing {what} would not set [{_dotted(path)}]; nothing was changed"
            )
    if _without(old_data, changes) != _without(new_data, changes):
        raise EditRefused(
            f"editing {what} would change data outside the tables it edits; nothing was changed"
        )


def _outside(text: str, edited: set[TablePath]) -> str:
    keep: list[str] = []
    for c in chunks(text):
        if c.path is not None and not c.array and c.path in edited:
            if keep:  # the blank lines just before it come and go with it
                keep[-1] = _without_blank_tail(keep[-1])
            continue
        keep.append(c.text)
    return "".join(keep).rstrip()


def _without_blank_tail(text: str) -> str:
    lines = keep_ends(text)
    while lines and not lines[-1].strip():
        lines.pop()
    return "".join(lines)


def _without(data: Mapping[str, Any], changes: Changes) -> Any:
    """`data` without the keys that `changes` sets, and without tables that held only those."""
    import copy

    out: Any = copy.deepcopy(dict(data))
    for path, keys in changes.items():
        node = _lookup(out, path)
        if isinstance(node, dict):
            for key in keys:
                node.pop(key, None)
    for path in sorted(changes, key=len, reverse=True):
        _prune(out, path)
    return out


def _prune(data: dict[str, Any], path: TablePath) -> None:
    if not path or not isinstance(data.get(path[0]), dict):
        return
    _prune(data[path[0]], path[1:])
    if not data[path[0]]:
        del data[path[0]]
