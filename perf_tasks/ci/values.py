"""The checks of a value that goes into a workflow file unquoted: a branch, a Python version, a
path pattern, a cron line, a pip requirement. Each wrong value is one line (`ConfigError`).

Below both `settings.py` (which checks `[ci]` with them) and `ci/options.py`: it imports neither.
"""

from __future__ import annotations

import re

from perf_tasks.errors import ConfigError

# A shell pattern as `case` reads it, without quoting: no space, `|`, `)`, `$`, quote or `;`.
_PATTERN = re.compile(r"[A-Za-z0-9_.*?/\[\]!+@%=-]+")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,-]+")
_NAME = re.compile(r"[A-Za-z0-9_.*/+@%=-]+")  # a branch, a Python version, a profile


def check_workflow_word(value: str, *, what: str, example: str) -> None:
    """A branch or a Python version, as a workflow takes it unquoted."""
    _match(_NAME, value, what=what, example=example)


def check_path_pattern(value: str, *, what: str, example: str = "*.rs") -> None:
    """A pattern of `rust_paths` (or a path), as the workflow's `case` reads it unquoted."""
    _match(_PATTERN, value, what=what, example=example)


def check_cron(value: str, *, what: str) -> None:
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.fullmatch(f) for f in fields):
        raise ConfigError(
            f"{what} = {value!r} is not a cron line of 5 fields, such as '17 4 * * *'"
        )


def check_requirement(spec: str, *, what: str) -> str:
    """A pip requirement on one line that GitHub will not evaluate: `perf-tasks==0.1.0`,
    `perf-tasks @ git+https://host/org/perf-tasks@<sha>`, a wheel's path."""
    if not spec.strip() or not spec.isprintable() or "${{" in spec:
        raise ConfigError(
            f"{what} = {spec!r} is not a pip requirement on one line (and no '${{{{'): "
            "use e.g. 'perf-tasks @ git+https://…/perf-tasks@<commit>'"
        )
    return spec.strip()


# OWNER/REPO (or OWNER/REPO/PATH) @ a full commit: a tag or a branch can be moved to other code.
_ACTION = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}")


def check_action(ref: str, *, what: str) -> str:
    """The perf-tasks action a workflow `uses:`, pinned to a commit."""
    if not _ACTION.fullmatch(ref.strip()):
        raise ConfigError(
            f"{what} = {ref!r} is not an action pinned to a commit: write OWNER/REPO@<40-hex "
            "commit> of a perf-tasks repository, e.g. 'example/perf-tasks@<sha>'"
        )
    return ref.strip()


def _match(pattern: re.Pattern[str], value: str, *, what: str, example: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(
            f"{what} = {value!r} holds a character a workflow cannot take as is; e.g. {example!r}"
        )
