"""The priority bands in `.config/nextest.toml`: text in, text out; every other byte kept.

Each band is one `[[profile.<p>.overrides]]` entry that sets only `filter` and `priority`, marked
as ours by a comment on its header line. nextest takes each setting of a test from the first
override that matches the test and sets it (the profile's overrides in order, then those of the
profiles it inherits from, then `[profile.default]`'s), so:

- a band sets nothing but `priority`: it can never take a `retries`, `slow-timeout`,
  `threads-required`, ... from a user's override, wherever it stands;
- the bands go after every entry of the profile, so a user's own `priority` in the same profile
  matches first and keeps winning;
- a user's `priority` in a profile consulted later (an inherited one, or `default`) would lose to
  a band: each band leaves those tests out (`& not (<their filter>)`), and one that sets the
  priority of every test (a platform and no filter) is refused.

A run removes the marked entries of its profile (and the blank line before each) and writes the
new ones in one place, so a second run with the same durations writes the same bytes. `check`
proves it from the outside: without our entries, the new text is the old text, byte for byte (a
last line without a line end gets one), and the data holds the user's overrides in their order
followed by the bands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from perf_tasks import toml_data
from perf_tasks.edit import tables
from perf_tasks.edit.tables import Chunk
from perf_tasks.errors import EditRefused
from perf_tasks.testorder.bands import Band

CONFIG = ".config/nextest.toml"
MARKER = "# perf-tasks tests.order: slowest first; replaced by its next run"
DEFAULT_PROFILE = "default"


def overrides_path(profile: str) -> tables.TablePath:
    return ("profile", profile, "overrides")


def is_ours(chunk: Chunk, profile: str | None = None) -> bool:
    """A band we wrote: an overrides entry (of `profile`, or of any profile) with our marker."""
    if not chunk.array or chunk.path is None or len(chunk.path) != 3:
        return False
    if chunk.path[0] != "profile" or chunk.path[2] != "overrides":
        return False
    if profile is not None and chunk.path[1] != profile:
        return False
    header = chunk.text.split("\n", 1)[0]
    return MARKER in header


def strip_ours(text: str, profile: str | None) -> str:
    """`text` without our bands of `profile` (of every profile when None), each with the blank
    line written before it: what the text was before they were written."""
    from perf_tasks.text import keep_ends

    parts = tables.chunks(text)
    keep: list[Chunk] = []
    for chunk in parts:
        if is_ours(chunk, profile):
            before = keep[-1] if keep else None
            if before is not None and before.path is None:
                lines = keep_ends(before.text)
                if lines and not lines[-1].strip():
                    keep[-1] = Chunk("".join(lines[:-1]))
                    if not keep[-1].text:
                        keep.pop()
            continue
        keep.append(chunk)
    return "".join(c.text for c in keep)


def filterset(band: Band, exclusions: Sequence[str] = ()) -> str:
    """`binary_id(=b) & (test(=x) | test(=y))` per binary, joined by `|`; then each exclusion."""
    per_binary: dict[str, list[str]] = {}
    for test in band.tests:
        per_binary.setdefault(test.binary, []).append(test.name)
    parts = []
    for binary, names in per_binary.items():
        matched = " | ".join(f"test(={_escaped(n)})" for n in names)
        if len(names) > 1:
            matched = f"({matched})"
        parts.append(f"binary_id(={_escaped(binary)}) & {matched}")
    expr = parts[0] if len(parts) == 1 else " | ".join(f"({p})" for p in parts)
    if exclusions:
        expr = " & ".join([f"({expr})", *(f"not ({e})" for e in exclusions)])
    return expr


def _escaped(name: str) -> str:
    """A name as a filterset's `=` matcher reads it: `\\`, `)` and `,` escaped with `\\`."""
    return name.replace("\\", "\\\\").replace(")", "\\)").replace(",", "\\,")


def entry(profile: str, band: Band, exclusions: Sequence[str] = (), *, nl: str = "\n") -> str:
    import tomlkit

    lines = [
        f"[[profile.{_key(profile)}.overrides]] {MARKER}",
        f"filter = {tomlkit.item(filterset(band, exclusions)).as_string()}",
        f"priority = {band.priority}",
    ]
    return nl.join(lines) + nl


def _key(name: str) -> str:
    """A table name as TOML writes it: bare when it can be, else quoted."""
    import re

    import tomlkit

    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else tomlkit.item(name).as_string()


