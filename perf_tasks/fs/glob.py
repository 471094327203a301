"""Shell-style globs over relative posix paths: `*` stays in one segment, `**` spans any number."""

from __future__ import annotations

import re
from functools import lru_cache


def glob_match(pattern: str, rel_path: str) -> bool:
    """Shell-style glob over a relative path: `*` stays in one segment, `**` spans any number."""
    return _glob_regex(pattern).fullmatch(rel_path) is not None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))
