"""A character that is not shown as itself, written as the escape that YAML's double-quoted style
and Python's string literals both read: `\\xNN` up to U+00FF, `\\uNNNN` up to U+FFFF, else one
`\\UNNNNNNNN` (never a JSON surrogate pair)."""

from __future__ import annotations


def code_point(ch: str) -> str:
    """The escape of the one character `ch`."""
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
