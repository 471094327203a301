"""The `perf-tasks` console script: the same collections, for repos without our tasks.py.

It is invoke's `Program` with only the core flags that mean something here. invoke's others
(`--dry`, `--echo`, `--pty`, `--warn-only`, ...) steer `c.run`, which no task of ours uses; `--dry`
in particular reads like a dry run and is not one. A flag that is not shown is not parsed either,
and a command line that does not parse exits 2. No invoke configuration file or variable is read.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from typing import Any, NoReturn

from invoke.config import Config
from invoke.exceptions import Exit, ParseError
from invoke.parser.argument import Argument
from invoke.parser.context import ParserContext
from invoke.program import Program

from perf_tasks import __version__
from perf_tasks.errors import ExitCode
from perf_tasks.tasks import namespace

PROGRAM = "perf-tasks"

# The core flags perf-tasks keeps; invoke's parse step reads a few others, which read as unset.
CORE_FLAGS = frozenset(
    {
        "complete",
        "debug",
        "help",
        "list",
        "list-depth",
        "list-format",
        "print-completion-script",
        "version",
    }
)


class _CoreArgs:
    """invoke's parsed core flags, where a flag we do not offer reads as never given."""

    def __init__(self, parsed: Any) -> None:
        self._parsed = parsed

    def __getitem__(self, name: str) -> Argument:
        if name in self._parsed:
            found: Argument = self._parsed[name]
            return found
        return Argument(names=(name,))

    def __getattr__(self, name: str) -> Argument:
        return self[name]

    def __contains__(self, name: str) -> bool:
        return name in self._parsed


class OwnConfig(Config):
    """perf-tasks reads only its own settings (`perf-tasks.toml`, `--root`, `PERF_TASKS_ROOT`):
    no invoke.yaml of the system, the user or the project, and no `INVOKE_*` variables.

    `perf.program` names the program in messages ("run `perf-tasks baseline` first"); under
    invoke it is unset, and tasks say `invoke`."""

    @staticmethod
    def global_defaults() -> dict[str, Any]:
        defaults: dict[str, Any] = Config.global_defaults()
        defaults["perf"] = {"program": PROGRAM}
        return defaults

    def load_system(self, merge: bool = True) -> None:
        self._nothing(merge)

    def load_user(self, merge: bool = True) -> None:
        self._nothing(merge)

    def load_project(self, merge: bool = True) -> None:
        self._nothing(merge)

    def load_runtime(self, merge: bool = True) -> None:
        self._nothing(merge)

    def load_shell_env(self) -> None:
        self.merge()

    def _nothing(self, merge: bool) -> None:
        if merge:
            self.merge()


# One rule for every flag that takes a value: empty is a mistake (`--root "$UNSET"`,
# `--budget=`), never a way to ask for the default, which leaving the flag out gives.
_EMPTY = "{flag} is empty (an unset variable?): give it a value, or leave it out for its default"


def empty_flag(context: ParserContext) -> str | None:
    """The first flag of a parsed task that was given an empty (or blank) value, or None."""
    for flag, arg in context.flags.items():
        if not arg.takes_value or not arg.got_value:
            continue
        given = arg.raw_value if isinstance(arg.raw_value, list) else [arg.raw_value]
        if any(isinstance(v, str) and not v.strip() for v in given):
            return str(flag)
    return None


def _empty_in(words: list[str]) -> str:
    """The flag given an empty value on a command line (`--runs=`, `--runs ""`)."""
    for word, after in itertools.pairwise([*words, "-"]):
        if word.startswith("--") and word.endswith("="):
            return word[:-1]
        if word.startswith("-") and not after:
            return word
    return "a number flag"


def _flag_given(words: list[str], value: str) -> str:
    """The flag given `value` on a command line (`--runs x`, `--runs=x`), else "a flag"."""
    for word, after in itertools.pairwise([*words, ""]):
        if word.startswith("--") and word.endswith(f"={value}"):
            return word.partition("=")[0]
        if word.startswith("-") and after == value:
            return word
    return "a flag"


