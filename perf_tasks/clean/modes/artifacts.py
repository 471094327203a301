"""`clean.artifacts`: retention by rule under `artifacts/`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from perf_tasks import clock
from perf_tasks.clean import model
from perf_tasks.clean.model import Skip
from perf_tasks.clean.quarantine import TRASH_DIR
from perf_tasks.clean.safety import Guard, Rule
from perf_tasks.clean.selection import Candidate, Selection, label
from perf_tasks.fs.glob import glob_match
from perf_tasks.quantities import format_seconds
from perf_tasks.settings import ArtifactRule, Settings

DAY = 86400.0


def select_artifacts(guard: Guard, settings: Settings, *, now: float) -> Selection:
    ws = guard.workspace
    folder = ws.root / settings.output_path(settings.artifacts.output)
    sel = Selection(areas=[(label(ws.root, folder), folder)])
    repos: list[Path] = []
    for path, mtime in _files_with_mtime(folder, repos):
        rel = path.relative_to(folder).as_posix()
        rule = match_rule(settings.artifacts.rules, rel)
        if rule is None:
            continue
        if not clock.plausible(mtime):  # a wrong clock's date is no age: keep it, and say so
            why = f"dated {clock.utc_text(mtime)}, before any real run (a wrong clock)"
            sel.skipped.append(Skip(path, f"{why}: its age cannot be judged, left alone"))
            continue
        age_days = (now - mtime) / DAY
        if age_days > rule.days:
            sel.candidates.append(
                Candidate(
                    path,
                    model.ARTIFACTS,
                    f"{rule.name} older than {format_seconds(rule.days * DAY)} "
                    f"({format_seconds(age_days * DAY)})",
                )
            )
    guard.with_repos(repos)
    sel.skipped += [Skip(repo, Rule.OTHER_REPO.value) for repo in repos]
    return sel


def match_rule(rules: Sequence[ArtifactRule], rel_path: str) -> ArtifactRule | None:
    """The first rule with a glob matching `rel_path` (posix, relative to the artifacts folder)."""
    for rule in rules:
        if any(glob_match(g, rel_path) for g in rule.globs):
            return rule
    return None


def _files_with_mtime(folder: Path, repos: list[Path]) -> Iterable[tuple[Path, float]]:
    """Every file below `folder`, with its mtime. A folder holding `.git` is another repository:
    nothing in it is listed, and it is added to `repos`."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            continue
        if any(entry.name == ".git" for entry in entries):
            repos.append(Path(current))
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != TRASH_DIR:
                    stack.append(Path(entry.path))
                continue
            try:
                yield Path(entry.path), entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
