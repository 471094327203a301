"""Sizes and durations as people write and read them (decimal units, like `du -h --si`)."""

from __future__ import annotations

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


def format_seconds(s: float) -> str:
    """0.0304 -> '30.4 ms'; 12.3456 -> '12.346 s'; 754.2 -> '12 min 34.2 s'.

    The precision a measurement needs: a tenth of a millisecond below 1 s, a millisecond below
    100 s.
    """
    if s < 1:
        return f"{s * 1000:.1f} ms"
    if s < 100:
        return f"{s:.3f} s"
    return f"{int(s // 60)} min {s % 60:.1f} s"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|min|h)\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


def parse_seconds(text: str) -> float:
    """`"120 s"` -> 120.0; `"200 ms"` -> 0.2; `"2 min"` -> 120.0. A unit is required (a bare
    number could be either). Raises ValueError."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"expected a duration such as '120 s' or '200 ms', got {_repr_excerpt(text)}"
        )
    return float(Decimal(match.group(1)) * Decimal(str(_SECONDS[match.group(2)])))
