"""`cache.compare`: does a compile cache (sccache) make this workspace's cold build faster?

Three arms build the workspace from an empty target dir, in interleaved rounds (each round runs
every arm once, in a rotating order, so no arm always goes first):

- `none`: no cache;
- `empty`: sccache with an empty cache (what the first build after setting it up pays);
- `warm`: sccache with the cache filled, before the rounds, by a build of the same revision in
  another target dir (what a second machine, or the next CI run, gets).

The ratios empty/none and warm/none are judged pair by pair by the A/B engine's statistics (a
round's runs are a pair). The cache is recommended only when the warm build's wall-time interval is
wholly below the threshold.

What must hold for the numbers to mean anything (each measured with sccache 0.16):
- sccache caches nothing under incremental compilation: every arm has `CARGO_INCREMENTAL=0`;
- the user's `RUSTC_WRAPPER` / `build.rustc-wrapper` is off in every arm (an empty `RUSTC_WRAPPER`
  in `none`, ours in the others: the environment wins over any cargo config file), or a "cold"
  build is secretly warm;
- sccache hashes every `CARGO_*` variable, and two builds that differ in `CARGO_TARGET_DIR` never
  hit: the target dir is given as `--target-dir`, and no `CARGO_TARGET_DIR` is set;
- every arm builds the workspace itself, at its own absolute path, with `--locked`: nothing in the
  user's tree is written;
- each sccache arm has a private server (`experiments/sccache.py`), stopped by its port on the way
  out, however the run ends.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from perf_tasks.ab import engine, stats, worktree
from perf_tasks.ab.command_arm import CommandArm, OnStep
from perf_tasks.ab.engine import EVERYTHING, Design, OnProgress, Outcome, Sample, Scope
from perf_tasks.ab.revision_arms import CONTROLLED, LEFT_OUT, THRESHOLDS
from perf_tasks.ab.stats import MIN_PAIRS, Threshold
from perf_tasks.context import RunContext
from perf_tasks.errors import ConfigError, ExitCode, UsageError
from perf_tasks.experiments import sccache
from perf_tasks.experiments.sccache import Server, Stats
from perf_tasks.measure.shell import program_word
from perf_tasks.profiles import resolve
from perf_tasks.progress import Progress
from perf_tasks.runlock import run_lock

NONE, EMPTY, WARM = "none", "empty", "warm"
ARMS = (NONE, EMPTY, WARM)
LABELS = {
    NONE: "no cache",
    EMPTY: "sccache, empty cache",
    WARM: "sccache, warm cache",
}
WALL, CPU = "wall_s", "cpu_s"
# The cold build's thresholds, as `baseline.compare` judges a cold build.
CACHE_THRESHOLDS: dict[str, Threshold] = {
    WALL: THRESHOLDS["build.cold.wall_s"],
    CPU: THRESHOLDS["build.cold.cpu_s"],
}
PAYS = "the cache pays"
DOES_NOT_PAY = "the cache does not pay here"
NOT_WARM = "no verdict: the warm cache was not warm"
# What in cargo's `[env]` would route sccache's client (run by cargo as the wrapper) elsewhere.
CLIENT_ROUTES = ("SCCACHE_SERVER_PORT", "SCCACHE_SERVER_UDS")
# The least hit rate of every timed run of the warm arm for its figures to be a warm cache's.
WARM_HIT_RATE = 0.9
# Each round runs the arms in one of these orders: over six rounds, each arm is twice in each place.
ROTATION = ("012", "120", "201", "210", "102", "021")
# sccache's backends that cache.compare does not measure (yet): named, not "not a backend".
OTHER_BACKENDS = ("s3", "gcs", "gs", "azure", "gha", "memcached", "webdav", "oss", "cos")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$")


@dataclass(frozen=True)
class Request:
    backend: str | None = None  # None: local disk; else "redis://HOST:PORT[/DB]"
    max_pairs: int = engine.DEFAULT_MAX_PAIRS
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.max_pairs < MIN_PAIRS:
            raise UsageError(
                f"--max-pairs {self.max_pairs} is too few: a 95% interval needs at least "
                f"{MIN_PAIRS}"
            )
        if self.backend is not None:
            check_backend(self.backend)

    @classmethod
    def of(cls, backend: str | None, max_pairs: int | None, timeout_s: float | None) -> Request:
        """From the flags: no --backend (or `disk`) is the local disk; --timeout 0 is no limit."""
        pairs = engine.DEFAULT_MAX_PAIRS if max_pairs is None else max_pairs
        chosen = None if backend in (None, "", "disk") else backend
        return cls(chosen, pairs, timeout_s or None)

    @property
    def backend_name(self) -> str:
        return "disk" if self.backend is None else "redis"


def check_backend(value: str) -> None:
    """`redis://HOST:PORT[/DB]` (a user may precede the host, as the scheme allows); else one line
    saying which part is wrong. sccache's other backends are named as not measured yet."""
    parts = urlsplit(value) if "\0" not in value else None
    if parts is not None and parts.scheme in OTHER_BACKENDS:
        raise UsageError(
            f"--backend {parts.scheme}:// is not measured yet: cache.compare measures "
            "redis://HOST:PORT or, left out, the local disk"
        )
    ok = (
        parts is not None
        and parts.scheme in ("redis", "rediss")
        and bool(parts.hostname)
        and _HOST_PORT.match(parts.netloc.rpartition("@")[2]) is not None
        and not parts.query
        and not parts.fragment
    )
    if not ok or parts is None:
        raise UsageError(
            f"--backend {value!r} is not a backend: give redis://HOST:PORT (a Redis server that "
            "sccache can reach), or leave it out for the local disk"
        )
    port = int(parts.netloc.rpartition(":")[2])
    if not 1 <= port <= 65535:
        raise UsageError(
            f"--backend {value!r}: port {port} is out of range: give redis://HOST:PORT with a "
            "port from 1 to 65535"
        )
    database = parts.path.removeprefix("/")
    if database and not database.isdigit():
        raise UsageError(
            f"--backend {value!r}: the database {database!r} is not a number: give "
            "redis://HOST:PORT/DB with DB a number, or leave /DB out"
        )


