"""`tests.ignored`: every ignored test of the workspace, by package, with its reason.

The tests are nextest's own list (`cargo nextest list --run-ignored only`), so the count is
nextest's. A listing names no reason: each test's `#[ignore = "…"]` is found in the sources, above
the `fn` of its name, in the files of its test target (`#[cfg_attr(COND, ignore)]` gives a
condition; a test a macro makes has no attribute to find). Ignored doctests, which nextest does not
run or list, are the ```` ```ignore ```` blocks of the libraries' doc comments and of the Markdown
files they include (`#[doc = include_str!("…")]`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from perf_tasks import command
from perf_tasks.context import RunContext
from perf_tasks.errors import ToolMissing
from perf_tasks.fs.regular import NotRegular, read_text
from perf_tasks.measure import cargo as cargo_mod
from perf_tasks.measure import nextest_runs
from perf_tasks.runlock import run_lock
from perf_tasks.testsuite import rust_source
from perf_tasks.text import lines as text_lines

PROFILE = "perf-tasks-ignored"
LIST_TIMEOUT_S = 3 * 3600.0  # listing builds every test binary first
LIB_KINDS = frozenset({"lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"})
SKIP_DIRS = frozenset({"target", ".git"})


@dataclass(frozen=True)
class IgnoredTest:
    package: str
    binary: str  # nextest's binary id
    name: str
    reason: str | None  # `#[ignore = "…"]`
    condition: str | None = None  # ignored by `#[cfg_attr(COND, ignore)]`
    source: str | None = None  # `file:line` of its fn, relative to the root; None: not found

    def as_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "binary": self.binary,
            "name": self.name,
            "reason": self.reason,
            "condition": self.condition,
            "source": self.source,
        }


@dataclass(frozen=True)
class IgnoredDoctest:
    package: str
    source: str  # `file:line` of the code block, relative to the root
    info: str  # its info string: `ignore`, `rust,ignore`

    def as_json(self) -> dict[str, Any]:
        return {"package": self.package, "source": self.source, "info": self.info}


@dataclass(frozen=True)
class Ignored:
    root: Path
    tests: tuple[IgnoredTest, ...]  # nextest's list, by package, binary, name
    doctests: tuple[IgnoredDoctest, ...]
    nextest_count: int  # the tests nextest selects with --run-ignored only
    exit_code: int = 0

    def by_package(self) -> dict[str, tuple[list[IgnoredTest], list[IgnoredDoctest]]]:
        out: dict[str, tuple[list[IgnoredTest], list[IgnoredDoctest]]] = {}
        for test in self.tests:
            out.setdefault(test.package, ([], []))[0].append(test)
        for doc in self.doctests:
            out.setdefault(doc.package, ([], []))[1].append(doc)
        return dict(sorted(out.items()))

    def as_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "count": len(self.tests),
            "nextest_count": self.nextest_count,
            "with_reason": sum(t.reason is not None for t in self.tests),
            "doctest_count": len(self.doctests),
            "packages": {
                name: {
                    "tests": [t.as_json() for t in tests],
                    "doctests": [d.as_json() for d in docs],
                }
                for name, (tests, docs) in self.by_package().items()
            },
        }


@dataclass(frozen=True)
class Listed:
    package: str
    binary: str
    binary_name: str
    kind: str  # nextest's: "lib", "test", "bin", "proc-macro", "bench", "example"
    name: str


def parse_listing(json_text: str) -> tuple[list[Listed], int]:
    """The tests `cargo nextest list --run-ignored only --message-format json` selects, and their
    count."""
    data = json.loads(json_text)
    found = []
    for binary, suite in sorted((data.get("rust-suites") or {}).items()):
        for name, case in sorted((suite.get("testcases") or {}).items()):
            match = (case.get("filter-match") or {}).get("status")
            if match == "matches" or (match is None and case.get("ignored")):
                found.append(
                    Listed(
                        suite.get("package-name") or binary.split("::")[0],
                        binary,
                        suite.get("binary-name") or "",
                        suite.get("kind") or "",
                        name,
                    )
                )
    return found, len(found)


def list_ignored(ctx: RunContext) -> str:
    """nextest's JSON list of the workspace's tests, with only the ignored ones selected."""
    inspection = ctx.inspection
    if inspection.nextest is None:
        raise ToolMissing(
            "cargo-nextest is not installed: tests.ignored reads its list "
            "(pip install 'perf-tasks[nextest]' or cargo install cargo-nextest)"
        )
    store = inspection.workspace.target_dir / "nextest"
    with tempfile.TemporaryDirectory(prefix="perf-tasks-ignored-") as tmp:
        config = Path(tmp) / "nextest.toml"
        config.write_text(nextest_runs.tool_config(PROFILE, store_dir=str(store)), encoding="utf-8")
        argv = nextest_runs.argv(
            inspection.nextest_program,
            "list",
            profile=PROFILE,
            tool_config=config,
            args=("--workspace", "--run-ignored", "only", "--message-format", "json"),
        )
        with run_lock(ctx.root):  # listing builds the tests: no clean deletes under it
            out = command.run(argv, cwd=ctx.root, env=inspection.env, timeout_s=LIST_TIMEOUT_S)
    return out.stdout


def ignored(ctx: RunContext) -> Ignored:
    """Every ignored test (nextest's list, reasons from the sources) and ignored doctest."""
    listing, count = parse_listing(list_ignored(ctx))
    packages = {p["name"]: p for p in cargo_mod.member_packages(ctx.inspection.metadata)}
    ws = ctx.inspection.workspace
    sources = Sources(ctx.root, skip=(ws.target_dir, ws.build_dir))
    tests = tuple(_with_reason(test, packages.get(test.package), sources) for test in listing)
    doctests = tuple(doc for name in sorted(packages) for doc in _doctests(packages[name], sources))
    return Ignored(ctx.root, tests, doctests, count)


class Sources:
    """The Rust files of a folder, each read once (through the one reader)."""

    def __init__(self, root: Path, *, skip: tuple[Path, ...] = ()) -> None:
        self.root = Path(os.path.realpath(root))
        self._skip = {os.path.realpath(p) for p in skip}
        self._texts: dict[Path, str | None] = {}

    def text(self, path: Path) -> str | None:
        if path not in self._texts:
            try:
                self._texts[path] = read_text(path)
            except (OSError, NotRegular, UnicodeDecodeError):
                self._texts[path] = None  # unreadable: its tests keep no reason
        return self._texts[path]

    def rust_files(self, folder: Path) -> Iterator[Path]:
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in SKIP_DIRS
                and not d.startswith(".")
                and os.path.realpath(os.path.join(base, d)) not in self._skip
            )
            for name in sorted(files):
                if name.endswith(".rs"):
                    yield Path(base) / name

    def shown(self, path: Path, line: int) -> str:
        try:
            rel = Path(os.path.realpath(path)).relative_to(self.root).as_posix()
        except ValueError:
            rel = str(path)
        return f"{rel}:{line}"


