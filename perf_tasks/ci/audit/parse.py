"""Finding the workflow files and reading them as YAML nodes that know where they are.

The nodes come from ruamel.yaml's composer (round-trip resolver): each knows its start and end as
character offsets into the text, which is what the fixer splices at. An alias is the very node of
its anchor, so a change at an anchor is seen at every alias. Merge keys (`<<: *defaults`) are
resolved here, as GitHub resolves them, with the mapping's own keys winning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from perf_tasks.fs import guarded

WORKFLOWS_DIR = ".github/workflows"
ACTIONS_DIR = ".github/actions"
MERGE = "<<"
# A workflow is a few kB (GitHub's largest are a few hundred); a larger file is not read whole.
MAX_BYTES = 2**20


@dataclass(frozen=True, eq=False)
class Source:
    """One file read: its snapshot and its root node, or why it is not YAML (`error`, `line`)."""

    path: Path
    shown: str
    snapshot: guarded.Snapshot
    root: Node | None
    error: str | None = None
    error_line: int | None = None

    @property
    def text(self) -> str:
        return self.snapshot.text or ""

    @property
    def newline(self) -> str:
        """The file's line ending: CRLF when its first line ends so."""
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"


def locate(root: Path) -> tuple[Path, ...]:
    """The workflows (`*.yml`, `*.yaml` directly under .github/workflows) and the composite
    actions (`.github/actions/*/action.yml`, or `.yaml`), sorted; symlinks are left out, a file's
    and any folder's between it and the root (GitHub reads the repository's own files). A FIFO or
    a device is listed: the reader refuses it, and the audit says so."""
    found: list[Path] = []
    workflows = root / WORKFLOWS_DIR
    if _own_folder(root, workflows):
        found += sorted(
            p
            for p in workflows.iterdir()
            if p.suffix in (".yml", ".yaml") and not p.is_dir() and not p.is_symlink()
        )
    actions = root / ACTIONS_DIR
    if _own_folder(root, actions):
        for folder in sorted(actions.iterdir()):
            if not _own_folder(root, folder):
                continue
            for name in ("action.yml", "action.yaml"):
                path = folder / name
                if path.exists() and not path.is_dir() and not path.is_symlink():
                    found.append(path)
                    break
    return tuple(found)


def _own_folder(root: Path, folder: Path) -> bool:
    """`folder` is a folder of the repository itself: no part of it below `root` is a symlink
    (a linked `.github` would lead the audit, and `--fix`, to files elsewhere)."""
    if not folder.is_dir():
        return False
    part = folder
    while part not in (root, part.parent):
        if part.is_symlink():
            return False
        part = part.parent
    return True


def load(path: Path, *, shown: str) -> Source:
    """Read `path` through the one reader, then compose it (never constructs Python objects)."""
    from perf_tasks.errors import ConfigError

    try:
        snapshot = guarded.read(path, shown=shown, bom=True, limit=MAX_BYTES)
    except ConfigError as exc:  # a FIFO, a device, not UTF-8: a finding, the others still audited
        return Source(path, shown, guarded.Snapshot(path, shown, None), None, str(exc))
    return compose_source(path, shown, snapshot)


def compose_source(path: Path, shown: str, snapshot: guarded.Snapshot) -> Source:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        root = compose(snapshot.text or "")
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        return Source(path, shown, snapshot, None, problem, mark.line + 1 if mark else None)
    except (YAMLError, RecursionError) as exc:
        first = str(exc).strip().split("\n")[0] or type(exc).__name__
        return Source(path, shown, snapshot, None, first, None)
    return Source(path, shown, snapshot, root)


_NOT_BREAKS = {0x85: 0xE000, 0x2028: 0xE000, 0x2029: 0xE000}


def compose(text: str) -> Node | None:
    """The root node of one YAML document (None for an empty one); raises ruamel's errors."""
    from ruamel.yaml import YAML

    # YAML 1.2 ends a line at \n and \r only; ruamel also breaks at U+0085, U+2028 and U+2029
    # (YAML 1.1), which a comment or a string may hold. Each becomes a private-use character
    # of the same length, so every offset and line stays the file's.
    return YAML(typ="rt", pure=True).compose(text.translate(_NOT_BREAKS))  # type: ignore[no-any-return]


# Reading nodes. Every accessor answers None (or nothing) for a node of another shape: a user's
# file can hold anything, and a check only looks at what has the shape it expects.


def line(node: Node | None) -> int | None:
    return None if node is None else int(node.start_mark.line) + 1


def entries(
    node: Node | None, _merging: frozenset[int] = frozenset()
) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) of a mapping, merge keys resolved: a merged mapping's keys
    first, each overridden by the mapping's own (a mapping that merges itself is merged once)."""
    if not isinstance(node, MappingNode) or id(node) in _merging:
        return
    own: dict[str, tuple[Node, Node]] = {}
    merged: dict[str, tuple[Node, Node]] = {}
    for key_node, value in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key is None:
            continue
        if key == MERGE and str(key_node.tag).endswith(":merge"):
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                for k, kn, v in entries(source, _merging | {id(node)}):
                    merged.setdefault(k, (kn, v))
            continue
        own[key] = (key_node, value)
    for key, (key_node, value) in {**merged, **own}.items():
        yield key, key_node, value


def get(node: Node | None, key: str) -> Node | None:
    for k, _, value in entries(node):
        if k == key:
            return value
    return None


def key_node(node: Node | None, key: str) -> Node | None:
    for k, kn, _ in entries(node):
        if k == key:
            return kn
    return None


def text(node: Node | None) -> str | None:
    """A scalar's value as YAML resolved it (None for `~`/`null`, a mapping or a sequence)."""
    if not isinstance(node, ScalarNode) or str(node.tag).endswith(":null"):
        return None
    return str(node.value)


def items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def texts(node: Node | None) -> list[str]:
    """A list of strings, or one string (GitHub accepts both in `paths:`, `needs:`, `runs-on:`)."""
    if isinstance(node, ScalarNode):
        value = text(node)
        return [] if value is None else [value]
    return [t for t in map(text, items(node)) if t is not None]


def data(node: Node | None, _above: tuple[int, ...] = ()) -> object:
    """A node as plain comparable data: mappings as dicts (merges resolved), sequences as tuples,
    scalars as (tag, value). Two files hold the same YAML when their data is equal. An alias to a
    node that holds it is shown as ("alias",) rather than followed for ever."""
    if node is None:
        return None
    if id(node) in _above:
        return ("alias",)
    above = (*_above, id(node))
    if isinstance(node, MappingNode):
        return {k: data(v, above) for k, _, v in entries(node)}
    if isinstance(node, SequenceNode):
        return tuple(data(i, above) for i in node.value)
    return (str(node.tag), str(node.value))


def expanded_size(node: Node | None, _sizes: dict[int, int] | None = None) -> int:
    """How many nodes the document has once every alias is followed (an alias of an ancestor
    counted once): a few thousand for a workflow, astronomic for an alias bomb."""
    sizes = {} if _sizes is None else _sizes
    if node is None:
        return 0
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = 1  # an alias of an ancestor: counted once
    total = 1
    if isinstance(node, MappingNode):
        total += sum(expanded_size(v, sizes) + 1 for _, v in node.value)
    elif isinstance(node, SequenceNode):
        total += sum(expanded_size(i, sizes) for i in node.value)
    sizes[id(node)] = total
    return total
