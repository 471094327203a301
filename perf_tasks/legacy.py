"""The old cleanup scripts' flags, translated to tasks, so that habits and cron jobs keep working.

    scripts/auto_cleanup.sh [--target | --nuke] [--dry-run]   -> clean | clean.target | clean.nuke
    scripts/cleanup_old_runs.sh [--dry-run]                   -> clean.runs
    scripts/clean_build_cache.sh [--dry-run]                  -> clean.cache

The workspace is `$PERF_TASKS_ROOT` or the current directory, as the scripts had it. Old scripts
never
asked before deleting, so `--nuke` passes `--yes`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

SCRIPTS = {
    "auto_cleanup": ("--target", "--nuke", "--dry-run"),
    "cleanup_old_runs": ("--dry-run",),
    "clean_build_cache": ("--dry-run",),
}


class UsageError(Exception):
    pass


def translate(script: str, flags: Sequence[str]) -> list[str]:
    """The `perf-tasks` arguments for an old script's invocation. Pure; raises UsageError."""
    if script not in SCRIPTS:
        raise UsageError(f"unknown script {script!r}; known: {', '.join(SCRIPTS)}")
    allowed = SCRIPTS[script]
    for flag in flags:
        if flag not in allowed:
            raise UsageError(
                f"{script}.sh: unknown option {flag!r}; use {' '.join(allowed)} "
                "(or run perf-tasks directly: `perf-tasks --list`)"
            )
    if "--target" in flags and "--nuke" in flags:
        raise UsageError(f"{script}.sh: --target and --nuke exclude each other; pick one")
    if script == "auto_cleanup":
        task = (
            "clean.nuke"
            if "--nuke" in flags
            else "clean.target"
            if "--target" in flags
            else "clean"
        )
    else:
        task = {"cleanup_old_runs": "clean.runs", "clean_build_cache": "clean.cache"}[script]
    argv = [task]
    if "--dry-run" in flags:
        argv.append("--dry-run")
    elif task == "clean.nuke":
        argv.append("--yes")
    return argv


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.exit("usage: python -m perf_tasks.legacy SCRIPT [FLAGS...]")
    script, flags = args[0], args[1:]
    if flags in (["-h"], ["--help"]):
        print(__doc__)
        return
    try:
        task_argv = translate(script, flags)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    from perf_tasks.program import program

    program().run(["perf-tasks", *task_argv])


if __name__ == "__main__":
    main()