@dataclass(frozen=True)
class ArmFigures:
    """One arm's runs: sccache's statistics of each timed build (none for `none`)."""

    arm: str
    stats: tuple[Stats, ...]

    @property
    def hit_rate(self) -> float | None:
        rates = [s.hit_rate for s in self.stats if s.hit_rate is not None]
        return statistics.median(rates) if rates else None

    @property
    def cache_bytes(self) -> int | None:
        sizes = [s.cache_size for s in self.stats if s.cache_size is not None]
        return max(sizes) if sizes else None

    def as_json(self) -> dict[str, Any]:
        return {
            "label": LABELS[self.arm],
            "hit_rate": None if self.hit_rate is None else round(self.hit_rate, 4),
            "cache_bytes": self.cache_bytes,
            "runs": [
                {
                    "hits": s.hits,
                    "misses": s.misses,
                    "not_cacheable": s.not_cacheable,
                    "cache_bytes": s.cache_size,
                }
                for s in self.stats
            ],
        }


@dataclass(frozen=True)
class Report:
    root: Path
    request: Request
    build: tuple[str, ...]  # the build command of every arm, without its target dir
    empty: Outcome  # empty cache against no cache
    warm: Outcome  # warm cache against no cache
    figures: Mapping[str, ArmFigures]
    verdict: str  # PAYS, DOES_NOT_PAY or NOT_WARM
    setup: tuple[str, ...]  # what to put where to use the cache; empty when it does not pay
    notes: tuple[str, ...]

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.INCOMPLETE if self.verdict == NOT_WARM else ExitCode.OK

    def medians(self, arm: str) -> dict[str, float | None]:
        outcome, side = (self.warm, "b") if arm == WARM else (self.empty, "b")
        if arm == NONE:
            outcome, side = self.warm, "a"
        out: dict[str, float | None] = {}
        for name in (WALL, CPU):
            m = outcome.metric(name)
            out[name] = None if m is None else statistics.median(m.a if side == "a" else m.b)
        return out

    def as_json(self) -> dict[str, Any]:
        arms: dict[str, Any] = {}
        for arm in ARMS:
            med = self.medians(arm)
            arms[arm] = {
                **self.figures[arm].as_json(),
                "wall_s": _round(med[WALL]),
                "cpu_s": _round(med[CPU]),
            }
        return {
            "schema_version": 1,
            "kind": "perf-tasks.cache-compare",
            "root": str(self.root),
            "backend": self.request.backend_name,
            "endpoint": self.request.backend,
            "build": list(self.build),
            "verdict": self.verdict,
            "arms": arms,
            "comparisons": {
                "empty_vs_none": self.empty.as_json(),
                "warm_vs_none": self.warm.as_json(),
            },
            "setup": list(self.setup),
            "notes": list(self.notes),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def arm_env(env: Mapping[str, str], wrapper: str) -> dict[str, str]:
    """Every arm's environment: the user's without its wrappers and target-dir settings, no
    incremental compilation, and `wrapper` ("" for none) as the only rustc wrapper."""
    out = {k: v for k, v in env.items() if k not in LEFT_OUT and k not in CONTROLLED}
    out["RUSTC_WRAPPER"] = wrapper  # the environment wins over `build.rustc-wrapper`
    out["RUSTC_WORKSPACE_WRAPPER"] = ""
    out["CARGO_INCREMENTAL"] = "0"
    return out


def build_argv(cargo: str, build: Sequence[str], target: Path) -> tuple[str, ...]:
    """The build command with its own target dir as a flag (sccache hashes `CARGO_*`
    variables, a flag is not one) and `--locked` (cargo never rewrites the user's Cargo.lock).
    Its build dir is the target dir too, given on the command line where it wins over any config
    file: a `build.build-dir` of the user's would give every arm one build dir, whose "cold"
    builds compile nothing, and would write in the user's folder."""
    build_dir = "build.build-dir=" + json.dumps(str(target))  # a TOML basic string
    return (cargo, *build, "--locked", "--target-dir", str(target), "--config", build_dir)


class CacheArm(CommandArm):
    """One arm: a cold build from an empty target dir, timed; with sccache, its statistics."""

    def __init__(
        self,
        arm: str,
        root: Path,
        target: Path,
        *,
        cargo: str,
        build: Sequence[str],
        env: Mapping[str, str],
        server: Server | None,
        fill_target: Path | None = None,
        new_prefix: Callable[[], str] | None = None,
        timeout_s: float | None = None,
        on_step: OnStep | None = None,
    ) -> None:
        wrapper = "" if server is None else server.program
        super().__init__(root, env=arm_env(env, wrapper), timeout_s=timeout_s, on_step=on_step)
        self.arm = arm
        self.label = LABELS[arm]
        self.target = target
        self.base_env = env
        self.server = server
        self.cargo = cargo
        self.build = tuple(build)
        self.fill_target = fill_target  # WARM: where the cache is filled from, before the rounds
        self.new_prefix = new_prefix  # EMPTY on Redis: a fresh key prefix is an empty cache
        self.seen: list[Stats] = []

    @property
    def run_env(self) -> dict[str, str]:
        return dict(self.env) if self.server is None else self.server.env(self.env)

    def prepare(self) -> None:
        if self.server is None:
            return
        self.server.start(self.env, cwd=self.root)
        if self.fill_target is not None:
            _empty_dir(self.fill_target)
            self._step(
                "fill the cache: a build in another target dir (untimed)",
                build_argv(self.cargo, self.build, self.fill_target),
                env=self.run_env,
            )
            shutil.rmtree(self.fill_target, ignore_errors=True)

    def run(self, scope: Scope = EVERYTHING) -> Sample:  # measures everything
        if self.server is not None and self.fill_target is None:
            self._empty_cache()
        if self.server is not None:
            self.server.zero(self.env, cwd=self.root)
        _empty_dir(self.target)
        argv = build_argv(self.cargo, self.build, self.target)
        server_before = 0.0 if self.server is None else self.server.cpu_s()
        run = self._timed(argv, env=self.run_env)
        if run.exit_code != 0:
            raise self._failed("the cold build", argv, run)
        cpu = run.cpu_s
        if self.server is not None:
            cpu += max(0.0, self.server.cpu_s() - server_before)
            self.seen.append(self.server.stats(self.env, cwd=self.root))
        return Sample(values={WALL: run.wall_s, CPU: cpu})

    def _empty_cache(self) -> None:
        """A new, empty cache: the server stopped, its dir (or its Redis key prefix) new, started
        again (a running server keeps the cache it started with)."""
        assert self.server is not None
        self.server.stop(self.env, cwd=self.root)
        shutil.rmtree(self.server.dir, ignore_errors=True)
        if self.new_prefix is not None:
            self.server = replace(self.server, redis_prefix=self.new_prefix())
        self.server.start(self.env, cwd=self.root)


def _empty_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def rounds(
    arms: Sequence[CacheArm],
    design: Design,
    *,
    decides: Callable[[list[list[Sample]]], bool],
    on_run: OnProgress | None = None,
) -> list[list[Sample]]:
    """Run every arm once per round, in the rotating order, `design.min_pairs` rounds and then two
    more at a time while `decides` says the result is still open, up to `design.max_pairs`."""
    samples: list[list[Sample]] = [[] for _ in arms]
    planned, done = design.min_pairs, 0
    while done < planned:
        for index in ROTATION[done % len(ROTATION)]:
            arm = arms[int(index)]
            if on_run is not None:
                on_run(arm.label, done + 1, planned)
            samples[int(index)].append(arm.run())
        done += 1
        if done == planned and planned < design.max_pairs and not decides(samples):
            planned = min(design.max_pairs, planned + 2)
    return samples


def _settled(design: Design) -> Callable[[list[list[Sample]]], bool]:
    def settled(samples: list[list[Sample]]) -> bool:
        none, warm = samples[0], samples[2]
        threshold = design.thresholds[WALL]
        found, _ = stats.verdict(
            [s.values[WALL] for s in none],
            [s.values[WALL] for s in warm],
            threshold,
            final=False,
            confidence=design.confidence,
        )
        return found != stats.UNDECIDED

    return settled


def was_warm(figures: ArmFigures) -> bool:
    """The warm arm's runs hit the cache: the median run's hit rate (a run that looked nothing up
    counts as no hit) is at least WARM_HIT_RATE; else its times are not a warm cache's. Pure."""
    rates = [s.hit_rate or 0.0 for s in figures.stats]
    return bool(rates) and statistics.median(rates) >= WARM_HIT_RATE


def cold_runs_note(figures: ArmFigures) -> str | None:
    """A warm run that missed while the median hit: what it missed is keyed by its target dir's
    path (an `include!` of a build script's `OUT_DIR`), which the fill build, at another path,
    could not cache, and the arm's later runs, at this path, found. Pure."""
    rates = [s.hit_rate or 0.0 for s in figures.stats]
    if not was_warm(figures) or min(rates) >= WARM_HIT_RATE:
        return None
    return (
        f"a run of the warm arm hit {min(rates):.0%} (the median {statistics.median(rates):.0%}): "
        "what it missed is keyed by the path of its target dir (a build script's OUT_DIR, for "
        "one), so a machine that builds at another path misses it too"
    )


def verdict_of(warm: Outcome, warm_figures: ArmFigures) -> str:
    """PAYS when the warm cache's cold build is faster, the whole wall-time interval past the
    threshold, and every warm run was warm; NOT_WARM when a run was not (the gain, if any, is
    not the cache's); DOES_NOT_PAY otherwise. Pure."""
    if not was_warm(warm_figures):
        return NOT_WARM
    wall = warm.metric(WALL)
    return PAYS if wall is not None and wall.verdict == stats.IMPROVEMENT else DOES_NOT_PAY


def setup_lines(request: Request, verdict: str) -> tuple[str, ...]:
    """What to put where to use the cache as it was measured. Pure."""
    if verdict != PAYS:
        return ()
    lines = [
        "# CI (the environment of the build step); sccache caches nothing under incremental builds",
        "RUSTC_WRAPPER=sccache",
        "CARGO_INCREMENTAL=0",
    ]
    if request.backend is None:
        lines += [
            "SCCACHE_DIR=<a folder the CI cache saves and restores between runs>",
        ]
    else:
        lines += [f"SCCACHE_REDIS_ENDPOINT={request.backend}"]
    lines += [
        "# a laptop: ~/.cargo/config.toml (the project's would need sccache on every machine)",
        "[build]",
        'rustc-wrapper = "sccache"',
        "# and in a CI step after the build, to see the hits: sccache --show-stats",
    ]
    if request.backend is not None:
        lines.insert(-1, f"# with SCCACHE_REDIS_ENDPOINT={request.backend} in its environment")
    return tuple(lines)


def run(context: RunContext, request: Request, *, progress: Progress) -> Report:
    """`cache.compare`, one call: the three arms in rounds, judged."""
    inspection = context.inspection
    root = context.root
    program = sccache.find(inspection.env)
    if request.backend is not None:
        sccache.check_reachable(request.backend)
    check_env_tables(root, inspection.env)
    lock = Path(inspection.metadata.get("workspace_root") or root) / "Cargo.lock"
    if not lock.is_file():
        raise ConfigError(
            f"{lock} does not exist: cache.compare builds with --locked so that every arm builds "
            "the same versions and your tree is not written; run `cargo generate-lockfile` first"
        )
    build = tuple(context.settings.baseline.build)
    report = progress.on_pair or (lambda what, i, n: None)
    scratch = worktree.Scratch.of(root, inspection.env)
    folder = scratch.dir / "cache-compare"
    token = secrets.token_hex(6)
    design = Design(dict(CACHE_THRESHOLDS), max_pairs=request.max_pairs)

    def on_step(label: str, what: str) -> None:
        report(f"{label}: {what}", 0, 0)

    ports = dict(zip((EMPTY, WARM), sccache.free_ports(2), strict=True))

    def server(arm: str) -> Server:
        return Server(
            program=program,
            port=ports[arm],
            dir=folder / f"sccache-{arm}",
            config=folder / "sccache-config.toml",
            redis=request.backend,
            redis_prefix=f"perf-tasks/{token}/{arm}/",
        )

    prefixes = iter(range(1, 10**6))
    servers: list[Server] = []
    env = inspection.env
    with run_lock(root):
        scratch.claim()
        try:
            with sccache.stopped_after(servers, env, cwd=root):
                empty_server, warm_server = server(EMPTY), server(WARM)
                common: dict[str, Any] = {
                    "cargo": inspection.cargo,
                    "build": build,
                    "env": env,
                    "timeout_s": request.timeout_s,
                    "on_step": on_step,
                }
                arms = [
                    CacheArm(NONE, root, folder / "target-none", server=None, **common),
                    CacheArm(
                        EMPTY,
                        root,
                        folder / "target-empty",
                        server=empty_server,
                        new_prefix=None
                        if request.backend is None
                        else (lambda: f"perf-tasks/{token}/empty-{next(prefixes)}/"),
                        **common,
                    ),
                    CacheArm(
                        WARM,
                        root,
                        folder / "target-warm",
                        server=warm_server,
                        fill_target=folder / "target-fill",
                        **common,
                    ),
                ]
                servers += [empty_server, warm_server]
                for arm in arms:
                    arm.prepare()
                # the empty arm's server keeps its port when it restarts: stopped by it too
                found = rounds(arms, design, decides=_settled(design), on_run=report)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    none, empty, warm = found
    empty_outcome = engine.judge(none, empty, design, a_label=LABELS[NONE], b_label=LABELS[EMPTY])
    warm_outcome = engine.judge(none, warm, design, a_label=LABELS[NONE], b_label=LABELS[WARM])
    figures = {a.arm: ArmFigures(a.arm, tuple(a.seen)) for a in arms}
    verdict = verdict_of(warm_outcome, figures[WARM])
    return Report(
        root=root,
        request=request,
        build=(program_word(inspection.cargo), *build, "--locked"),
        empty=empty_outcome,
        warm=warm_outcome,
        figures=figures,
        verdict=verdict,
        setup=setup_lines(request, verdict),
        notes=(controlled_note(env), *filter(None, [cold_runs_note(figures[WARM])])),
    )


def check_env_tables(root: Path, env: Mapping[str, str]) -> None:
    """No cargo config file's `[env]` names the server sccache's client talks to: cargo sets
    `[env]` for every compiler process, the wrapper among them, and the arms' compiles would go
    to a server that is not theirs (outside their statistics, left running)."""
    for path in resolve.config_files(root, env):
        table = resolve.read_config(path).get("env")
        said = [k for k in CLIENT_ROUTES if isinstance(table, dict) and k in table]
        if said:
            raise ConfigError(
                f"{path}: [env] sets {said[0]} for every compiler cargo runs, sccache's client "
                "too: the arms would compile through another server than their own; take it out "
                "of the file while cache.compare measures"
            )


def controlled_note(env: Mapping[str, str]) -> str:
    said = [f"{k}={env[k]!r}" for k in (*LEFT_OUT, *CONTROLLED) if env.get(k)]
    said += [k for k in sorted(env) if k.startswith("SCCACHE_")]
    base = (
        "every arm ran with CARGO_INCREMENTAL=0, --target-dir and no rustc wrapper but ours; "
        "each sccache arm with a private server, cache and config; its CPU includes the server's"
    )
    return base + (f" (your environment has {', '.join(said)})" if said else "")
