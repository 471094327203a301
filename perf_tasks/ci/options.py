"""From a workspace's settings (and the flags) to the workflows' `Options`, every value checked.

A value goes into a workflow file and, for some, into a shell line or an `env:` value: a newline, a
`${{` (GitHub would evaluate it) or a character the shell reads specially is refused with one line.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from perf_tasks.ci.values import check_path_pattern, check_requirement
from perf_tasks.ci.workflows import Options
from perf_tasks.errors import ConfigError
from perf_tasks.settings import Ci, Settings


def default_install() -> str:
    """This version of perf-tasks, from the package index pip is set up with."""
    from perf_tasks import __version__

    return f"perf-tasks=={__version__}"


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
    ours = PurePosixPath(settings.monitor.dir).as_posix()
    theirs = PurePosixPath(settings.ci.monitor_dir).as_posix()
    if theirs not in (ours, PurePosixPath(Ci().monitor_dir).as_posix()):
        raise ConfigError(
            f"{settings.source}: ci.monitor_dir = {settings.ci.monitor_dir!r} but perf-tasks "
            f"monitor writes to [monitor] dir = {settings.monitor.dir!r}: set [monitor] dir "
            "(the workflows follow it) and drop ci.monitor_dir"
        )
    check_path_pattern(ours, what=f"{settings.source}: monitor.dir", example="docs/perf")
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
