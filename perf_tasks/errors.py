"""The errors a user can see, and the exit codes they map to.

Each error carries a message that says what to do. Tasks turn them into one line and an exit code;
anything else keeps its traceback, because then it is our bug.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    INCOMPLETE = 1  # an item of the plan was not removed, or a measured thing regressed / failed
    USAGE = 2  # bad usage or configuration
    INTERRUPTED = 130


class PerfTasksError(Exception):
    """Base of every error meant for the user."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(PerfTasksError):
    """The settings file or a flag is wrong."""


class UsageError(PerfTasksError):
    """Flags that contradict each other, or a run that needs what it does not have (a terminal)."""


class WorkspaceError(PerfTasksError):
    """The root is not a usable Rust workspace."""


class UnsafePathError(PerfTasksError):
    """A path is outside what we may touch."""


class ToolMissing(PerfTasksError):
    """A program we need (cargo, git, ...) is not installed."""


class CommandFailed(PerfTasksError):
    """A command we ran failed; the message carries its last lines."""

    exit_code = ExitCode.INCOMPLETE


class Declined(PerfTasksError):
    """The user answered no: nothing was done."""

    exit_code = ExitCode.INCOMPLETE


class Busy(PerfTasksError):
    """Another run of this tool holds the workspace."""

    exit_code = ExitCode.INCOMPLETE


class EditRefused(PerfTasksError):
    """A file we were asked to edit cannot be edited without changing more than asked."""


class FileExists(PerfTasksError):
    """A file we would create is already there, and replacing it was not asked for (--force)."""


class WriteFailed(PerfTasksError):
    """A file could not be written (a full disk, no permission); nothing was half-written."""

    exit_code = ExitCode.INCOMPLETE
