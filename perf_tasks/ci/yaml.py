"""A small YAML writer for workflows: plain data in, readable and deterministic text out.

Mappings keep their insertion order; comments and blank lines come from `Commented` wrappers. A
string is written plain when YAML reads it back as the same string under both YAML 1.1 (PyYAML)
and 1.2 (GitHub's parser), else quoted; a string of several lines is a literal block (`|`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from perf_tasks import escape
from perf_tasks.text import lines as lines_of

INDENT = 2


@dataclass(frozen=True)
class Commented:
    """A value with comment lines above its key (or list item), an end-of-line comment (scalars
    only), and optionally a blank line before it."""

    value: Any
    above: str = ""
    after: str = ""
    blank: bool = False


def dump(doc: Mapping[str, Any], *, header: str = "") -> str:
    """The document; top-level keys are separated by a blank line, `header` is a comment on top."""
    lines = [_comment(line) for line in lines_of(header)]
    body: list[str] = []
    for i, (key, value) in enumerate(doc.items()):
        if i and not (isinstance(value, Commented) and value.blank):
            body.append("")
        body.extend(_entry(key, value, 0))
    return "\n".join([*lines, *body]) + "\n"


def _comment(text: str) -> str:
    return f"# {text}".rstrip()


def _unwrap(value: Any, pad: str) -> tuple[list[str], str, Any]:
    """A `Commented` value's lines above it, its end-of-line comment, and the value itself."""
    if not isinstance(value, Commented):
        return [], "", value
    out = [""] if value.blank else []
    out.extend(pad + _comment(line) for line in lines_of(value.above))
    return out, value.after, value.value


def _entry(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out, after, value = _unwrap(value, pad)
    head = f"{pad}{_key(key)}:"
    if isinstance(value, Mapping):
        if after:
            raise ValueError(f"an end-of-line comment on a mapping ({key})")
        if not value:
            return [*out, f"{head} {{}}"]
        out.append(head)
        for k, v in value.items():
            out.extend(_entry(k, v, indent + INDENT))
        return out
    if _is_list(value):
        flow = _flow(value)
        if flow is not None:
            return [*out, head + " " + flow + _after(after)]
        out.append(head)
        for item in value:
            out.extend(_item(item, indent + INDENT))
        return out
    if isinstance(value, str) and _block(value):
        if after:
            raise ValueError(f"an end-of-line comment on a block ({key})")
        return [*out, f"{head} {_block_indicator(value)}", *_block_lines(value, indent + INDENT)]
    text = _scalar(value)
    return [*out, (f"{head} {text}" if text else head) + _after(after)]


def _item(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out, after, value = _unwrap(value, pad)
    if isinstance(value, Mapping) and value:
        if after:
            raise ValueError("an end-of-line comment on a mapping item")
        for i, (k, v) in enumerate(value.items()):
            lines = _entry(k, v, indent + INDENT)
            if i == 0:  # the first key shares the dash's line
                comments = [line for line in lines if line.lstrip().startswith("#")]
                if comments and lines[0] == comments[0]:
                    raise ValueError("comments above the first key of a list item: put them above")
                lines[0] = f"{pad}- {lines[0].lstrip()}"
            out.extend(lines)
        return out
    if isinstance(value, str) and _block(value):
        return [
            f"{pad}- {_block_indicator(value)}",
            *_block_lines(value, indent + INDENT),
        ]
    if _is_list(value) or isinstance(value, Mapping):
        flow = _flow(value) if _is_list(value) else "{}"
        if flow is None:
            raise ValueError("a list directly inside a list")
        return [*out, f"{pad}- {flow}{_after(after)}"]
    return [*out, f"{pad}- {_scalar(value)}{_after(after)}"]


def _after(comment: str) -> str:
    return f" # {comment}" if comment else ""


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _flow(items: Sequence[Any]) -> str | None:
    """`[a, b]` for a short list of plain scalars; None when it should be a block list."""
    if not items:
        return "[]"
    texts = []
    for item in items:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            return None
        text = _scalar(item)
        if isinstance(item, str) and (text != item or not _FLOW_ITEM.fullmatch(item)):
            return None
        texts.append(text)
    flow = "[" + ", ".join(texts) + "]"
    return flow if len(flow) <= 60 else None


_FLOW_ITEM = re.compile(r"[A-Za-z0-9_./-]+")  # a branch name, a word: nothing flow style reads
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Words YAML 1.1 reads as booleans, null, a merge key or a value key (1.2 fewer of them).
_SPECIAL = {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "", "=", "<<"}
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def _key(key: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"a mapping key must be a string, got {key!r}")
    return key if _KEY.fullmatch(key) else _scalar(key)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML: {value!r}")
    if _plain(value):
        return value
    if value.isprintable() and "'" not in value:
        return f"'{value}'"
    return _double_quoted(value)


def _double_quoted(text: str) -> str:
    """YAML's double-quoted style: what is not printable is escaped (astral characters as one
    `\\U` escape, not a JSON surrogate pair)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(escape.code_point(ch))
    return '"' + "".join(out) + '"'


def _plain(text: str) -> bool:
    return (
        text.isascii()
        and text.isprintable()
        and text.lower() not in _SPECIAL
        and text[0] not in _INDICATORS
        and not text[0].isdigit()  # numbers, times (1:30), versions (3.10), cron lines
        and text[0] not in "+."
        and text == text.strip()
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
    )


def _block(text: str) -> bool:
    """Whether `text` is written as a literal block: several lines, each printable, and a first
    line that does not start with a space (the block's indentation is read from it)."""
    if "\n" not in text or text.endswith("\n\n"):  # no `|+`: a blank line after it would count
        return False
    lines = text.split("\n")
    first = next((line for line in lines if line), "")
    return (
        bool(first)
        and not first.startswith(" ")
        and all(line.isprintable() for line in lines)
        and all(line == line.rstrip() for line in lines)
    )


def _block_indicator(text: str) -> str:
    return "|" if text.endswith("\n") else "|-"


def _block_lines(text: str, indent: int) -> list[str]:
    lines = text.split("\n")
    if text.endswith("\n"):
        lines = lines[:-1]
    return [" " * indent + line if line else "" for line in lines]
