"""`ci.audit`: what is slow or wasteful in a workspace's own GitHub workflows, with file and line,
and the safe part fixed by splicing into the original text (fix.py).

Public: `audit(root) -> Audit` (the findings; `doctor` shows them), `Audit`, `Finding`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from perf_tasks.ci.audit import checks, facts, parse, tools
from perf_tasks.ci.audit.model import Audit, Finding
from perf_tasks.ci.audit.parse import Source

__all__ = ["Audit", "Finding", "audit", "findings_of", "read_sources"]


def audit(root: Path, *, env: Mapping[str, str] | None = None, linters: bool = True) -> Audit:
    """Every finding over the workflows and composite actions under `root`; actionlint's and
    zizmor's too when `linters` and they are on `env`'s PATH (default: this process's)."""
    sources = read_sources(root)
    found = findings_of(root, sources)
    if linters:
        found += linter_findings(root, sources, os.environ if env is None else env)
    return Audit(sort(found), tuple(s.path for s in sources))


def read_sources(root: Path) -> tuple[Source, ...]:
    from perf_tasks.paths import relative

    return tuple(parse.load(path, shown=relative(path, root)) for path in parse.locate(root))


def workspace_context(root: Path) -> checks.Context:
    from perf_tasks.errors import ConfigError
    from perf_tasks.measure.nextest_runs import has_profile, workspace_config

    try:
        return checks.Context(nextest_ci_profile=has_profile(workspace_config(root), "ci"))
    except ConfigError:
        return checks.Context()


def findings_of(root: Path, sources: Sequence[Source]) -> tuple[Finding, ...]:
    """The audit's own checks over files already read (pure but for the nextest config)."""
    context = workspace_context(root)
    actions = {
        facts.action_key(s): s
        for s in sources
        if s.root is not None and Path(s.shown).name in ("action.yml", "action.yaml")
    }
    found: list[Finding] = []
    jobs: list[facts.Job] = []
    # A composite action's own findings first: a step seen again in a job that uses the action
    # is the same finding, named after the action.
    for source in sorted(sources, key=lambda s: s not in actions.values()):
        if source.error is not None:
            found.append(checks.invalid(source))
        elif source.root is None:
            continue  # empty, or comments only: nothing to audit
        elif source in actions.values():
            job = facts.composite_job(source, actions)
            if job is not None:
                found += checks.step_checks(job, context)
        else:
            workflow = facts.workflow(source, actions)
            jobs += workflow.jobs
            found += checks.workflow_checks(workflow, context)
    found += checks.keys_across_jobs(jobs)  # the cache is the repository's: across workflows
    return sort(dedupe(found))


def linter_findings(
    root: Path, sources: Sequence[Source], env: Mapping[str, str]
) -> tuple[Finding, ...]:
    # Only the files the audit could read: the others are its findings already, and a linter
    # that meets one (a FIFO, a file that is not UTF-8) may hang or fail on every file at once.
    read = [s for s in sources if s.error is None and s.snapshot.exists]
    workflows = [
        s.path for s in read if s.root is not None and Path(s.shown).parent.name == "workflows"
    ]
    return (
        *tools.actionlint(root, workflows, env),
        *tools.zizmor(root, [s.path for s in read], env),
    )


def dedupe(found: Sequence[Finding]) -> list[Finding]:
    """A composite action's step is seen in every job that uses it: reported once."""
    seen: set[tuple[str, Path, int | None, str]] = set()
    out = []
    for f in found:
        key = (f.id, f.path, f.line, f.level)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def sort(found: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(found, key=lambda f: (str(f.path), f.line or 0, f.id)))
