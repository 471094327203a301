"""What Rust sources say about ignored tests, read as text (no parser, no build).

- `ignore_of(text, name)`: the `#[ignore]` above each `fn name` of a file, with its reason
  (`#[ignore = "…"]`) and, for `#[cfg_attr(COND, ignore)]`, the condition.
- `ignored_fences(lines)`: the ```` ```ignore ```` code blocks of doc comments (`///`, `//!`) or
  of a Markdown file: the doctests rustdoc compiles but does not run. A block whose info string
  names another language (```` ```toml,ignore ````) is no doctest at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from perf_tasks.text import lines as text_lines


@dataclass(frozen=True)
class Ignore:
    line: int  # of the `fn`, from 1
    reason: str | None  # `#[ignore = "…"]`'s text
    condition: str | None  # `cfg_attr`'s predicate: ignored only where it holds
    modules: tuple[str, ...]  # `mod NAME {` blocks the fn is in, outermost first


_QUALIFIERS = re.compile(
    r"(?:\b(?:pub(?:\([^)]*\))?|async|unsafe|const|extern(?:\s+\"[^\"]*\")?)\s+)*$"
)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def ignore_of(text: str, name: str) -> list[Ignore]:
    """Every `fn name` of `text` whose attributes ignore it."""
    found = []
    for match in re.finditer(rf"\bfn\s+{re.escape(name)}\s*[(<]", text):
        head = text[: match.start()]
        qualifiers = _QUALIFIERS.search(head)
        attrs = _attributes_before(head[: qualifiers.start() if qualifiers else len(head)])
        for attr in attrs:
            ignored = _ignore_in(attr)
            if ignored is not None:
                reason, condition = ignored
                line = text.count("\n", 0, match.start()) + 1
                found.append(Ignore(line, reason, condition, _modules_at(text, match.start())))
                break
    return found


def _attributes_before(head: str) -> list[str]:
    """The attributes (`#[…]`) right above a fn, nearest first; comments between them skipped."""
    attrs: list[str] = []
    rest = head.rstrip()
    while True:
        if rest.endswith("]"):
            start = _attribute_start(rest)
            if start is None:
                return attrs
            attrs.append(rest[start:])
            rest = rest[:start].rstrip()
            continue
        last_line_start = rest.rfind("\n") + 1
        last = rest[last_line_start:].strip()
        if last.startswith("//") and not last.startswith("//!"):
            rest = rest[:last_line_start].rstrip()
            continue
        return attrs


def _attribute_start(text: str) -> int | None:
    """Where the attribute ending `text` starts (its `#[`), counting brackets outside strings."""
    depth = 0
    i = len(text) - 1
    while i >= 0:
        c = text[i]
        if c == '"':  # skip back over a string
            i -= 1
            while i >= 0 and not (text[i] == '"' and (i == 0 or text[i - 1] != "\\")):
                i -= 1
        elif c == "]":
            depth += 1
        elif c == "[":
            depth -= 1
            if depth == 0:
                return i - 1 if i >= 1 and text[i - 1] == "#" else None
        i -= 1
    return None


def _ignore_in(attr: str) -> tuple[str | None, str | None] | None:
    """(reason, condition) when the attribute ignores the test; None when it does not."""
    inner = attr[2:-1].strip()
    plain = re.fullmatch(r"ignore\s*(?:=\s*(\".*\"))?", inner, flags=re.S)
    if plain:
        return _string(plain[1]), None
    cfg = re.fullmatch(r"cfg_attr\s*\((.*)\)", inner, flags=re.S)
    if not cfg:
        return None
    parts = _split_top(cfg[1])
    for part in parts[1:]:
        one = re.fullmatch(r"ignore\s*(?:=\s*(\".*\"))?", part.strip(), flags=re.S)
        if one:
            return _string(one[1]), " ".join(parts[0].split())
    return None


def _string(literal: str | None) -> str | None:
    if literal is None:
        return None
    match = _STRING.fullmatch(literal.strip())
    if match is None:
        return literal
    return re.sub(r"\\(.)", r"\1", match[1])


def _split_top(text: str) -> list[str]:
    """`a(b, c), d` -> [`a(b, c)`, `d`]: commas outside brackets and strings."""
    parts, depth, start, quoted = [], 0, 0, False
    for i, c in enumerate(text):
        if quoted:
            if c == '"' and text[i - 1] != "\\":
                quoted = False
        elif c == '"':
            quoted = True
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _modules_at(text: str, pos: int) -> tuple[str, ...]:
    """The inline `mod NAME {` blocks open at `pos` (braces counted; strings and comments are
    not told apart, which is good enough for test modules)."""
    stack: list[tuple[str | None, int]] = []
    depth = 0
    tokens = re.finditer(r"\bmod\s+(\w+)\s*\{|[{}]", text[:pos])
    for token in tokens:
        if token[0] == "}":
            depth -= 1
            while stack and stack[-1][1] > depth:
                stack.pop()
        else:
            depth += 1
            stack.append((token[1], depth))
    return tuple(name for name, _ in stack if name)


# ------------------------------------------------------------------------------ doctests

# Info-string words that keep a code block Rust (rustdoc's own list); any other word (`toml`,
# `text`, `sh`) makes it another language's, which rustdoc does not test.
RUST_WORDS = frozenset(
    {
        "",
        "rust",
        "ignore",
        "should_panic",
        "no_run",
        "compile_fail",
        "test_harness",
        "allow_fail",
        "standalone_crate",
    }
)
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Fence:
    line: int  # of the opening fence, from 1, in the file
    info: str


def ignored_fences(doc_lines: Sequence[tuple[int, str]]) -> list[Fence]:
    """The ignored Rust code blocks among `(line number, Markdown line)`."""
    found = []
    open_fence: str | None = None
    for number, line in doc_lines:
        match = _FENCE.match(line)
        if open_fence is not None:
            if (
                match
                and match["fence"][0] == open_fence[0]
                and len(match["fence"]) >= len(open_fence)
                and not match["info"].strip()
            ):
                open_fence = None
            continue
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            continue
        open_fence = match["fence"]
        info = match["info"].strip()
        words = [w for w in re.split(r"[,\s]+", info) if w]
        if "ignore" in words and all(_rust_word(w) for w in words):
            found.append(Fence(number, info))
    return found


def _rust_word(word: str) -> bool:
    return (
        word in RUST_WORDS
        or re.fullmatch(r"edition\d{4}", word) is not None
        or word.startswith(("ignore-", "{", "}", "."))
    )


def doc_comment_blocks(text: str) -> list[list[tuple[int, str]]]:
    """The Markdown of each run of `///` or `//!` comment lines, each line with its number: each
    run is its own document (a code block never spans two)."""
    blocks: list[list[tuple[int, str]]] = []
    previous = 0
    for number, line in enumerate(text_lines(text), start=1):
        stripped = line.lstrip()
        if stripped.startswith(("///", "//!")) and not stripped.startswith("////"):
            if number != previous + 1 or not blocks:
                blocks.append([])
            body = stripped[3:]
            blocks[-1].append((number, body[1:] if body.startswith(" ") else body))
            previous = number
    return blocks


def included_docs(text: str) -> list[str]:
    """Files a source includes as documentation: `#[doc = include_str!("…")]`, `#![doc = …]`."""
    pattern = r"#!?\[\s*doc\s*=\s*include_str!\s*\(\s*\"((?:[^\"\\]|\\.)*)\"\s*\)\s*\]"
    return re.findall(pattern, text)
