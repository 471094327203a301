"""What a test command line asks for, as `ci.audit` (workflow steps) and `doctor` (scripts,
nextest's config, cargo's aliases) read it: one pattern, so that both see the same flags."""

from __future__ import annotations

import re

# Ignored tests asked for: `--include-ignored` (libtest), `--run-ignored all|only|ignored-only`
# (nextest; `default` runs only what is not ignored), `-- --ignored` (libtest: ignored only).
RUNS_IGNORED = re.compile(
    r"--include-ignored\b|--run-ignored(?:=|\s+)[\"']?(?!default\b)[\w-]+|\s--ignored\b"
)


def runs_ignored(command: str) -> str | None:
    """The flag of `command` that runs ignored tests (`--include-ignored`, `--run-ignored all`),
    or None."""
    found = RUNS_IGNORED.search(f" {command}")
    return None if found is None else found[0].strip()
