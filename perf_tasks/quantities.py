"""Sizes and durations as people write and read them (decimal units, like `du -h --si`)."""

from __future__ import annotations

import math
import re
from decimal import Decimal

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 2**10,
    "kib": 2**10,
    "m": 2**20,
    "mib": 2**20,
    "g": 2**30,
    "gib": 2**30,
    "t": 2**40,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
# No disk holds more: a larger size is a typo, and it would not fit the counters we compare it with.
MAX_SIZE = 2**63 - 1


def parse_size(text: str | int) -> int:
    """`"5 GB"` -> 5_000_000_000; `"2GiB"` -> 2 * 2**30; an int is bytes. Raises ValueError."""
    if isinstance(text, int) and not isinstance(text, bool):
        return _checked(text, text)
    if not isinstance(text, str):
        raise ValueError(f"expected a size such as '5 GB', got {_repr_excerpt(text)}")
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"expected a size such as '5 GB' or '800 MiB', got {_repr_excerpt(text)}")
    # Exact decimal arithmetic: a float would turn 400 digits into inf, and inf into OverflowError.
    return _checked(int(Decimal(match.group(1)) * _UNITS[match.group(2).lower()]), text)


def _checked(n: int, given: object) -> int:
    if n < 0:
        raise ValueError(f"a size cannot be negative, got {_repr_excerpt(given)}")
    if n > MAX_SIZE:
        raise ValueError(
            f"a size must be below 9.2 million TB (2**63 bytes), got {_repr_excerpt(given)}"
        )
    return n


def _repr_excerpt(value: object) -> str:
    """`repr(value)`, cut short: a message stays one readable line."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (sys.get_int_max_str_digits)
        return "a number of more than 4300 digits"
    return text if len(text) <= 40 else f"{text[:30]}\u2026 ({len(text)} characters)"


SECONDS = "seconds"
BYTES = "bytes"


def in_unit(value: float, unit: str) -> str:
    """`value` in its unit (BYTES, else SECONDS) as tables show it: `80.9 MB`, `1.234 s`."""
    return format_bytes(int(value)) if unit == BYTES else format_seconds(value)


def format_bytes(n: int) -> str:
    """1_234_567 -> '1.2 MB' (decimal, one decimal place above kB)."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 1000:
        return f"{sign}{n} B"
    for unit in ("kB", "MB", "GB", "TB"):
        n_f = n / 1000
        if n_f < 1000 or unit == "TB":
            return f"{sign}{n_f:.1f} {unit}"
        n = int(n_f)
    raise AssertionError("unreachable")


# Every duration shown has this many significant digits below 100 s; above, two units, the smaller
# whole: `612 µs`, `61.1 ms`, `1.80 s`, `73.7 s`, `2 min 12 s`, `1 h 5 min`, `1 day 12 h`, `7 days`.
SIGNIFICANT_DIGITS = 3
# The one shape of a shown duration (tests hold every output to it): three significant digits in
# one unit, or two whole units.
_UNDER_100 = r"(?:[1-9]\d\.\d|[1-9]\.\d\d)"
_UNDER_1000 = rf"(?:[1-9]\d\d|{_UNDER_100})"
DURATION_PATTERN = (
    rf"-?(?:(?:{_UNDER_1000}|0\.0*[1-9]\d\d) µs|{_UNDER_1000} ms|{_UNDER_100} s|0 s"
    r"|[1-9]\d* min [1-5]?\d s|[1-9]\d* h [1-5]?\d min"
    r"|(?:1 day|(?:[2-9]|[1-9]\d+) days)(?: [12]?\d h)?)"
)


def format_seconds(s: float) -> str:
    """The one way a duration is shown: 0.0611 -> '61.1 ms'; 73.68 -> '73.7 s';
    131.6 -> '2 min 12 s'; 3900 -> '1 h 5 min'. Three significant digits below 100 s."""
    if not math.isfinite(s):
        return f"{s} s"
    if s < 0:
        return "-" + format_seconds(-s)
    if s == 0:
        return "0 s"
    if s >= 99.95:
        whole = round(s)
        if whole < 3600:
            return f"{whole // 60} min {whole % 60} s"
        minutes = round(s / 60)
        if minutes < 24 * 60:
            return f"{minutes // 60} h {minutes % 60} min"
        hours = round(s / 3600)
        days = plural(hours // 24, "day")
        return days if hours % 24 == 0 else f"{days} {hours % 24} h"
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        value = s / scale
        text = _significant(value)
        if float(text) < 1000 or unit == "s":
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def _significant(value: float) -> str:
    """`value` with SIGNIFICANT_DIGITS significant digits, trailing zeros kept: 1.8 -> '1.80'."""
    if value >= 10 ** (SIGNIFICANT_DIGITS - 1):
        return f"{round(value):d}"
    digits = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(value))
    text = f"{value:.{max(digits, 0)}f}"
    # Rounding can carry into another digit (9.996 -> '10.00'): one digit fewer then.
    if len(text.replace(".", "").lstrip("0")) > SIGNIFICANT_DIGITS and digits > 0:
        text = f"{value:.{digits - 1}f}"
    return text


def format_elapsed(s: float) -> str:
    """The one stamp of a progress line: the time since the command started, `[12.3 s]`."""
    return f"[{format_seconds(s)}]"


_IRREGULAR = {"entry": "entries", "directory": "directories", "binary": "binaries"}


def plural(n: int | None, word: str, many: str | None = None) -> str:
    """`1 test`, `2 tests`, `0 tests`, `1 entry`, `3 entries`: the count and its noun, agreed;
    `? tests` when the count is unknown."""
    if n == 1:
        return f"{n} {word}"
    return f"{'?' if n is None else n} {many or _IRREGULAR.get(word) or word + 's'}"


def all_of(n: int, word: str) -> str:
    """`all 3 gates`, `the one gate`, `no gate`: a whole counted, agreed."""
    if n == 1:
        return f"the one {word}"
    return f"no {word}" if n == 0 else f"all {plural(n, word)}"


_PART = r"(\d+(?:\.\d+)?)\s*(µs|us|ms|sec|s|min|h|days|day)"
_DURATION = re.compile(rf"^\s*{_PART}(?:\s+{_PART})?\s*$")
_SECONDS = {"µs": "0.000001", "us": "0.000001", "ms": "0.001", "s": "1", "sec": "1"}
_SECONDS |= {"min": "60", "h": "3600", "day": "86400", "days": "86400"}


def parse_seconds(text: str) -> float:
    """`"120 s"` -> 120.0; `"200 ms"` -> 0.2; `"2 min"` -> 120.0; `"2 min 12 s"` -> 132.0 (what
    format_seconds shows reads back). A unit is required (a bare number could be either). Raises
    ValueError."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"expected a duration such as '120 s' or '200 ms', got {_repr_excerpt(text)}"
        )
    total = Decimal(match.group(1)) * Decimal(_SECONDS[match.group(2)])
    if match.group(3) is not None:
        total += Decimal(match.group(3)) * Decimal(_SECONDS[match.group(4)])
    return float(total)
