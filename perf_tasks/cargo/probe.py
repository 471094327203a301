"""Run the configured cargo commands and read what they produce, without letting them compile.

Each command runs with JSON messages, in its own process group, with the caller's environment. We
watch both streams line by line. The moment cargo shows it has work to do (a `Compiling` status on
stderr, an artifact that is not fresh, a build script that just ran), the whole group is killed and
the probe says the build is not up to date: a keep-set is all or nothing. With `build=True` the
commands may compile; their messages then describe what they built.

Every path a message names is `lstat`ed when the message arrives, because an uplifted file
(`target/debug/foo`) is re-linked by each command that produces it, and it is the link at that
moment that tells which unit it came from.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from perf_tasks.cargo.messages import (
    ANSI,
    BLOCKING_STATUS,
    EXTERNAL_SUBCOMMANDS,
    WORK_STATUSES,
    Artifact,
    Finished,
    ScriptRun,
    json_command,
    parse_line,
    status_word,
)
from perf_tasks.errors import ConfigError
from perf_tasks.workspace import cargo_program

FRESH = "fresh"  # every command found everything up to date
BUILT = "built"  # --build: the commands ran and may have compiled
NOT_UP_TO_DATE = "not-up-to-date"
# Some command would compile, but cargo logged its whole plan before it started: the keep-set comes
# from that plan (docs/stale-sweep.md), if it agrees with every fresh artifact cargo reported.
PLANNED = "planned"
FAILED = "failed"
BUSY = "busy"

# cargo logs "fingerprint at: <path>" for every unit it plans, before it compiles any.
FINGERPRINT_LOG = "cargo::core::compiler::fingerprint=debug"
# The path ends the line, and may hold spaces (a workspace in "~/my projects/").
_FINGERPRINT_AT = re.compile(r"fingerprint at: (?P<path>/.*?)\s*$")
_TARGET = re.compile(r'\btarget="(?P<target>[^"]+)"')
_JOIN_TIMEOUT_S = 5.0
_TAIL_LINES = 6
# What a build script's run writes each time it runs (classic layout, then the new `run/` dir).
_RUN_FILES = ("invoked.timestamp", "output", "root-output", "stdout")


@dataclass(frozen=True)
class FileId:
    """A file as `lstat` saw it: enough to find its other hard links, and its age."""

    dev: int
    ino: int
    size: int
    mtime: float


@dataclass(frozen=True)
class PlannedUnit:
    """A unit cargo logged as planned ("fingerprint at: ..."), fresh or dirty."""

    fingerprint: Path  # `<profile>/.fingerprint/<pkg>-<hash>/<kind>-<target>`, or new layout's
    target: str  # the target's name as cargo logs it ("demo-cli", "build-script-build")


@dataclass(frozen=True)
class CommandOutput:
    argv: tuple[str, ...]  # as configured
    artifacts: tuple[Artifact, ...]
    scripts: tuple[ScriptRun, ...]
    seen: Mapping[Path, FileId] = field(default_factory=dict)
    # Every unit cargo planned for this command, from its fingerprint log. When `complete` is
    # False the command would have compiled and was stopped: only the plan tells what it builds.
    planned: tuple[PlannedUnit, ...] = ()
    complete: bool = True
    stopped_because: str = ""


@dataclass(frozen=True)
class Probe:
    status: str
    detail: str  # one line for the user; empty when all went well
    outputs: tuple[CommandOutput, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in (FRESH, BUILT, PLANNED)


StatusFn = Callable[[str], None]


def run_commands(
    commands: Sequence[Sequence[str]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    build: bool = False,
    on_status: StatusFn | None = None,
) -> Probe:
    """Run each command in turn; stop at the first that fails or is busy.

    Without `build`, a command that would compile is stopped at its first sign of work; its output
    is then `complete=False` and carries the units cargo planned, read from cargo's fingerprint log
    (`CARGO_LOG`), which cargo writes for every unit before it compiles anything. Whether that plan
    can be trusted is for the keep-set to judge (`keepset.build`).
    """
    check_aliases(commands, cwd=cwd, env=env)
    program = cargo_program(env)
    run_env = dict(env) if build else {**env, "CARGO_LOG": FINGERPRINT_LOG}
    outputs: list[CommandOutput] = []
    for argv in commands:
        result = _run_one(
            tuple(argv),
            json_command(argv, program=program),
            cwd=cwd,
            env=run_env,
            build=build,
            on_status=on_status,
        )
        if isinstance(result, Probe):
            return Probe(result.status, result.detail, tuple(outputs))
        outputs.append(result)
    if build:
        return Probe(BUILT, "", tuple(outputs))
    stopped = [o for o in outputs if not o.complete]
    if stopped:
        return Probe(PLANNED, stopped[0].stopped_because, tuple(outputs))
    return Probe(FRESH, "", tuple(outputs))


def check_aliases(commands: Sequence[Sequence[str]], *, cwd: Path, env: Mapping[str, str]) -> None:
    """Refuse a command whose subcommand a cargo alias redefines (ConfigError, before any run).

    cargo lets an alias override an external subcommand such as `clippy`, from `CARGO_ALIAS_<NAME>`
    or from `[alias]` in any config file it reads: `.cargo/config.toml` (or `.cargo/config`) in
    `cwd` and every parent, and in `$CARGO_HOME`. Built-in commands cannot be aliased.
    """
    subs = {argv[1] for argv in commands if len(argv) > 1} & EXTERNAL_SUBCOMMANDS
    for sub in sorted(subs):
        where = alias_source(sub, cwd=cwd, env=env)
        if where is not None:
            raise ConfigError(
                f"an alias `{sub}` in {where} redefines `cargo {sub}`, so the stale sweep will not "
                f"run it: remove `{sub}` from [stale] commands, or the alias"
            )


def alias_source(name: str, *, cwd: Path, env: Mapping[str, str]) -> str | None:
    """Where cargo would find an alias `name`, or None."""
    variable = f"CARGO_ALIAS_{name.upper().replace('-', '_')}"
    if variable in env:
        return f"${variable}"
    home = Path(env.get("CARGO_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cargo")
    folders = [folder / ".cargo" for folder in (cwd, *cwd.parents)] + [home]
    for folder in folders:
        for file in (folder / "config.toml", folder / "config"):
            if _defines_alias(file, name):
                return str(file)
    return None


def _defines_alias(file: Path, name: str) -> bool:
    import tomlkit
    from tomlkit.exceptions import ParseError

    from perf_tasks.fs.guarded import text_of

    try:
        text = text_of(file, shown=str(file), bom=True)  # cargo accepts a BOM
    except ConfigError:
        return False
    try:
        data = tomlkit.parse(text).unwrap()
    except ParseError as exc:
        raise ConfigError(
            f"{file}: not valid TOML ({exc}); cargo will not read it either"
        ) from None
    aliases = data.get("alias")
    return isinstance(aliases, dict) and name in aliases


def _run_one(
    argv: tuple[str, ...],
    full: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    build: bool,
    on_status: StatusFn | None,
) -> CommandOutput | Probe:
    shown = shlex.join(argv)
    started = time.time()
    artifacts: list[Artifact] = []
    scripts: list[ScriptRun] = []
    seen: dict[Path, FileId] = {}
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    planned: list[PlannedUnit] = []
    finished_ok: bool | None = None
    stop: Probe | None = None
    would_work = ""  # why the command was stopped: what it was about to do
    try:
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # one group: killing it stops rustc and build scripts too
        )
    except OSError as exc:
        return Probe(FAILED, f"cannot run `{shown}`: {exc.strerror or exc}")
    with _lines(proc) as lines:
        try:
            for stream, line in lines:
                if stream == "err":
                    text = line.rstrip("\n")
                    unit = None if build else _planned_unit(text)
                    if unit is not None:
                        planned.append(unit)
                        continue
                    tail.append(text)
                    word = status_word(text)
                    if build:
                        if on_status is not None and word:
                            on_status(text)
                    elif word in WORK_STATUSES:
                        would_work = f"`{shown}` would compile: {text.strip()}"
                    elif word == BLOCKING_STATUS and "package cache" not in text:
                        # Another cargo holds this target or build dir. (The package cache of
                        # CARGO_HOME is not ours to judge: cargo waits for it, and so do we.)
                        stop = Probe(BUSY, f"`{shown}` waits for a lock: {text.strip()}")
                else:
                    message = parse_line(line)
                    if isinstance(message, Artifact):
                        artifacts.append(message)
                        for path in message.paths:
                            file_id = _file_id(path)
                            if file_id is not None:
                                seen[path] = file_id
                        if not message.fresh and not build:
                            would_work = (
                                f"`{shown}` would compile {message.crate_name} "
                                f"({message.package_id})"
                            )
                    elif isinstance(message, ScriptRun):
                        scripts.append(message)
                        if not build and _ran_since(message.out_dir, started):
                            would_work = (
                                f"`{shown}` would run the build script of {message.package_id}"
                            )
                    elif isinstance(message, Finished):
                        finished_ok = message.success
                if stop is not None:
                    _kill(proc)
                    return stop
                if would_work:
                    _kill(proc)
                    # What cargo wrote before it was stopped is still in the pipes: read it all,
                    # so that no planned unit is missed whichever stream spoke first.
                    for rest_stream, rest in lines:
                        unit = _planned_unit(rest) if rest_stream == "err" else None
                        if unit is not None:
                            planned.append(unit)
                    return CommandOutput(
                        argv,
                        tuple(artifacts),
                        tuple(scripts),
                        seen,
                        tuple(planned),
                        complete=False,
                        stopped_because=would_work,
                    )
        finally:
            if proc.poll() is None:  # interrupted, or one of our own errors: leave nothing running
                _kill(proc)
    code = proc.wait()
    if code != 0 or finished_ok is False:
        last = " / ".join(t.strip() for t in tail if t.strip()) or "no output"
        return Probe(FAILED, f"`{shown}` failed (exit {code}): {last}")
    return CommandOutput(argv, tuple(artifacts), tuple(scripts), seen, tuple(planned))


def _planned_unit(line: str) -> PlannedUnit | None:
    """A "fingerprint at: <path>" line of cargo's log, read; None for any other line."""
    if "fingerprint at: " not in line:
        return None
    at = _FINGERPRINT_AT.search(ANSI.sub("", line))
    target = _TARGET.search(line)
    if at is None:
        return None
    return PlannedUnit(Path(at["path"]), target["target"] if target else "")


