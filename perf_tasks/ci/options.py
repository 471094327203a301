"""From a workspace's settings (and the flags) to the workflows' `Options`, every value checked.

A value goes into a workflow file and, for some, into a shell line or an `env:` value: a newline, a
`${{` (GitHub would evaluate it) or a character the shell reads specially is refused with one line.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from perf_tasks.ci.workflows import Options
from perf_tasks.errors import ConfigError

if TYPE_CHECKING:
    from perf_tasks.settings import Settings

# A shell pattern as `case` reads it, without quoting: no space, `|`, `)`, `$`, quote or `;`.
_PATTERN = re.compile(r"[A-Za-z0-9_.*?/\[\]!+@%=-]+")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,-]+")
_NAME = re.compile(r"[A-Za-z0-9_.*/+@%=-]+")  # a branch, a Python version, a profile


def default_install() -> str:
    """This version of perf-tasks, from the package index pip is set up with."""
    from perf_tasks import __version__

    return f"perf-tasks=={__version__}"


def check_workflow_word(value: str, *, what: str, example: str) -> None:
    """A branch or a Python version, as a workflow takes it unquoted."""
    _match(_NAME, value, what=what, example=example)


def check_path_pattern(value: str, *, what: str) -> None:
    """A pattern of `rust_paths`, as the workflow's `case` reads it unquoted."""
    _match(_PATTERN, value, what=what, example="*.rs")


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


def _match(pattern: re.Pattern[str], value: str, *, what: str, example: str) -> None:
    if not pattern.fullmatch(value):
        raise ConfigError(
            f"{what} = {value!r} holds a character a workflow cannot take as is; e.g. {example!r}"
        )


def options(root: Path, settings: Settings, *, install: str | None = None) -> Options:
    """The workflows' options for the workspace at `root`: settings, then flags."""
    ci = settings.ci
    monitor_dir = _monitor_dir(settings)
    for value, what in (
        (settings.baseline.dir, "baseline.dir"),
        (settings.monitor.chart, "monitor.chart"),
    ):  # both go into a `run:` line and an upload's path: GitHub would evaluate a `${{`
        if "${{" in value or not value.isprintable():
            raise ConfigError(
                f"{settings.source}: {what} = {value!r} holds '${{{{' or a control character, "
                "which a workflow cannot take as is"
            )
    spec = ci.install or default_install()
    if install is not None:
        spec = check_requirement(install, what="--install")
    return Options(
        install=spec,
        nextest=ci.nextest,
        python=ci.python,
        branches=tuple(ci.branches),
        cron=" ".join(ci.cron.split()),
        rust_paths=tuple(ci.rust_paths),
        junit=junit(root, profile="ci"),
        performance_dir=PurePosixPath(settings.baseline.dir).as_posix(),
        monitor_dir=monitor_dir,
        chart_name=settings.monitor.chart,
    )


def _monitor_dir(settings: Settings) -> str:
    """Where `perf-tasks monitor` writes: its `[monitor] dir`. `[ci] monitor_dir` may only repeat
    it; a different one would cache and upload a folder the monitor never writes."""
    from perf_tasks.settings import Ci

    ours = PurePosixPath(settings.monitor.dir).as_posix()
    theirs = PurePosixPath(settings.ci.monitor_dir).as_posix()
    if theirs not in (ours, PurePosixPath(Ci().monitor_dir).as_posix()):
        raise ConfigError(
            f"{settings.source}: ci.monitor_dir = {settings.ci.monitor_dir!r} but perf-tasks "
            f"monitor writes to [monitor] dir = {settings.monitor.dir!r}: set [monitor] dir "
            "(the workflows follow it) and drop ci.monitor_dir"
        )
    _match(_PATTERN, ours, what=f"{settings.source}: monitor.dir", example="docs/perf")
    return ours


def junit(root: Path, *, profile: str) -> str:
    """Where nextest writes `profile`'s JUnit report in CI, relative to the root: its store dir
    (`target/nextest` unless `.config/nextest.toml` says else), the profile, `junit.path`."""
    from perf_tasks.measure.nextest_runs import junit_path, workspace_config

    path = junit_path(
        workspace_config(root), profile=profile, root=root, store_dir=root / "target" / "nextest"
    )
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
