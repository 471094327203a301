"""Where in a user's file a fact is written: line numbers for the evidence. Lines end at `\n`
only (perf_tasks/text.py); TOML is searched by its headers and keys, the rest as text."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from perf_tasks.text import lines

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in dotted.split("."))


def toml_line(text: str, table: Sequence[str], key: str) -> int | None:
    """The line (from 1) that sets `key` of the table `table` (`("profile", "dev")`, "debug"):
    under its header, dotted from a parent table (`profile.dev.debug = 2` at the top), or in an
    inline table (`dev = { debug = 2 }` under `[profile]`); None when it is not written."""
    table = tuple(table)
    inline = re.compile(rf"[{{,]\s*[\"']?{re.escape(key)}[\"']?\s*=")
    current: tuple[str, ...] = ()
    for number, line in enumerate(lines(text), start=1):
        match = _HEADER.match(line)
        if match:
            current = _parts(match[1])
            continue
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        left, right = line.split("=", 1)
        path = current + _parts(left)
        if path == (*table, key):
            return number
        if path == table and inline.search("{" + right.split("{", 1)[-1]):
            return number
    return None


def table_line(text: str, table: Sequence[str]) -> int | None:
    """The line of the header `[a.b]` (or of a line that sets a key in it), None if absent."""
    table = tuple(table)
    for number, line in enumerate(lines(text), start=1):
        match = _HEADER.match(line)
        if match and _parts(match[1]) == table:
            return number
    return None


def matches(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """Each line (number from 1, text stripped) that matches, comments of shell and YAML left
    out."""
    for number, line in enumerate(lines(text), start=1):
        if line.lstrip().startswith("#"):
            continue
        if pattern.search(line):
            yield number, line.strip()
