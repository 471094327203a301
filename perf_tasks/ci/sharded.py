"""ci.yml with its tests in N shards (`ci.init --shards N`): the `test` job becomes four.

- `build`: builds the tests once into a nextest archive and plans the shards
  (`tests.shard --shards N`) from the durations the last merge kept;
- `shard` (a matrix of N jobs): each runs one shard from the archive (`tests.shard --run K/N`);
- `doctests`: archives never hold doctests, so they run in a job of their own (they need a build);
- `merge`: the shards' reports into one record (`tests.merge`), the gate on it, and the record kept
  in a cache as the next plan's durations, in the monitor history's scheme (a new key every run,
  restored from the newest by its prefix).

Everything else of ci.yml is `workflows.ci`'s, unchanged.
"""

from __future__ import annotations

from shlex import quote
from typing import Any

from perf_tasks.ci import actions
from perf_tasks.ci.workflows import (
    BENCHMARK_DAYS,
    RUST_CHANGED,
    TEST_REPORT_DAYS,
    Options,
    _cargo_clean_and_save,
    _checkout,
    _rust,
    _setup,
    _toolchain,
    _upload,
    _uses,
)
from perf_tasks.ci.workflows import (
    ci as plain_ci,
)
from perf_tasks.ci.yaml import Commented

DIR = ".perf-shards"  # the jobs' files, outside the cached target dir
ARCHIVE = f"{DIR}/tests.tar.zst"
PLAN = f"{DIR}/shard-plan.json"
REPORTS = f"{DIR}/reports"  # each shard's junit-K-of-N.xml, and the doctests' output
DOCTESTS = f"{REPORTS}/doctests.txt"
# The merged record: the gate's input, and the next plan's durations. The build job restores it
# from the cache at the very path the merge job writes and saves it (a cache entry is found only
# by the paths it was saved with).
RECORD = f"{DIR}/record.json"
DURATIONS_KEY = "perf-shard-durations-${{ github.run_id }}"
DURATIONS_RESTORE_KEYS = "perf-shard-durations-"
BUILD_ARTIFACT = "perf-shards-build"
TRANSFER_DAYS = 1  # the archive and the plan only carry from one job to the next


def ci(o: Options) -> dict[str, Any]:
    """`workflows.ci` with its `test` job replaced by build, shard, doctests and merge."""
    doc = plain_ci(o)
    jobs: dict[str, Any] = {}
    for name, job in doc["jobs"].items():
        if name == "test":
            jobs.update(jobs_of(o))
        else:
            jobs[name] = job
    return {**doc, "jobs": jobs}


def jobs_of(o: Options) -> dict[str, Any]:
    return {
        "build": Commented(_build(o), blank=True),
        "shard": Commented(_shard(o), blank=True),
        "doctests": Commented(_doctests(o), blank=True),
        "merge": Commented(_merge(o), blank=True),
    }


def _job(name: str, needs: Any, minutes: int, steps: list[Any], **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "needs": needs,
        "if": more.pop("if_", RUST_CHANGED),
        "runs-on": "ubuntu-latest",
        "permissions": {"contents": "read"},
        "timeout-minutes": minutes,
        **more,
        "steps": steps,
    }


def _plan_script(o: Options) -> str:
    plan = f"perf-tasks tests.shard --shards {o.shards} --plan {PLAN}"
    return (
        f"mkdir -p {DIR}\n"
        f"cargo nextest archive --workspace{_cargo_profile(o)} --archive-file {ARCHIVE}\n"
        f"if [ -f {RECORD} ]; then\n"
        f"  {plan} --durations {RECORD}\n"
        "else\n"
        f"  {plan}\n"
        "fi\n"
    )


def _cargo_profile(o: Options) -> str:
    """The team's cargo profile builds the archived tests, as in the unsharded test job."""
    return "" if o.cargo_profile is None else f" --cargo-profile {quote(o.cargo_profile)}"


