"""The starter `perf-tasks.toml`: every key of the settings schema at its default, commented out,
under its one-line description. Generated from `settings.schema()`, so that it can never drift from
what the loader reads: a new key appears in it the day it is declared.

The layout follows sshd_config's: `# text` is a description, `#key = value` a key at its default.
Removing the `#` of a key line sets it; the section headers stay uncommented so that it lands in its
table. A list of tables (`[[artifacts.rules]]`) comes last in its section, where TOML needs it.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import MISSING
from typing import Any

from perf_tasks import __version__
from perf_tasks.settings import SECTIONS, Key, Tables, declared

WIDTH = 100  # the project's line length: the file reads well beside the code it governs

HEADER = f"""\
# perf-tasks.toml: the policy perf-tasks follows in this workspace (`perf-tasks init`,
# perf-tasks {__version__}). Every key is shown at its default and commented out: remove the `#`
# in front of a key to set it. Keys left commented follow the defaults of the installed
# perf-tasks. The reference of every key: docs/configuration.md in perf-tasks' repository.
"""

PROFILES_NOTE = """\
# [profiles.<name>]: cargo profiles that `perf-tasks profiles.apply --profile <name>` writes into
# Cargo.toml, checked as cargo would (docs/usage/profiles.md). None by default; for example:
#   [profiles.lean]
#   inherits = "release"
#   lto = "thin"
"""


def text() -> str:
    """The whole starter file."""
    parts = [HEADER]
    for section, cls in SECTIONS.items():
        parts.append("\n".join(_section(section, cls)) + "\n")
    parts.append(PROFILES_NOTE)
    return "\n".join(parts)


def _section(section: str, cls: type) -> Iterator[str]:
    yield f"[{section}]"
    about = _about(cls)
    if about:
        yield from _comment(about)
    keys = list(declared(cls))
    # a list of tables ends its section: a key after `[[...]]` would belong to the last table
    keys.sort(key=lambda pair: isinstance(pair[1].kind, Tables))
    for f, declaration in keys:
        yield ""
        yield from _comment(_description(f.default, declaration))
        yield from _value(section, f.name, f.default, declaration)


def _about(cls: type) -> str:
    """The first paragraph of a section's docstring; dataclasses make one up when there is none."""
    doc = inspect.getdoc(cls) or ""
    if not cls.__doc__ or doc.startswith(f"{cls.__name__}("):
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def _description(default: Any, declaration: Key) -> str:
    """The key's description; for a text whose `""` stands for something, what that is."""
    meaning = getattr(declaration.kind, "empty", "")
    if default == "" and meaning:
        return f'{declaration.doc}; "": {meaning}'
    return declaration.doc


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH - 2,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _value(section: str, name: str, default: Any, declaration: Key) -> Iterator[str]:
    if isinstance(declaration.kind, Tables):
        if not default:
            # No table by default: the key line is the empty list (set, it is the default), and
            # the tables' own examples show one.
            example = _example_table(declaration.kind.of)
            if example is not None:
                yield from _comment(f"e.g. {name} = [{declaration.kind.toml((example,))[1:-1]}]")
            yield f"#{name} = []"
            return
        for table in default:
            yield f"#[[{section}.{name}]]"
            for f, field_key in declared(type(table)):
                yield f"#{f.name} = {field_key.kind.toml(getattr(table, f.name))}"
        return
    yield f"#{name} = {declaration.kind.toml(default)}"


def _example_table(cls: type) -> Any:
    """A table of a list built from its keys' examples (None when one has neither an example nor
    a default)."""
    values = {}
    for f, field_key in declared(cls):
        if field_key.example is not None:
            values[f.name] = field_key.example
        elif f.default is MISSING:
            return None
    return cls(**values)
