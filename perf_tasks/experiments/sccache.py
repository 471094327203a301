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
import shutil
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perf_tasks import command
from perf_tasks.errors import CommandFailed, ToolMissing

INSTALL_HINT = "pip install 'perf-tasks[cache]'"
# A server whose run was killed (SIGKILL, a power cut) ends itself after this idle time.
IDLE_TIMEOUT_S = 600
# Keys a run writes to a shared Redis expire on their own: the experiment's cache is not the team's.
REDIS_EXPIRATION_S = 3600
STOP_TIMEOUT_S = 30.0


def find(env: Mapping[str, str]) -> str:
    """The sccache program on `env`'s PATH, or one line naming the extra that installs it."""
    found = shutil.which("sccache", path=env.get("PATH"))
    if found is None:
        raise ToolMissing(f"sccache is not installed: cache.compare measures it ({INSTALL_HINT})")
    return found


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        stats = data["stats"]
    except (ValueError, KeyError, TypeError):
        raise CommandFailed("sccache --show-stats printed no statistics") from None

    def total(name: str) -> int:
        counts = (stats.get(name) or {}).get("counts") or {}
        return sum(int(v) for v in counts.values() if isinstance(v, int))

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
        """Stop the server on our port; a server that is not running is no error."""
        with contextlib.suppress(CommandFailed, ToolMissing):
            command.run(
                [self.program, "--stop-server"],
                cwd=cwd,
                env=self.env(base),
                timeout_s=STOP_TIMEOUT_S,
                what=f"sccache --stop-server (port {self.port})",
            )

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


@contextlib.contextmanager
def stopped_after(servers: list[Server], base: Mapping[str, str], *, cwd: Path) -> Iterator[None]:
    """Every server in `servers` (the list may grow inside) is stopped on the way out, however
    the block ends: an error, Ctrl-C, SIGTERM (`proc.Stopped` unwinds through here)."""
    try:
        yield
    finally:
        for server in servers:
            server.stop(base, cwd=cwd)