def _build(o: Options) -> dict[str, Any]:
    return _job(
        "build the tests and plan the shards",
        "changes",
        60,
        [
            _checkout(),
            *_setup(o),
            *_rust(o),
            Commented(
                _uses(
                    actions.CACHE_RESTORE,
                    name="restore the durations of the last merged run",
                    with_={
                        "path": RECORD,
                        "key": DURATIONS_KEY,
                        "restore-keys": DURATIONS_RESTORE_KEYS,
                    },
                ),
                above="The first run has none: its plan places each test by its hash.",
            ),
            {"name": "archive the tests and plan the shards", "run": _plan_script(o)},
            _upload(
                BUILD_ARTIFACT, [ARCHIVE, PLAN], TRANSFER_DAYS, what="the archive and the plan"
            ),
            *_cargo_clean_and_save(),
        ],
    )


def _shard(o: Options) -> dict[str, Any]:
    run = (
        f'perf-tasks tests.shard --run "$SHARD/{o.shards}" --plan {PLAN} --archive {ARCHIVE} '
        f"--out {REPORTS}\n"
    )
    return _job(
        f"tests, shard ${{{{ matrix.shard }}}} of {o.shards}",
        ["changes", "build"],
        60,
        [
            _checkout(),
            *_setup(o),
            _toolchain(o.toolchain),
            _uses(
                actions.DOWNLOAD_ARTIFACT,
                name="download the archive and the plan",
                with_={"name": BUILD_ARTIFACT, "path": DIR},
            ),
            {"name": "run this shard", "env": {"SHARD": "${{ matrix.shard }}"}, "run": run},
            _upload(
                f"perf-shard-${{{{ matrix.shard }}}}-of-{o.shards}",
                [f"{REPORTS}/junit-*-of-{o.shards}.xml"],
                TEST_REPORT_DAYS,
                what="this shard's JUnit report",
            ),
        ],
        strategy={
            "fail-fast": False,
            "matrix": {"shard": list(range(1, o.shards + 1))},
        },
    )


def _doctests(o: Options) -> dict[str, Any]:
    return _job(
        "doctests",
        "changes",
        60,
        [
            _checkout(),
            *_setup(o),
            *_rust(o),
            {
                "name": "cargo test --doc",
                "run": (
                    f"mkdir -p {REPORTS}\n"
                    "set -o pipefail\n"
                    f"cargo test --doc --workspace --no-fail-fast | tee {DOCTESTS}\n"
                ),
            },
            _upload(
                "perf-shard-doctests", [DOCTESTS], TEST_REPORT_DAYS, what="the doctests' output"
            ),
            *_cargo_clean_and_save(),
        ],
    )


def _merge(o: Options) -> dict[str, Any]:
    merge = (
        f"perf-tasks tests.merge --shards {o.shards} --reports {REPORTS} --archive {ARCHIVE} "
        f"--doctests {DOCTESTS} --out {RECORD}\n"
    )
    gate_json = f"{DIR}/gate.json"
    return _job(
        "merge the shards, gate, keep the durations",
        ["changes", "build", "shard", "doctests"],
        30,
        [
            _checkout(),
            *_setup(o),
            _toolchain(o.toolchain),
            _uses(
                actions.DOWNLOAD_ARTIFACT,
                name="download the archive and the plan",
                with_={"name": BUILD_ARTIFACT, "path": DIR},
            ),
            _uses(
                actions.DOWNLOAD_ARTIFACT,
                name="download the shards' reports and the doctests' output",
                with_={"pattern": "perf-shard-*", "path": REPORTS, "merge-multiple": True},
            ),
            Commented(
                {"name": "perf-tasks tests.merge", "id": "merge", "run": merge},
                above="A missing shard's report is an error that names the shard.",
            ),
            {
                "name": "perf-tasks gate on the merged record",
                "if": "${{ !cancelled() && hashFiles('" + RECORD + "') != '' }}",
                "run": f"perf-tasks gate --record {RECORD} --json > {gate_json}\n",
            },
            Commented(
                _uses(
                    actions.CACHE_SAVE,
                    name="keep the durations for the next plan",
                    **{"if": "${{ !cancelled() && hashFiles('" + RECORD + "') != '' }}"},
                    with_={"path": RECORD, "key": DURATIONS_KEY},
                ),
                above=(
                    "Saved at the path the build job restores it from, under a new key every\n"
                    "run; a failing test does not make its durations wrong."
                ),
            ),
            _upload(
                "perf-shards-record",
                [RECORD, gate_json],
                BENCHMARK_DAYS,
                what="the merged record and the gate's result",
            ),
        ],
        if_=f"${{{{ !cancelled() && {RUST_CHANGED} }}}}",
    )
