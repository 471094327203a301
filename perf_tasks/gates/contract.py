"""The performance contract: `benches/PERFORMANCE_CONTRACT.md`, the gates people read and edit.

The file is Markdown. Its gates table is the one whose header row starts `| metric | bound |`
(a third column, `note`, is free text); everything around the table is free. One row per gate:

    | metric                         | bound              | note                      |
    |--------------------------------|--------------------|---------------------------|
    | `tests.cpu_s`                  | ≤ 2.5 s            | CPU of the test run       |
    | `disk.target.bytes`            | ≤ 5 GB             | the clean.target budget   |
    | `build.incremental.cpu_s`      | ≤ +10%             | against --base/--against  |
    | `test:demo-core::core_api t`   | ≤ 200 ms           | one test                  |
    | `tests.each`                   | ≤ +50% and +100 ms | no test got slower        |

Parsing is pure: text in, a `Contract` out, or a `ContractError` of one line naming the file, the
line and what to write instead (docs/usage/gates.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perf_tasks.errors import ConfigError
from perf_tasks.measure.phases import TIMED
from perf_tasks.quantities import (
    BYTES,
    SECONDS,
    parse_seconds,
    parse_size,
)
from perf_tasks.text import lines as lines_of

CONTRACT_FILE = "benches/PERFORMANCE_CONTRACT.md"


EACH = "tests.each"  # the per-test rule: no test got slower
TEST_PREFIX = "test:"
# The stats of a timed phase a gate may name, and their unit.
STATS = {
    "wall_s": SECONDS,
    "cpu_s": SECONDS,
    "peak_tree_rss_bytes": BYTES,
    "peak_process_rss_bytes": BYTES,
}
PHASES = tuple(".".join(name.record_path) for name in TIMED)


class ContractError(ConfigError):
    """The contract does not parse, or names what the record does not have (exit 2)."""


@dataclass(frozen=True)
class Bound:
    """`≤ 120 s` (absolute: `limit`), `≤ +10%` (relative: `relative` = 0.10), or the per-test rule
    `≤ +50% and +100 ms` (`relative` and `floor`, both required)."""

    text: str  # as written in the contract, for tables and messages
    limit: float | None = None  # seconds or bytes
    relative: float | None = None  # +10% -> 0.10
    floor: float | None = None  # seconds, tests.each only

    @property
    def is_relative(self) -> bool:
        return self.relative is not None


@dataclass(frozen=True)
class Gate:
    metric: str  # `tests.wall_s`, `disk.target.bytes`, `test:<binary-id> <test-name>`, `tests.each`
    bound: Bound
    note: str
    line: int  # 1-based, in the contract file

    @property
    def test_id(self) -> str | None:
        """`<binary-id> <test-name>` of a `test:` row, else None."""
        return self.metric[len(TEST_PREFIX) :] if self.metric.startswith(TEST_PREFIX) else None

    @property
    def unit(self) -> str:
        if self.metric == EACH or self.test_id is not None:
            return SECONDS
        return STATS.get(self.metric.rsplit(".", 1)[-1], BYTES)


@dataclass(frozen=True)
class Contract:
    source: str  # the file, as messages name it
    gates: tuple[Gate, ...]

    def fail(self, gate: Gate, what: str) -> ContractError:
        return ContractError(f"{self.source}:{gate.line}: {what}")


_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR = re.compile(r"^:?-+:?$")
_RELATIVE = re.compile(r"^\+?(\d+(?:\.\d+)?)\s*%$")
_EACH_BOUND = re.compile(r"^\+?(\d+(?:\.\d+)?)\s*%\s+and\s+\+?(.+)$")
_OPERATORS = ("≤", "<=")
EACH_EXAMPLE = "≤ +50% and +100 ms"


def parse(text: str, *, source: str) -> Contract:
    """The gates of a contract's Markdown. Raises `ContractError` naming `source` and the line."""
    # A table inside a fenced code block is an example, never the gates: blank those lines out.
    lines = _without_fences(lines_of(text))
    header = next((i for i, line in enumerate(lines) if _is_header(_cells(line))), None)
    if header is None:
        raise ContractError(
            f"{source}: no gates table: add a Markdown table whose header row is "
            "`| metric | bound | note |` (docs/usage/gates.md)"
        )
    if header + 1 >= len(lines) or not all(
        _SEPARATOR.match(c.replace(" ", "")) for c in _cells(lines[header + 1]) or ["x"]
    ):
        raise ContractError(
            f"{source}:{header + 2}: the gates table needs a separator row under its header: "
            "`|---|---|---|`"
        )
    gates: list[Gate] = []
    seen: dict[str, int] = {}
    end = len(lines)
    for i in range(header + 2, len(lines)):
        cells = _cells(lines[i], leading_pipe=False)
        if cells is None:
            end = i
            break  # the table ends at the first line that is not a row
        number = i + 1
        if len(cells) < 2:
            raise ContractError(
                f"{source}:{number}: a gate row needs a metric and a bound: "
                "`| tests.cpu_s | ≤ 2 s | note |`"
            )
        metric = cells[0].strip().strip("`").strip()
        metric = EACH if metric == "test:*" else metric  # the two spellings of the rule
        if metric.startswith(TEST_PREFIX):  # `test: a  b` is `test:a b`, as nextest names it
            metric = TEST_PREFIX + " ".join(metric[len(TEST_PREFIX) :].split())
        bound_text = cells[1].strip().strip("`").strip()
        note = " | ".join(c.strip() for c in cells[2:]).strip()
        if not metric and not bound_text:
            continue
        _check_metric(metric, source=source, line=number)
        if metric in seen:
            raise ContractError(
                f"{source}:{number}: {metric} already has a gate on line {seen[metric]}: "
                "keep one row per metric"
            )
        seen[metric] = number
        gate = Gate(metric, Bound(bound_text), note, number)
        gates.append(Gate(metric, _bound(bound_text, gate, source=source), note, number))
    again = next((i for i in range(end, len(lines)) if _is_header(_cells(lines[i]))), None)
    if again is not None:
        # Its gates would never be checked: a gate that is silently ignored is worse than none.
        raise ContractError(
            f"{source}:{again + 1}: a second gates table (the first is on line {header + 1}): "
            "merge its rows into the first, or put an example inside a ``` code block"
        )
    if not gates:
        raise ContractError(
            f"{source}:{header + 1}: the gates table has no rows: add one per gate, "
            "`| tests.cpu_s | ≤ 2 s | note |`"
        )
    return Contract(source, tuple(gates))


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _without_fences(lines: list[str]) -> list[str]:
    """`lines` with those of fenced code blocks (and their fences) blank; line numbers unchanged."""
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            out.append("")
        elif fence is not None:
            closing = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closing and not line.strip().strip(fence[0]):
                fence = None
            out.append("")
        else:
            out.append(line)
    return out