# What `perf-tasks`, `-h` and `--help` print above invoke's core options: what the tool is, the
# flags every task shares, and where the menu and a task's own help are.
ABOUT = """\
perf-tasks: machine-level performance work for a Rust workspace. Clean what builds leave behind,
measure builds, tests and disks, and guard the figures in CI; the workspace's code is never touched.

Usage: perf-tasks [--core-opts] <task> [--task-opts] ...
       perf-tasks --list            the menu of tasks, each in one line
       perf-tasks <task> --help     a task's own flags (or: perf-tasks --help <task>)

Flags most tasks take:
  -r PATH, --root=PATH   the workspace (default: $PERF_TASKS_ROOT, else the current dir)
  -d, --dry-run          show the full plan or the files it would write; change nothing
  -j, --json             only one JSON document on stdout (the rest goes to stderr)
Exit codes: 0 done, 1 a failure or a finding (a regression, a breach), 2 bad usage or
configuration, 130 interrupted. docs/usage/ in the perf-tasks repository explains each task.
"""


class PerfTasksProgram(Program):
    def print_help(self) -> None:
        """ABOUT instead of invoke's usage line, then its core options and the menu."""
        print(ABOUT)
        print("Core options:\n")
        self.print_columns(self.initial_context.help_tuples())
        self.list_tasks()

    def core_args(self) -> list[Argument]:
        return [arg for arg in super().core_args() if arg.name in CORE_FLAGS]

    @property
    def args(self) -> Any:
        return _CoreArgs(self.core[0].args)

    def parse_tasks(self) -> None:
        try:
            super().parse_tasks()
        except ParseError as exc:
            if asked := self._help_asked_for():
                # `TASK --help` of a task with positional arguments (`profiles.compare A B`):
                # invoke's parser wants them before it sees the flag; the help needs none.
                self.print_task_help(asked)
                raise Exit(code=0) from None
            self._usage_error(f"{exc}", "See `perf-tasks --list` and `perf-tasks --help TASK`.")
        except ValueError as exc:  # a number flag given text: invoke's int() said no
            if str(exc).endswith(": ''"):  # int(""): name the flag from the command line
                self._usage_error(_EMPTY.format(flag=_empty_in(self.argv[1:])), "", error=True)
            kind = "a number" if "to float" in str(exc) else "a whole number"
            text = str(exc).rpartition(": ")[2].strip("'\"")
            flag = _flag_given(self.argv[1:], text)
            self._usage_error(f"{flag} takes {kind}, not {text!r}", "See `perf-tasks --help TASK`.")
        for context in self.tasks:
            if blank := empty_flag(context):
                self._usage_error(_EMPTY.format(flag=blank), "", error=True)

    def _help_asked_for(self) -> str | None:
        """The task whose help `TASK --help` (or `-h`) asks for, when the command line does."""
        words = self.argv[1:]
        if not any(word in ("--help", "-h") for word in words):
            return None
        names = self.collection.task_names
        return next(
            (
                word
                for word in words
                if word in names or any(word in aliases for aliases in names.values())
            ),
            None,
        )

    def _usage_error(self, message: str, hint: str, *, error: bool = False) -> NoReturn:
        """Exit 2 with the message; under `--json` (which the tasks could not see, as their flags
        did not parse) stdout also gets the JSON error document every failure gets."""
        if any(arg in ("--json", "-j") for arg in self.argv[1:]):
            from perf_tasks.ui.output import Output, error_json

            Output(json=True).emit_json(error_json("usage", message))
        # `error`: a line like a task's own error (`error: --root is empty ...`), not a parse error
        shown = f"error: {message}" if error else message
        raise Exit(f"{shown}\n{hint}" if hint else shown, code=int(ExitCode.USAGE))

    def parse_cleanup(self) -> None:
        try:
            super().parse_cleanup()
        except ParseError as exc:
            raise Exit(str(exc), code=int(ExitCode.USAGE)) from None


def program() -> Program:
    return PerfTasksProgram(
        namespace=namespace(),
        name=PROGRAM,
        binary=PROGRAM,
        # the completion scripts name the program, however it was started (`python -m perf_tasks`)
        binary_names=[PROGRAM],
        version=__version__,
        config_class=OwnConfig,
    )


def main() -> None:
    try:
        program().run()
    except BrokenPipeError:  # `perf-tasks --help | head`: the reader has gone, as with SIGPIPE
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        sys.exit(128 + signal.SIGPIPE)
