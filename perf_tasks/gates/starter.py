"""`contract.init`: a starter contract from one record. Pure: a record in, Markdown out.

Each time bound leaves headroom over the measured spread (docs/usage/gates.md):

    bound = round_up(max(median x (1 + floor), median + slack, max + K x MAD))

with K = 5 and, measured on a shared 2-core machine with one core kept busy by another process:

- CPU time (`*.cpu_s`): floor 50%, slack 0.25 s. CPU time changes least under contention (it
  moved by at most a third);
- the target dir (`disk.target.bytes`): the `clean.target` budget ([budgets] target). Sizes are
  exact; the budget is the team's rule.

Rounding is upward to two significant digits, so a bound reads as written by hand (`450 ms`).

No wall time of a whole phase: on a shared 2-core machine the test run's wall time moved up to
x10 between rounds (0.24 s to 2.5 s, benches/gates_busy) while its CPU time moved by a tenth. An
absolute bound on it would be either loose or flaky; such gates belong with `--against`, whose
pairs see the same load.

But CPU time cannot see a test that waits (a sleep, a timeout, a lock costs no CPU), so each test
gets a row of its own on its wall time (`test:<binary-id> <name>`, its median over the runs):

    bound = round_up(max(slowest run x 1.5, slowest run + 0.5 s))

A test is one process on one core: a neighbour keeping another core busy slows it little, unlike
the whole run, whose test processes share the cores. The +0.5 s keeps a test of a few
milliseconds from tripping on scheduling, and stays under the +1 s of a test that got 1 s slower
for every test under 2 s (above, x 1.5 takes over). At most `MAX_TEST_ROWS` tests get a row (the
slowest first): a contract is read by people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from perf_tasks.gates.check import all_tests, metric_of
from perf_tasks.gates.contract import EACH_EXAMPLE
from perf_tasks.measure.comparison import label
from perf_tasks.measure.schema import Record
from perf_tasks.quantities import BYTES, SECONDS, format_bytes, format_seconds, in_unit

MAD_FACTOR = 5.0


@dataclass(frozen=True)
class Headroom:
    floor: float  # relative: 0.5 = +50% over the median
    slack: float  # seconds over the median, at least


CPU = Headroom(floor=0.5, slack=0.25)
TEST_WALL = Headroom(floor=0.5, slack=0.5)  # on the slowest run, not the median
MAX_TEST_ROWS = 200

# What the starter gates, in order: the metrics that hold on a busy machine first.
TIME_METRICS = (
    ("build.incremental.cpu_s", CPU, "CPU of the build after touching one source file"),
    ("tests.cpu_s", CPU, "CPU of the test run"),
    ("tests.doc.cpu_s", CPU, "CPU of the doctests"),
)


def bound_for(median: float, high: float | None, mad: float, headroom: Headroom) -> float:
    """The formula above, before rounding."""
    return max(
        median * (1 + headroom.floor),
        median + headroom.slack,
        (high if high is not None else median) + MAD_FACTOR * mad,
    )


def round_up(value: float) -> float:
    """Upward to two significant digits: 0.4312 -> 0.44; 1234 -> 1300."""
    if value <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return float(math.ceil(round(value / scale, 9)) * scale)


def starter(record: Record, *, budget: int, source: str) -> str:
    """The Markdown of a starter contract for the workspace `record` measured."""
    rows: list[tuple[str, str, str]] = []
    for metric, headroom, what in TIME_METRICS:
        found = metric_of(record, metric)
        if found is None or found.stats is None:
            continue
        s = found.stats
        bound = round_up(bound_for(s.median, s.max, s.mad, headroom))
        measured = f"median {in_unit(s.median, SECONDS)}"
        if s.max is not None:
            measured += f", max {in_unit(s.max, SECONDS)}"
        rows.append((metric, f"≤ {format_seconds(bound)}", f"{what}; measured {measured}"))
    test_rows, untimed = _test_rows(record)
    rows += test_rows
    target = metric_of(record, "disk.target.bytes")
    if target is not None:
        over = " (already over it)" if target.value > budget else ""
        rows.append(
            (
                "disk.target.bytes",
                f"≤ {_size_text(budget)}",
                f"the clean.target budget{over}; measured {in_unit(target.value, BYTES)}",
            )
        )
    width_metric = max(len(f"`{m}`") for m, _, _ in rows) if rows else 6
    width_bound = max(len(b) for _, b, _ in rows) if rows else 5
    table = [
        f"| {'metric':<{width_metric}} | {'bound':<{width_bound}} | note |",
        f"|{'-' * (width_metric + 2)}|{'-' * (width_bound + 2)}|------|",
        *(f"| {f'`{m}`':<{width_metric}} | {b:<{width_bound}} | {n} |" for m, b, n in rows),
    ]
    return "\n".join(
        [
            "# Performance contract",
            "",
            f"Written by `contract.init` from {source} ({label(record)}). The `gate` task checks",
            "a fresh measurement against the gates table below; edit it freely",
            "(docs/usage/gates.md). Absolute bounds describe the machine they were measured on.",
            "",
            "Bounds leave headroom over the measured spread: max(median * 1.5, median + 0.25 s,",
            "max + 5 * MAD) for CPU time, rounded up to two significant digits. The wall time of",
            "a whole phase is not gated here: a busy machine moves it too much for an absolute",
            "bound; gate it relative to a base measured at the same time (`gate --against REF`).",
            "Each test's own wall time is, on its median: max(slowest run * 1.5, slowest run +",
            "0.5 s), so that a test that waits longer (a sleep costs no CPU) is caught.",
            *(["", *untimed] if untimed else []),
            "",
            "## Gates",
            "",
            *table,
            "",
            "A relative row such as `| tests.each | "
            + EACH_EXAMPLE
            + " | no test got slower |` needs a",
            "base: `gate --base FILE` (a record of this machine) or `--against REF` (CI).",
            "",
        ]
    )


def _test_rows(record: Record) -> tuple[list[tuple[str, str, str]], list[str]]:
    """A row per timed test (the slowest `MAX_TEST_ROWS`), and what the text must say when tests
    are left without one."""
    tests = all_tests(record)
    if not tests:
        return [], [
            "No test has a row: the record has no per-test times (nextest's; cargo test gives",
            "none), so a test that got slower by waiting is caught only with a base.",
        ]
    slowest = sorted(tests, key=lambda t: (-tests[t].high, t))[:MAX_TEST_ROWS]
    rows = []
    for test in sorted(slowest):
        times = tests[test]
        bound = round_up(bound_for(times.high, None, 0.0, TEST_WALL))
        measured = f"median {in_unit(times.median, SECONDS)}, max {in_unit(times.high, SECONDS)}"
        metric = "test:" + test.replace("|", "\\|")  # a `|` in a name is not a new cell
        rows.append((metric, f"≤ {format_seconds(bound)}", f"wall time; {measured}"))
    left = len(tests) - len(slowest)
    if not left:
        return rows, []
    return rows, [
        f"{left} of {len(tests)} tests have no row of their own (only the {MAX_TEST_ROWS} slowest",
        "do): add `tests.each` with a base to gate every test.",
    ]


def _size_text(value: int) -> str:
    text = format_bytes(value)
    return text.replace(".0 ", " ") if value % 10**9 == 0 or value % 10**6 == 0 else f"{value} B"