def _cells(line: str, *, leading_pipe: bool = True) -> list[str] | None:
    """The cells of a table row (`| a | b |`), or None when the line is not one. Under a header,
    a row may leave out its leading pipe (`a | b`), as GitHub reads it: it is still a gate."""
    stripped = line.strip()
    if not stripped.startswith("|"):
        if leading_pipe or not _CELL_SPLIT.search(stripped):
            return None
        stripped = "|" + stripped
    inner = stripped[1:]
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [c.replace("\\|", "|") for c in _CELL_SPLIT.split(inner)]


def _is_header(cells: list[str] | None) -> bool:
    if cells is None or len(cells) < 2:
        return False
    names = [c.strip().strip("*").strip().lower() for c in cells]
    return names[0] == "metric" and names[1] == "bound"


def _check_metric(metric: str, *, source: str, line: int) -> None:
    if metric in (EACH, "test:*"):
        return
    if metric.startswith(TEST_PREFIX):
        test = metric[len(TEST_PREFIX) :].strip()
        if " " not in test or test.startswith("*"):
            raise ContractError(
                f"{source}:{line}: {metric!r}: write a test as `test:<binary-id> <test-name>`, "
                "as nextest names it (`test:demo-core::core_api slow_path_when_asked`)"
            )
        return
    parts = metric.split(".")
    if len(parts) == 3 and parts[0] == "disk" and parts[2] == "bytes" and parts[1]:
        return
    phase, _, stat = metric.rpartition(".")
    if phase in PHASES and stat in STATS:
        return
    raise ContractError(
        f"{source}:{line}: unknown metric {metric!r}: use <phase>.<stat> (phases "
        f"{', '.join(PHASES)}; stats {', '.join(STATS)}), disk.<output>.bytes, "
        "`test:<binary-id> <test-name>` or tests.each"
    )


def _bound(text: str, gate: Gate, *, source: str) -> Bound:
    where = f"{source}:{gate.line}: {gate.metric}"
    rest = text
    for op in _OPERATORS:
        if rest.startswith(op):
            rest = rest[len(op) :].strip()
            break
    else:
        raise ContractError(
            f"{where}: the bound {text!r} must start with ≤ (or <=): `≤ 120 s`, `≤ 5 GB`, `≤ +10%`"
        )
    if gate.metric == EACH:
        match = _EACH_BOUND.match(rest)
        if not match:
            raise ContractError(
                f"{where}: the per-test rule needs both floors, relative and absolute: "
                f"`{EACH_EXAMPLE}` (a test fails when its fastest new run is slower than its "
                "slowest old run by both)"
            )
        try:
            floor = parse_seconds(match.group(2))
        except ValueError as exc:
            raise ContractError(f"{where}: the absolute floor: {exc}") from None
        return Bound(text, relative=float(match.group(1)) / 100, floor=floor)
    relative = _RELATIVE.match(rest)
    if relative:
        return Bound(text, relative=float(relative.group(1)) / 100)
    try:
        limit = parse_seconds(rest) if gate.unit == SECONDS else float(parse_size(rest))
    except ValueError as exc:
        raise ContractError(f"{where}: {exc}, or a change such as '+10%'") from None
    return Bound(text, limit=limit)