def later_priorities(data: Mapping[str, Any], profile: str) -> tuple[str, ...]:
    """The filters of the user's overrides that set `priority` in the profiles nextest consults
    after `profile` (the ones it inherits from, then `default`). `data`: the file without our
    bands. Refused (`EditRefused`) when one sets the priority of every test."""
    chain: list[str] = []
    name: object = profile
    while isinstance(name, str) and name not in chain and name != DEFAULT_PROFILE:
        chain.append(name)
        table = _profile(data, name)
        name = table.get("inherits") if table is not None else None
    later = chain[1:]
    if profile != DEFAULT_PROFILE:
        later.append(DEFAULT_PROFILE)
    found: list[str] = []
    for name in later:
        for n, override in enumerate(_overrides(data, name), 1):
            if not isinstance(override, Mapping) or "priority" not in override:
                continue
            user_filter = override.get("filter")
            if not isinstance(user_filter, str):
                raise EditRefused(
                    f"{CONFIG}: [[profile.{name}.overrides]] #{n} sets the priority of every "
                    f"test, and bands in [profile.{profile}] would override it: give it a "
                    "`filter`, or order that profile instead; nothing was changed"
                )
            found.append(user_filter)
    return tuple(found)


def place(text: str, profile: str, bands: Sequence[Band]) -> str:
    """`text` with our bands of `profile` replaced by `bands` (removed when there are none)."""
    what = CONFIG
    try:
        tables.parse_text(text, what=what)
    except EditRefused as exc:
        raise EditRefused(f"{exc}; nothing was changed") from None
    base = strip_ours(text, profile)
    if not bands:
        return base
    exclusions = later_priorities(tables.parse_text(strip_ours(text, None), what=what), profile)
    nl = "\r\n" if "\r\n" in text else "\n"
    block = nl.join(entry(profile, b, exclusions, nl=nl) for b in bands)
    parts = tables.chunks(base)
    anchor = None
    for i, chunk in enumerate(parts):
        if chunk.path is not None and chunk.path[:2] == ("profile", profile):
            anchor = i
    if anchor is None:
        head = base if not base or base.endswith("\n") else base + nl
        new = head + (nl if head else "") + block  # the blank line strip_ours takes away
    else:
        before = "".join(c.text for c in parts[: anchor + 1])
        after = "".join(c.text for c in parts[anchor + 1 :])
        if not before.endswith("\n"):
            before += nl
        new = before + nl + block + after
    check(text, new, profile, bands, exclusions)
    return new


def check(
    old: str, new: str, profile: str, bands: Sequence[Band], exclusions: Sequence[str]
) -> None:
    """Refuse (`EditRefused`) unless `new` is `old` with only our bands of `profile` changed:
    the same text without them, and, parsed, the user's overrides first, in order, then ours."""
    what = CONFIG
    kept, was = strip_ours(new, profile), strip_ours(old, profile)
    # A last line without its line end gets one, so that a table can follow it.
    if kept != was and not (not was.endswith("\n") and kept in (was + "\n", was + "\r\n")):
        raise EditRefused(
            f"writing the bands would change text of {what} outside them; nothing was changed"
        )
    base = tables.parse_text(strip_ours(old, profile), what=what)
    try:
        data = toml_data.loads(new)
    except ValueError as exc:
        raise EditRefused(
            f"the bands cannot go into [profile.{profile}] of {what} ({exc}): write its "
            f"overrides as [[profile.{_key(profile)}.overrides]] tables; nothing was changed"
        ) from None
    user = _overrides(base, profile)
    wanted = [{"filter": filterset(b, exclusions), "priority": b.priority} for b in bands]
    if _overrides(data, profile) != [*user, *wanted] or _without(data, profile) != _without(
        base, profile
    ):
        raise EditRefused(
            f"the bands would not end [profile.{profile}]'s overrides in {what} with every "
            "other setting kept; nothing was changed"
        )


def _overrides(data: Mapping[str, Any], profile: str) -> list[Any]:
    table = _profile(data, profile)
    found = table.get("overrides") if table is not None else None
    return list(found) if isinstance(found, list) else []


def _profile(data: Mapping[str, Any], profile: str) -> Any:
    profiles = data.get("profile")
    table = profiles.get(profile) if isinstance(profiles, Mapping) else None
    return table if isinstance(table, Mapping) else None


def _without(data: Mapping[str, Any], profile: str) -> Any:
    import copy

    out: Any = copy.deepcopy(dict(data))
    table = _profile(out, profile)
    if isinstance(table, dict):
        table.pop("overrides", None)
        if not table:
            del out["profile"][profile]
        if not out["profile"]:
            del out["profile"]
    return out