@contextlib.contextmanager
def _lines(proc: subprocess.Popen[bytes]) -> Iterator[Iterator[tuple[str, str]]]:
    """Lines of stdout ("out") and stderr ("err") as they come, from two reader threads."""
    inbox: queue.Queue[tuple[str, str | None]] = queue.Queue()

    def pump(name: str, pipe: IO[bytes] | None) -> None:
        if pipe is None:
            inbox.put((name, None))
            return
        try:
            for raw in iter(pipe.readline, b""):
                inbox.put((name, raw.decode("utf-8", errors="replace")))
        except (OSError, ValueError):
            pass
        finally:
            inbox.put((name, None))

    threads = [
        threading.Thread(target=pump, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=pump, args=("err", proc.stderr), daemon=True),
    ]
    for thread in threads:
        thread.start()

    def read() -> Iterator[tuple[str, str]]:
        open_streams = len(threads)
        while open_streams:
            name, line = inbox.get()
            if line is None:
                open_streams -= 1
                continue
            yield name, line

    try:
        yield read()
    finally:
        for thread in threads:
            thread.join(timeout=_JOIN_TIMEOUT_S)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop cargo and everything it started (rustc, build scripts) at once, then reap it.

    SIGKILL goes to the whole group before cargo is reaped, so the group id cannot have been reused.
    Cargo is made to be stopped at any point: a unit cut short has no fingerprint and is redone.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _file_id(path: Path) -> FileId | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return FileId(st.st_dev, st.st_ino, st.st_size, st.st_mtime)


def _ran_since(out_dir: Path, started: float) -> bool:
    """Did this build script run during our command? Its run files are then newer than the start."""
    for folder in (out_dir.parent, out_dir.parent / "run"):
        for name in _RUN_FILES:
            try:
                if (folder / name).stat().st_mtime >= started:
                    return True
            except OSError:
                continue
    return False
