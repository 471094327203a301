"""One shard of a plan, run with nextest: its tests selected by the `default-filter` of a
generated tool config (never one `-E` argument: Linux limits one argument to 128 KiB, and the
filter of a large suite's shard is megabytes), its JUnit report a file of its own.

Which tests: those the plan puts on this shard, among those nextest lists now; a test listed now
that the plan does not know (added since) runs on the shard its stable hash picks; a planned test
that is gone is not asked for (nextest refuses a `binary_id(=...)` that matches no binary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby

from perf_tasks.shards.plan import Plan, hash_shard

Test = tuple[str, str]  # (binary id, name)


def selection(plan: Plan, listed: Sequence[Test], shard: int) -> tuple[tuple[Test, ...], int]:
    """The listed tests that run on `shard`, sorted; and how many of them the plan did not know."""
    planned = plan.shard_of()
    chosen = []
    unplanned = 0
    for test in sorted(set(listed)):
        known = planned.get(test)
        if (known if known is not None else hash_shard(*test, plan.shards)) == shard:
            chosen.append(test)
            unplanned += known is None
    return tuple(chosen), unplanned


def default_filter(tests: Iterable[Test]) -> str:
    """A filterset that matches exactly `tests`: per binary, `binary_id(=B) & (test(=a) | ...)`;
    `none()` when there is none."""
    groups = []
    for binary, members in groupby(sorted(set(tests)), key=lambda t: t[0]):
        names = " | ".join(f"test(={escaped(name)})" for _, name in members)
        groups.append(f"(binary_id(={escaped(binary)}) & ({names}))")
    return " | ".join(groups) or "none()"


_ESCAPES: Mapping[str, str] = {"\\": "\\\\", ")": "\\)", ",": "\\,"}


def escaped(value: str) -> str:
    """A name as a filterset matcher reads it back: `\\`, `)` and `,` end a matcher unless
    escaped; a control character is written `\\u{..}`."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return "".join(out)
