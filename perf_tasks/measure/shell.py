"""A command as a person types it in the workspace root, for records, messages and dry runs."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path


def shell_line(argv: Sequence[str], root: Path) -> str:
    """`cargo` and `cargo-nextest` by name, the root as $PWD (unless the root needs quoting, then
    as itself)."""
    words = list(argv)
    if words:
        words[0] = program_word(words[0])
    return " ".join(shell_path(shlex.quote(w), root) for w in words)


def program_word(program: str) -> str:
    """`cargo` and `cargo-nextest` by name, wherever they were found; any other program as is."""
    name = Path(program).name
    return name if name in ("cargo", "cargo-nextest") else program


def shell_path(text: str, root: Path) -> str:
    """`text` with the root written as $PWD, when the root can be written bare."""
    if shlex.quote(str(root)) != str(root):
        return text
    return text.replace(str(root), "$PWD")