def _target_of(package: Mapping[str, Any], test: Listed) -> Mapping[str, Any] | None:
    wanted = test.binary_name.replace("-", "_")
    target: Mapping[str, Any]
    for target in package.get("targets") or ():
        kinds = set(target.get("kind") or ())
        kind_ok = test.kind in kinds or (test.kind in ("lib", "proc-macro") and kinds & LIB_KINDS)
        if kind_ok and str(target.get("name", "")).replace("-", "_") == wanted:
            return target
    return None


def _candidate_files(
    package: Mapping[str, Any], test: Listed, sources: Sources
) -> tuple[list[Path], list[Path]]:
    """(the files of the test's target, the package's other Rust files): a target's crate root,
    its module folder and, for a crate root named lib.rs or main.rs, its whole folder."""
    folder = Path(package["manifest_path"]).parent
    every = list(sources.rust_files(folder))
    target = _target_of(package, test)
    if target is None:
        return [], every
    src = Path(target["src_path"])
    if src.name in ("lib.rs", "main.rs", "mod.rs"):
        near = [p for p in every if src.parent in p.parents]
    else:
        module_dir = src.parent / src.stem
        near = [p for p in every if p == src or module_dir in p.parents]
    near_set = set(near)
    return near, [p for p in every if p not in near_set]


def _with_reason(test: Listed, package: Mapping[str, Any] | None, sources: Sources) -> IgnoredTest:
    plain = IgnoredTest(test.package, test.binary, test.name, None)
    if package is None:
        return plain
    *modules, fn = test.name.split("::")
    folder = Path(package["manifest_path"]).parent
    near, rest = _candidate_files(package, test, sources)
    best: tuple[tuple[int, bool], Path, rust_source.Ignore] | None = None
    for in_target, files in ((True, near), (False, rest)):
        for path in files:
            text = sources.text(path)
            if text is None or fn not in text:
                continue
            for found in rust_source.ignore_of(text, fn):
                # The module path decides; between equals, the test's own target's file.
                rank = (_module_score(modules, path.relative_to(folder), found.modules), in_target)
                if best is None or rank > best[0]:
                    best = (rank, path, found)
    if best is None:
        return plain
    _rank, path, found = best
    return IgnoredTest(
        test.package,
        test.binary,
        test.name,
        found.reason,
        found.condition,
        sources.shown(path, found.line),
    )


def _module_score(modules: list[str], path: Path, inline: tuple[str, ...]) -> int:
    """How well a fn's place matches the test's module path: its inline modules, then its file's
    folders and stem, each matched from the end."""
    parts = list(path.with_suffix("").parts)  # relative to the package's folder
    if parts and parts[0] in ("src", "tests", "benches", "examples"):
        parts = parts[1:]
    where = [*(p for p in parts if p not in ("mod", "lib", "main")), *inline]
    score = 0
    for want, have in zip(reversed(modules), reversed(where), strict=False):
        if want != have:
            break
        score += 1
    return score


def _doctests(package: Mapping[str, Any], sources: Sources) -> list[IgnoredDoctest]:
    """The ignored code blocks of the package's library: its doc comments, and the Markdown its
    sources include as documentation."""
    # `doctest = false` is not asked: `cargo test --doc`, which the tool and the team run, runs
    # them all the same (regex 1.7 sets it, and its 3 ignored doctests show).
    lib = next(
        (t for t in package.get("targets") or () if set(t.get("kind") or ()) & LIB_KINDS), None
    )
    if lib is None:
        return []
    src_dir = Path(lib["src_path"]).parent
    found: list[IgnoredDoctest] = []
    included: set[Path] = set()
    for path in sources.rust_files(src_dir):
        text = sources.text(path)
        if text is None:
            continue
        for block in rust_source.doc_comment_blocks(text):
            for fence in rust_source.ignored_fences(block):
                found.append(
                    IgnoredDoctest(package["name"], sources.shown(path, fence.line), fence.info)
                )
        for name in rust_source.included_docs(text):
            included.add(Path(os.path.normpath(path.parent / PurePosixPath(name))))
    for doc in sorted(included):
        text = sources.text(doc)
        if text is None:
            continue
        numbered = list(enumerate(text_lines(text), start=1))
        for fence in rust_source.ignored_fences(numbered):
            found.append(
                IgnoredDoctest(package["name"], sources.shown(doc, fence.line), fence.info)
            )
    return found
