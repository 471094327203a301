"""actionlint and zizmor, when they are on PATH (the `audit` extra installs both): what they say
about the files, as findings of their own. Not installed: nothing, and the audit says so. Installed
but broken (a failed exit, a crash, output that is not their JSON, a timeout): one note naming the
tool and why, since a silent gap would pass for "nothing found"."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from perf_tasks.ci.audit.model import ERROR, NOTE, P3, WARNING, Finding
from perf_tasks.command import run
from perf_tasks.errors import CommandFailed, ToolMissing

TIMEOUT_S = 120.0


def available(name: str, env: Mapping[str, str]) -> str | None:
    return shutil.which(name, path=env.get("PATH"))


class LinterFailed(Exception):
    """The linter ran but gave no answer we can read: the message says why, in one line."""


# actionlint: 0 nothing found, 1 problems found (2 bad flags, 3 a fatal error).
# zizmor: 0 nothing found, 10-14 findings by their highest severity (1 a fatal error, 2 bad flags).
ACTIONLINT_ANSWERS = (0, 1)
ZIZMOR_ANSWERS = (0, *range(10, 15))


def lint(
    name: str, argv: Sequence[str], *, root: Path, env: Mapping[str, str], answers: Sequence[int]
) -> list[Any]:
    """The JSON list a linter prints; `LinterFailed` when it fails, crashes, times out or prints
    something else."""
    try:
        out = run(argv, cwd=root, env=env, timeout_s=TIMEOUT_S, what=name, ok_codes=answers)
    except (CommandFailed, ToolMissing) as exc:
        raise LinterFailed(_one_line(str(exc))) from None
    if out.code == 0 and not out.stdout.strip():
        return []
    try:
        found = json.loads(out.stdout)
    except ValueError:
        shown = _one_line(out.stdout) or "nothing"
        raise LinterFailed(f"{name} printed no JSON (exit {out.code}): {shown}") from None
    if found is None:  # Go's empty list
        return []
    if not isinstance(found, list):
        raise LinterFailed(f"{name} printed JSON that is not a list of findings")
    return found


def failed(name: str, root: Path, why: str) -> Finding:
    return Finding(
        "ci.linter-failed",
        P3,
        NOTE,
        root,
        None,
        f"{name} did not run through: its checks were skipped ({why})",
        f"run `{name}` on the workflows to see why; reinstall it (the `audit` extra) if it is "
        "broken, or take it off PATH",
    )


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    return " / ".join(lines[:1] + lines[-1:] if len(lines) > 1 else lines)[:300]


def actionlint(root: Path, files: Sequence[Path], env: Mapping[str, str]) -> list[Finding]:
    program = available("actionlint", env)
    if program is None or not files:
        return []
    argv = [program, "-format", "{{json .}}", *(f.relative_to(root).as_posix() for f in files)]
    try:
        found = lint("actionlint", argv, root=root, env=env, answers=ACTIONLINT_ANSWERS)
    except LinterFailed as exc:
        return [failed("actionlint", root, str(exc))]
    findings = []
    for item in found:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("kind", ""))
        findings.append(
            Finding(
                "ci.actionlint",
                P3,
                ERROR if kind in ("syntax-check", "yaml") else WARNING,
                root / str(item.get("filepath", "")),
                _int(item.get("line")),
                f"actionlint [{kind}]: {item.get('message', '')}",
                "see actionlint's message; `actionlint` on the file shows the place",
            )
        )
    return findings


# Security findings: only a high one is more than a note in a performance audit.
_ZIZMOR_LEVELS = {"high": WARNING}


def zizmor(root: Path, files: Sequence[Path], env: Mapping[str, str]) -> list[Finding]:
    program = available("zizmor", env)
    if program is None or not files:
        return []
    argv = [
        program,
        "--offline",
        "--format",
        "json",
        *(f.relative_to(root).as_posix() for f in files),
    ]
    try:
        found = lint("zizmor", argv, root=root, env=env, answers=ZIZMOR_ANSWERS)
    except LinterFailed as exc:
        return [failed("zizmor", root, str(exc))]
    findings = []
    for item in found:
        if not isinstance(item, dict):
            continue
        path, line = _zizmor_place(root, item)
        severity = str(_get(item, "determinations", "severity") or "").lower()
        findings.append(
            Finding(
                "ci.zizmor",
                P3,
                _ZIZMOR_LEVELS.get(severity, NOTE),
                path,
                line,
                f"zizmor [{item.get('ident', '')}]: {item.get('desc', '')}",
                f"see {item.get('url', 'zizmor')}",
            )
        )
    return findings


def _zizmor_place(root: Path, item: dict[str, Any]) -> tuple[Path, int | None]:
    for location in item.get("locations") or []:
        if _get(location, "symbolic", "kind") != "Primary":
            continue
        shown = _get(location, "symbolic", "key", "Local", "verbatim_path") or ""
        row = _get(location, "concrete", "location", "start_point", "row")
        return root / str(shown), (_int(row) + 1) if _int(row) is not None else None  # type: ignore[operator]
    return root, None


def _get(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
