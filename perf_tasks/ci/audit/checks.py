"""One small pure function per check: the parsed workflows in, findings out.

The team's conventions (docs/usage/ci.md): one cargo cache key for every job,
`${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}` with the restore-keys
`${{ runner.os }}-cargo-`; artifacts kept 7 days (benchmark JSON, test reports) or 14 (data);
Rust jobs skipped when no Rust-relevant file changed, by a filter that sees the lock file, cargo's
config and the toolchain file; tests under nextest's `ci` profile.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from ruamel.yaml.nodes import Node

from perf_tasks.ci.audit.facts import CARGO, Job, Step, Workflow
from perf_tasks.ci.audit.model import ERROR, NOTE, P1, P2, WARNING, Finding, Splice
from perf_tasks.ci.audit.parse import Source, compose, entries, get, text, texts
from perf_tasks.ci.audit.parse import line as line_of
from perf_tasks.ci.audit.splice import (
    INT,
    STR,
    add_key,
    append_in_block,
    append_items,
    scalar_text,
    set_scalar,
)
from perf_tasks.test_flags import runs_ignored

TEAM_KEY = "${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}"
TEAM_RESTORE_KEYS = "${{ runner.os }}-cargo-"
CACHE_ACTIONS = ("actions/cache", "actions/cache/restore", "actions/cache/save")
RUST_CACHE = "swatinem/rust-cache"
# Actions that cache cargo's files in their own way: a job with one of them has a cache.
OTHER_CARGO_CACHES = (
    RUST_CACHE,
    "leafwing-studios/cargo-cache",
    "mozilla-actions/sccache-action",
    "actions-rust-lang/setup-rust-toolchain",
)
UPLOAD = "actions/upload-artifact"
PATHS_FILTER = "dorny/paths-filter"
# Files whose change must run the Rust jobs, each with the pattern `--fix` adds for it.
RUST_FILES = (
    ("Cargo.lock", "Cargo.lock"),
    (".cargo/config.toml", ".cargo/**"),
    ("rust-toolchain.toml", "rust-toolchain*"),
    ("rust-toolchain", "rust-toolchain*"),
)
CLEANERS = re.compile(r"perf-tasks\s+clean|cargo[\s-]+sweep|cargo\s+cache\b|cargo\s+clean")


@dataclass(frozen=True)
class Context:
    """What the checks know of the workspace besides its workflows."""

    nextest_ci_profile: bool = False


# --- the team's key family ---------------------------------------------------------------------

_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOOLCHAIN = re.compile(r"toolchain|rustc|rust[-_]?version|\brust\b|msrv", re.IGNORECASE)
_TOOLCHAIN_WORD = re.compile(r"stable|beta|nightly|msrv|toolchain|rustc?|v?\d+", re.IGNORECASE)


def in_key_family(key: str) -> bool:
    """`${{ runner.os }}-cargo-` then a hash of Cargo.lock or Cargo.toml, with optional toolchain
    parts (a hash of rust-toolchain*, a toolchain step's output): the team's key, however
    `ci.init` spells it for the workspace."""
    compact = re.sub(r"\s+", "", key)
    if not compact.startswith("${{runner.os}}-cargo-"):
        return False
    rest = compact[len("${{runner.os}}-cargo-") :]
    hashes_manifest = False
    for expr in _EXPR.findall(rest):
        if expr.startswith("hashFiles(") and re.search(r"Cargo\.(lock|toml)", expr):
            hashes_manifest = True
        elif not _TOOLCHAIN.search(expr):
            return False
    # Between the expressions: separators and toolchain words only ("stable", "1.79"); a job's
    # name there ("build-", "test-") gives each job an entry of its own.
    words = re.split(r"[-_.]+", _EXPR.sub("-", rest))
    return hashes_manifest and all(_TOOLCHAIN_WORD.fullmatch(w) for w in words if w)


def is_derived_key(key: str) -> bool:
    """A save step's key taken from its restore step (`steps.x.outputs.cache-primary-key`)."""
    return (
        re.fullmatch(r"\$\{\{\s*steps\.[\w-]+\.outputs\.cache-primary-key\s*\}\}", key.strip())
        is not None
    )


# --- what a step is ------------------------------------------------------------------------------


def cargo_paths(step: Step) -> bool:
    """The cache holds what a build downloads or makes: cargo's registry or git checkouts, or a
    target dir (not `~/.cargo/bin` alone, installed tools keyed on their versions)."""
    path = step.input("path") or ""
    return bool(re.search(r"\.cargo/(registry|git)|(^|[\s/])target\b", path))


def is_cargo_cache(step: Step) -> bool:
    return step.uses in CACHE_ACTIONS and cargo_paths(step)


def restores(step: Step) -> bool:
    return step.uses in ("actions/cache", "actions/cache/restore")


def has_any_cargo_cache(job: Job) -> bool:
    return any(
        is_cargo_cache(s) or (s.uses or "").startswith(OTHER_CARGO_CACHES) for s in job.steps
    )


def is_rust_job(job: Job) -> bool:
    return job.runs_cargo or any(
        (s.uses or "").startswith(("dtolnay/rust-toolchain", "actions-rs/", RUST_CACHE))
        for s in job.steps
    )


def first_cargo_step(job: Job) -> int | None:
    return next((i for i, s in enumerate(job.steps) if s.run and CARGO.search(s.run)), None)


def _finding(
    id_: str,
    priority: str,
    level: str,
    source: Source,
    node: Node | None,
    message: str,
    fix: str,
    *,
    job: Job | None = None,
    splices: tuple[Splice, ...] = (),
    line: int | None = None,
) -> Finding:
    return Finding(
        id_,
        priority,
        level,
        source.path,
        line or line_of(node),
        message,
        fix,
        job=job.id if job else None,
        fixable=bool(splices),
        splices=splices,
    )


# --- caches --------------------------------------------------------------------------------------


def cache_missing(job: Job) -> Iterator[Finding]:
    if job.runs_cargo and not has_any_cargo_cache(job):
        yield _finding(
            "ci.cache-missing",
            P1,
            WARNING,
            job.source,
            job.node,
            f"{job.label} runs cargo without a cache: every run builds every dependency",
            "add before its first cargo step: `uses: actions/cache@v4` with `path: |` "
            "~/.cargo/registry, ~/.cargo/git, target; "
            f"`key: {TEAM_KEY}`; `restore-keys: {TEAM_RESTORE_KEYS}`",
            job=job,
        )


def _flow_parent(step: Step) -> bool:
    return bool(getattr(step.with_, "flow_style", False))


def cache_keys(job: Job) -> Iterator[Finding]:
    """A cargo cache key outside the team's family: fixed to the team's key."""
    for step in job.steps:
        if not is_cargo_cache(step):
            continue
        key_node = get(step.with_, "key")
        key = text(key_node)
        if key is None or in_key_family(key):
            continue
        if step.uses == "actions/cache/save" and is_derived_key(key):
            continue
        edit = key_fix(step)
        yield _finding(
            "ci.cache-key-differs",
            P1,
            WARNING,
            step.source,
            key_node,
            f"{job.label}: the cargo cache key {key!r} is not the team's key: jobs with "
            "different keys keep separate entries, each built from scratch",
            f"key: {TEAM_KEY}"
            + (" (the key is passed in: change it where it is set)" if is_passed_in(key) else ""),
            job=job,
            splices=(edit,) if edit else (),
        )


def is_passed_in(key: str) -> bool:
    """A key that is one expression naming a value set elsewhere (`${{ inputs.cache-key }}`,
    `${{ env.CARGO_CACHE_KEY }}`): the caller chose it, so it is reported, never rewritten."""
    return re.fullmatch(r"\s*\$\{\{[^}]*\}\}\s*", key) is not None and "hashFiles" not in key


def key_fix(step: Step) -> Splice | None:
    """The splice that makes a cargo cache's key the team's, when it may be rewritten."""
    key_node = get(step.with_, "key")
    key = text(key_node)
    if key is None or in_key_family(key) or is_passed_in(key):
        return None
    return set_scalar(step.source, key_node, TEAM_KEY, flow=_flow_parent(step))


def keys_across_jobs(jobs: list[Job]) -> Iterator[Finding]:
    """Keys of the team's family that still differ from job to job, in any workflow (a toolchain
    part in one and not in another): the jobs do not share an entry. Noted, not changed."""
    seen: dict[str, tuple[Job, Step]] = {}
    for job in jobs:
        for step in job.steps:
            key = text(get(step.with_, "key")) if is_cargo_cache(step) and restores(step) else None
            if key is not None and in_key_family(key):
                seen.setdefault(re.sub(r"\s+", "", key), (job, step))
    if len(seen) > 1:
        for job, step in list(seen.values())[1:]:
            first = next(iter(seen))
            yield _finding(
                "ci.cache-key-differs",
                P1,
                NOTE,
                step.source,
                get(step.with_, "key"),
                f"{job.label} keys cargo's cache differently from another job ({first}): "
                "each key is an entry of its own",
                f"use one key in every job: {TEAM_KEY}",
                job=job,
            )


def restore_keys(job: Job) -> Iterator[Finding]:
    """A cargo cache restored without restore-keys, or with restore-keys that are no prefix of
    its key (once the key is the team's): a new Cargo.lock then starts from nothing."""
    for step in job.steps:
        if not (is_cargo_cache(step) and restores(step)):
            continue
        key_node, given = get(step.with_, "key"), get(step.with_, "restore-keys")
        key = text(key_node) or ""
        flow = _flow_parent(step)
        fixes_key = not in_key_family(key) and set_scalar(
            step.source, key_node, TEAM_KEY, flow=flow
        )
        final_key = TEAM_KEY if fixes_key else key
        in_family = in_key_family(final_key)
        if given is None:
            edit = None
            if in_family:
                written = scalar_text(TEAM_RESTORE_KEYS, style=None, flow=flow)
                edit = add_key(
                    step.source, step.with_, "restore-keys", written, (STR, TEAM_RESTORE_KEYS)
                )
            yield _finding(
                "ci.cache-no-restore-keys",
                P1,
                WARNING,
                step.source,
                step.node,
                f"{job.label}: the cargo cache has no restore-keys: a new Cargo.lock starts "
                "from nothing instead of the newest older entry",
                f"restore-keys: {TEAM_RESTORE_KEYS}",
                job=job,
                splices=(edit,) if edit else (),
            )
            continue
        if is_passed_in(key):
            continue  # what the key is, only the run knows
        prefixes = [re.sub(r"\s+", "", line) for line in (text(given) or "").split("\n")]
        compact = re.sub(r"\s+", "", final_key)
        if any(p and compact.startswith(p) for p in prefixes):
            continue
        edit = set_scalar(step.source, given, TEAM_RESTORE_KEYS, flow=flow) if in_family else None
        yield _finding(
            "ci.cache-no-restore-keys",
            P1,
            WARNING,
            step.source,
            given,
            f"{job.label}: no restore-keys of the cargo cache is a prefix of its key"
            + (" (the team's, once fixed)" if fixes_key else "")
            + ": they restore none of its older entries",
            f"restore-keys: {TEAM_RESTORE_KEYS}",
            job=job,
            splices=(edit,) if edit else (),
        )


def side_by_side(job: Job) -> Iterator[Finding]:
    rust_cache = [s for s in job.steps if (s.uses or "").startswith(RUST_CACHE)]
    caches = [s for s in job.steps if is_cargo_cache(s)]
    if rust_cache and caches:
        yield _finding(
            "ci.cache-side-by-side",
            P1,
            WARNING,
            job.source,
            rust_cache[0].node,
            f"{job.label} caches cargo's files twice: Swatinem/rust-cache and actions/cache "
            "(line " + str(caches[0].line) + ") save the same folders under two keys",
            "keep one of them: remove the actions/cache step of cargo's folders, or the "
            "rust-cache step",
            job=job,
        )


def not_restored(job: Job) -> Iterator[Finding]:
    first_cargo = first_cargo_step(job)
    restored = False
    for i, step in enumerate(job.steps):
        if not is_cargo_cache(step):
            continue
        if restores(step):
            restored = True
            if first_cargo is not None and i > first_cargo:
                yield _finding(
                    "ci.cache-not-restored",
                    P1,
                    WARNING,
                    step.source,
                    step.node,
                    f"{job.label} restores cargo's cache after its first cargo step "
                    f"(line {job.steps[first_cargo].line}): that step builds without it",
                    "move the cache step before the first cargo step",
                    job=job,
                )
        elif not restored:
            yield _finding(
                "ci.cache-not-restored",
                P1,
                WARNING,
                step.source,
                step.node,
                f"{job.label} saves cargo's cache but never restores it: every run builds "
                "from scratch",
                f"add an actions/cache/restore step before the first cargo step with "
                f"`key: {TEAM_KEY}` and `restore-keys: {TEAM_RESTORE_KEYS}`",
                job=job,
            )


def saved_uncleaned(job: Job) -> Iterator[Finding]:
    for i, step in enumerate(job.steps):
        if not is_cargo_cache(step) or step.uses == "actions/cache/restore":
            continue
        if not re.search(r"(^|[\s/])target\b", step.input("path") or ""):
            continue
        # actions/cache saves when the job ends: a clean anywhere after it counts; a save step
        # needs the clean before it.
        window = job.steps[i + 1 :] if step.uses == "actions/cache" else job.steps[:i]
        if not any(s.run and CLEANERS.search(s.run) for s in window):
            yield _finding(
                "ci.cache-saved-uncleaned",
                P1,
                WARNING,
                step.source,
                step.node,
                f"{job.label} saves target/ without cleaning it first: stale units pile up "
                "in the cache entry, which grows with every save",
                "run `perf-tasks clean` (or `cargo sweep`) before the cache is saved, e.g. "
                "split it into actions/cache/restore and actions/cache/save with the clean "
                "between them",
                job=job,
            )


_BUILD = re.compile(r"cargo(?:\s+\+\S+)?\s+(build|check|clippy|doc)\b[^\n;&|]*")


def build_repeated(jobs: list[Job]) -> Iterator[Finding]:
    """The same cargo build in several jobs of one workflow, with neither a shared cache nor an
    artifact handed on: each job compiles everything again."""
    by_command: dict[str, list[Job]] = {}
    for job in jobs:
        commands = {
            re.sub(r"\s+", " ", m.group(0)).strip()
            for s in job.steps
            if s.run
            for m in _BUILD.finditer(joined(s.run))
        }
        for command in commands:
            by_command.setdefault(command, []).append(job)
    for command, users in by_command.items():
        if len(users) < 2:
            continue
        shared = all(has_any_cargo_cache(j) for j in users)
        handed = any(any(s.uses == "actions/download-artifact" for s in j.steps) for j in users)
        if shared or handed:
            continue
        names = ", ".join(repr(j.id) for j in users)
        yield _finding(
            "ci.build-repeated",
            P1,
            WARNING,
            users[1].source,
            users[1].node,
            f"`{command}` runs in jobs {names} without a shared cache or an artifact handed on: "
            "each compiles everything again",
            f"give every one of them the cargo cache (key: {TEAM_KEY}), or build once and hand "
            "the result on (actions/upload-artifact, then `needs:` and "
            "actions/download-artifact)",
            job=users[1],
        )


# --- conditional execution -----------------------------------------------------------------------

PUSHES = ("push", "pull_request", "pull_request_target", "merge_group")


def github_glob(pattern: str) -> re.Pattern[str]:
    """A GitHub path filter pattern (`*`, `**`, `?`, `[...]`) as a regular expression."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + re.escape(pattern[i + 1 : end]).replace("\\-", "-") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    if pattern.endswith("/"):
        body += ".*"
    return re.compile(body)


def filter_matches(patterns: list[str], path: str, *, ignore: bool = False) -> bool:
    """Whether `paths:` (or, with `ignore`, `paths-ignore:`) lets `path` through: the last
    pattern that matches wins, `!` negates."""
    hit = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if github_glob(body).fullmatch(path):
            hit = not negated
    return not hit if ignore else hit


def missing_patterns(allowed: Callable[[str], bool]) -> list[str]:
    """The patterns to add for the Rust files `allowed(path)` says are filtered out."""
    out: list[str] = []
    for path, pattern in RUST_FILES:
        if not allowed(path) and pattern not in out:
            out.append(pattern)
    return out


def _rust_jobs(workflow: Workflow) -> list[Job]:
    return [j for j in workflow.jobs if is_rust_job(j)]


def _gated_jobs(workflow: Workflow) -> dict[str, Job]:
    """The jobs whose outputs gate a Rust job's `if:` (`needs.changes.outputs.rust`)."""
    by_id = {j.id: j for j in workflow.jobs}
    out = {}
    for job in _rust_jobs(workflow):
        for name in re.findall(r"needs\.([\w-]+)\.outputs", job.condition or ""):
            if name in by_id:
                out[name] = by_id[name]
    return out


def path_filters(workflow: Workflow) -> Iterator[Finding]:
    rust_jobs = _rust_jobs(workflow)
    events = workflow.trigger_names()
    if not rust_jobs or not any(e in PUSHES for e in events):
        return
    unfiltered = []  # events that start the workflow whatever changed
    for event in events:
        if event not in PUSHES:
            continue
        trigger = workflow.trigger(event)
        paths_node, ignore_node = get(trigger, "paths"), get(trigger, "paths-ignore")
        if paths_node is None and ignore_node is None:
            unfiltered.append(event)
        if paths_node is not None:
            patterns = texts(paths_node)
            missing = missing_patterns(partial(filter_matches, patterns))
            if missing:
                edit = append_items(workflow.source, paths_node, missing)
                yield _finding(
                    "ci.path-filter-misses",
                    P2,
                    WARNING,
                    workflow.source,
                    paths_node,
                    f"on.{event}.paths leaves out {', '.join(missing)}: a change to the lock "
                    "file, cargo's config or the toolchain would not run the Rust jobs",
                    f"add to on.{event}.paths: {', '.join(missing)}",
                    splices=(edit,) if edit else (),
                )
        if ignore_node is not None:
            patterns = texts(ignore_node)
            ignored = [p for p, _ in RUST_FILES if not filter_matches(patterns, p, ignore=True)]
            if ignored:
                yield _finding(
                    "ci.path-filter-misses",
                    P2,
                    WARNING,
                    workflow.source,
                    ignore_node,
                    f"on.{event}.paths-ignore ignores {', '.join(ignored)}: a change there would "
                    "not run the Rust jobs",
                    f"remove from on.{event}.paths-ignore the patterns that match "
                    f"{', '.join(ignored)}",
                )
    for job in workflow.jobs:
        for step in job.steps:
            if step.uses == PATHS_FILTER:
                yield from _paths_filter(job, step)
    for job in _gated_jobs(workflow).values():
        yield from _case_filter(job)
    if not unfiltered:
        return
    for job in rust_jobs:
        if _gated(job):
            continue
        yield _finding(
            "ci.no-path-filter",
            P2,
            WARNING,
            workflow.source,
            job.node,
            f"{job.label} runs on every change ({', '.join(unfiltered)}), docs-only ones too",
            "add a `changes` job that sets an output when Rust-relevant files changed (as "
            "`perf-tasks ci.init` writes it, or dorny/paths-filter), and give the job "
            "`needs: changes` and `if: needs.changes.outputs.rust == 'true'`; not `on.paths`, "
            "which leaves a required check pending",
            job=job,
        )


def _gated(job: Job) -> bool:
    """The job runs its Rust steps only when Rust files changed: a job-level `if:` on another
    job's output (the `changes` job), or a paths-filter step of its own that its steps follow."""
    condition = job.condition or ""
    if re.search(r"needs\.[\w-]+\.outputs", condition):
        return True
    return any(step.uses == PATHS_FILTER for step in job.steps)


def _paths_filter(job: Job, step: Step) -> Iterator[Finding]:
    """dorny/paths-filter: each filter of Rust files (one with `*.rs` or `Cargo`) must see the
    lock file, cargo's config and the toolchain file. The filters are YAML inside a literal block
    scalar: the missing patterns are spliced into it as items of each filter's list (one splice
    for the block)."""
    from ruamel.yaml.error import YAMLError

    filters_node = get(step.with_, "filters")
    try:
        filters = compose(step.input("filters") or "")
    except YAMLError:
        return
    short: list[tuple[str, Node, list[str]]] = []
    key_of: dict[int, Node] = {}
    for name, key_node, node in entries(filters):
        key_of[id(node)] = key_node
        patterns = texts(node)
        if not any(".rs" in p or "Cargo" in p for p in patterns):
            continue
        missing = missing_patterns(partial(_picomatch, patterns))
        if missing:
            short.append((name, node, missing))
    # A filter the splice cannot extend (a single pattern, an alias) is reported only.
    workable = [n for _, n, m in short if append_in_block(step.source, filters_node, [(n, m)])]
    edit = append_in_block(
        step.source, filters_node, [(n, m) for _, n, m in short if n in workable]
    )
    for name, node, missing in short:
        yield _finding(
            "ci.path-filter-misses",
            P2,
            WARNING,
            step.source,
            filters_node,
            f"{job.label}: the paths-filter filter {name!r} leaves out {', '.join(missing)}",
            f"add to the filter {name!r}: " + ", ".join(f"'{m}'" for m in missing),
            job=job,
            splices=_maybe(edit) if node in workable else (),
            line=_line_in_block(filters_node, key_of[id(node)]),
        )


def _line_in_block(scalar: Node | None, inner: Node) -> int | None:
    """The file's line of a node of YAML parsed from a block scalar's value (its first line is
    the one after the `key: |` line)."""
    if scalar is None:
        return None
    return int(scalar.start_mark.line) + 2 + int(inner.start_mark.line)


def _maybe(edit: Splice | None) -> tuple[Splice, ...]:
    return (edit,) if edit else ()


def _shell_match(patterns: list[str], path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _picomatch(patterns: list[str], path: str) -> bool:
    return any(github_glob(p).fullmatch(path) for p in patterns if not p.startswith("!"))


_CASE = re.compile(r"^\s*\(?([^()\n#]+)\)\s*[\w-]+=true", re.MULTILINE)


def _case_filter(job: Job) -> Iterator[Finding]:
    """A `changes` job as ci.init writes it: `case "$file" in PATTERNS) rust=true`. Its
    patterns are shell patterns (`*` crosses `/`)."""
    for step in job.steps:
        for match in _CASE.finditer(step.run or ""):
            patterns = [p.strip().strip("'\"") for p in match.group(1).split("|")]
            missing = missing_patterns(partial(_shell_match, patterns))
            if missing:
                yield _finding(
                    "ci.path-filter-misses",
                    P2,
                    WARNING,
                    step.source,
                    step.node,
                    f"{job.label}: its `case` patterns leave out {', '.join(missing)}",
                    "add to the case patterns: "
                    + "|".join(missing)
                    + " (with ci.init: add them to [ci] rust_paths and run ci.init --force)",
                    job=job,
                )


# --- artifacts -----------------------------------------------------------------------------------

_KINDS = (
    (
        "test report",
        7,
        re.compile(r"junit|test[-_ ]?(result|report)s?|nextest|\.xml$", re.I | re.M),
    ),
    ("benchmark JSON", 7, re.compile(r"bench|criterion|perf|gate|record", re.I)),
    ("data", 14, re.compile(r"\bdata\b|history|monitor|\.csv\b|\.jsonl\b|\.parquet\b", re.I)),
)


def artifact_kind(name: str, paths: str) -> tuple[str, int] | None:
    """The kind of an upload from its name and paths, and the days the team keeps it; None when
    it is not one the team's table covers (a release binary, a site)."""
    words = f"{name}\n{paths}"
    if re.search(r"release|dist|binar|wheel|\.whl|\.tar|\.zip|pages|site", words, re.I):
        return None
    for kind, days, pattern in _KINDS:
        if pattern.search(words):
            if kind == "benchmark JSON" and not re.search(r"\.json\b|criterion", words, re.I):
                continue
            return kind, days
    return None


def retention(job: Job) -> Iterator[Finding]:
    for step in job.steps:
        if step.uses != UPLOAD:
            continue
        kind = artifact_kind(step.input("name") or "", step.input("path") or "")
        days_node = get(step.with_, "retention-days")
        if days_node is None:
            if kind is None:
                yield _finding(
                    "ci.upload-no-retention",
                    P1,
                    WARNING,
                    step.source,
                    step.node,
                    f"{job.label}: the upload {step.label!r} has no retention-days (kept the "
                    "repository's default, 90 days) and is not a kind the team's table covers",
                    "set `retention-days:` to what this artifact needs (not changed by --fix)",
                    job=job,
                )
                continue
            name, days = kind
            edit = None
            if not _before_retention(step):
                edit = add_key(
                    step.source, step.with_, "retention-days", str(days), (INT, str(days))
                )
            yield _finding(
                "ci.upload-no-retention",
                P1,
                WARNING,
                step.source,
                step.node,
                f"{job.label}: the upload {step.label!r} ({name}) has no retention-days: "
                f"kept 90 days where {days} do",
                f"retention-days: {days}",
                job=job,
                splices=(edit,) if edit else (),
            )
            continue
        value = text(days_node)
        if kind is not None and value is not None and value.isdigit() and int(value) > kind[1]:
            yield _finding(
                "ci.upload-retention-long",
                P1,
                WARNING,
                step.source,
                days_node,
                f"{job.label}: the upload {step.label!r} ({kind[0]}) is kept {value} days; "
                f"the team keeps it {kind[1]}",
                f"retention-days: {kind[1]} (not changed by --fix: a longer time may be wanted)",
                job=job,
            )


def _before_retention(step: Step) -> bool:
    """An actions/upload-artifact before v2.2 has no `retention-days` input: it is not added."""
    ref = (text(get(step.node, "uses")) or "").partition("@")[2].strip().lower()
    return re.fullmatch(r"v1(\.\d+)*|v2\.[01](\.\d+)*", ref) is not None


# --- tests ---------------------------------------------------------------------------------------

_CARGO_TEST = re.compile(r"cargo(?:\s+\+\S+)?\s+test\b([^\n;&|]*)")
# A test command: what follows it on its line is its flags.
_TEST_COMMAND = re.compile(r"cargo(?:\s+\+\S+)?\s+(?:test|nextest\s+run)\b([^\n;&|]*)")


def joined(run: str | None) -> str:
    """A run script with its continued lines (`\\` at the end) joined: one command a line."""
    return re.sub(r"\\\r?\n", " ", run or "")


def tests(job: Job, context: Context) -> Iterator[Finding]:
    for step in job.steps:
        run = joined(step.run)
        match = _CARGO_TEST.search(run)
        if context.nextest_ci_profile and match and "--doc" not in match.group(1):
            yield _finding(
                "ci.cargo-test",
                P2,
                WARNING,
                step.source,
                step.node,
                f"{job.label} runs `cargo test` while the workspace has nextest's `ci` profile",
                "run `cargo nextest run --workspace --profile ci` (and `cargo test --doc` for "
                "doctests), where `perf-tasks tests.runners` measures it faster",
                job=job,
            )
        flag = next(
            (f for m in _TEST_COMMAND.finditer(run) if (f := runs_ignored(m.group(1)))), None
        )
        if flag is not None:
            yield _finding(
                "ci.include-ignored",
                P2,
                WARNING,
                step.source,
                step.node,
                f"{job.label} runs ignored tests (`{flag}`): the slow ones the team set aside "
                "run on every change",
                f"drop `{flag}`; run the ignored tests in a scheduled workflow",
                job=job,
            )


def fail_fast(job: Job) -> Iterator[Finding]:
    strategy = job.strategy
    if get(strategy, "matrix") is None:
        return
    if not any(
        s.run and re.search(r"cargo(?:\s+\+\S+)?\s+(test|nextest)\b", s.run) for s in job.steps
    ):
        return
    value = text(get(strategy, "fail-fast"))
    if value is None or value.strip().lower() not in ("false", "${{ false }}"):
        yield _finding(
            "ci.matrix-fail-fast",
            P2,
            NOTE,
            job.source,
            get(strategy, "fail-fast") or strategy,
            f"{job.label}: its test matrix stops every entry at the first failure: a failure "
            "on one platform hides whether the others pass",
            "strategy: fail-fast: false",
            job=job,
        )


# --- all of them ---------------------------------------------------------------------------------


def invalid(source: Source) -> Finding:
    return Finding(
        "ci.invalid-yaml",
        P1,
        ERROR,
        source.path,
        source.error_line,
        f"{source.shown} is not valid YAML: {source.error}; it was not audited"
        if source.snapshot.exists
        else f"{source.error}; it was not audited",
        "fix the YAML there (actionlint names the problem), then run ci.audit again",
    )


def step_checks(job: Job, context: Context) -> Iterator[Finding]:
    """The checks of single steps: also run over a composite action's own steps."""
    yield from cache_keys(job)
    yield from restore_keys(job)
    yield from retention(job)
    yield from tests(job, context)


def job_checks(job: Job, context: Context) -> Iterator[Finding]:
    if job.calls is not None:
        return  # a reusable workflow's jobs are audited in its own file
    yield from step_checks(job, context)
    yield from cache_missing(job)
    yield from side_by_side(job)
    yield from not_restored(job)
    yield from saved_uncleaned(job)
    yield from fail_fast(job)


def workflow_checks(workflow: Workflow, context: Context) -> Iterator[Finding]:
    for job in workflow.jobs:
        yield from job_checks(job, context)
    yield from build_repeated(list(workflow.jobs))
    yield from path_filters(workflow)
