"""Cutting a user's text into lines as its own tools do.

TOML, YAML, JSON Lines and Markdown end a line at `\n` (a `\r\n` ends with it). `str.splitlines()`
also splits on U+2028, U+2029, U+0085, `\x0b`, `\x0c` and `\x1c`-`\x1e`, which these formats allow
inside strings and comments: never use it on a user's file.
"""

from __future__ import annotations


def lines(text: str) -> list[str]:
    """The lines of `text` without their `\n` (a final `\n` starts no empty last line)."""
    if not text:
        return []
    parts = text.split("\n")
    return parts[:-1] if parts[-1] == "" else parts


def keep_ends(text: str) -> list[str]:
    """The lines of `text`, each with its `\n`; `"".join(keep_ends(t)) == t`."""
    out = [line + "\n" for line in text.split("\n")]
    out[-1] = out[-1][:-1]
    return out if out[-1] else out[:-1]
