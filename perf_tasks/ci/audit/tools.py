"""actionlint and zizmor, when they are on PATH (the `audit` extra installs both): what they say
about the files, as findings of their own. Not installed: nothing, and the audit says so."""

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


def actionlint(root: Path, files: Sequence[Path], env: Mapping[str, str]) -> list[Finding]:
    program = available("actionlint", env)
    if program is None or not files:
        return []
    argv = [program, "-format", "{{json .}}", *(f.relative_to(root).as_posix() for f in files)]
    try:
        out = run(argv, cwd=root, env=env, timeout_s=TIMEOUT_S, what="actionlint", ok_codes=(0, 1))
        found = json.loads(out.stdout or "[]")
    except (CommandFailed, ToolMissing, ValueError):
        return []
    findings = []
    for item in found if isinstance(found, list) else []:
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
        out = run(argv, cwd=root, env=env, timeout_s=TIMEOUT_S, what="zizmor", ok_codes=range(256))
        found = json.loads(out.stdout or "[]")
    except (CommandFailed, ToolMissing, ValueError):
        return []
    findings = []
    for item in found if isinstance(found, list) else []:
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
