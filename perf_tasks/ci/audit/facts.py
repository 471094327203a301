"""The workflows as the checks see them: jobs, their steps (a composite action's steps inside the
job that uses it), what each step runs, and the workflow's triggers. Pure: nodes in, facts out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.nodes import MappingNode, Node

from perf_tasks.ci.audit.parse import Source, entries, get, items, text, texts
from perf_tasks.ci.audit.parse import line as line_of


@dataclass(frozen=True, eq=False)
class Step:
    source: Source  # the file the step is written in (a composite action's, for its steps)
    node: Node
    uses: str | None  # "actions/cache/restore", lower case, without "@ref"
    run: str | None
    name: str | None

    @property
    def with_(self) -> Node | None:
        return get(self.node, "with")

    def input(self, key: str) -> str | None:
        return text(get(self.with_, key))

    @property
    def line(self) -> int | None:
        return line_of(self.node)

    @property
    def label(self) -> str:
        return self.name or self.uses or (self.run or "").strip().split("\n")[0][:40]


@dataclass(frozen=True, eq=False)
class Job:
    source: Source
    id: str
    node: Node
    steps: tuple[Step, ...]
    needs: tuple[str, ...]
    condition: str | None  # the job's `if:`
    calls: str | None  # a reusable workflow's `uses:`
    kind: str = "job"  # "action": a composite action's own steps

    @property
    def label(self) -> str:
        """How messages name it: "job 'test'", "action 'rust-setup'"."""
        return f"{self.kind} {self.id!r}"

    @property
    def line(self) -> int | None:
        return line_of(self.node)

    @property
    def runs_cargo(self) -> bool:
        return any(step.run and CARGO.search(step.run) for step in self.steps)

    @property
    def strategy(self) -> Node | None:
        return get(self.node, "strategy")


@dataclass(frozen=True, eq=False)
class Workflow:
    source: Source
    triggers: Node | None  # `on:`, as written (a name, a list of names or a mapping)
    jobs: tuple[Job, ...]

    def trigger_names(self) -> tuple[str, ...]:
        on = self.triggers
        if isinstance(on, MappingNode):
            return tuple(k for k, _, _ in entries(on))
        return tuple(texts(on))

    def trigger(self, name: str) -> Node | None:
        return get(self.triggers, name)


# A command that makes cargo compile (`cargo build`, `cargo +nightly test`); `cargo fmt`,
# `cargo deny`, `cargo audit` and the like compile nothing and need no cache.
CARGO = re.compile(
    r"(?:^|[\s;&|(])cargo(?:\s+\+\S+)?\s+(?:build|b|check|c|test|t|clippy|doc|d|bench|run|r|"
    r"nextest|install|llvm-cov|miri|hack|tarpaulin|careful|udeps|rustc|rustdoc|fix|"
    r"semver-checks|insta|criterion|codspeed|xtask|xt)\b",
    re.MULTILINE,
)


def action_name(uses: str | None) -> str | None:
    if uses is None:
        return None
    return uses.split("@", 1)[0].strip().lower()


def steps_of(source: Source, node: Node | None, actions: dict[str, Source]) -> tuple[Step, ...]:
    """The steps of a job (or a composite action), with each local composite action's own steps
    after the step that uses it (once: an action that uses itself is not followed)."""
    out: list[Step] = []
    for item in items(node):
        uses = text(get(item, "uses"))
        step = Step(
            source, item, action_name(uses), text(get(item, "run")), text(get(item, "name"))
        )
        out.append(step)
        local = (uses or "").strip().removeprefix("./").rstrip("/")
        action = actions.get(local)
        if action is not None and action is not source and action.root is not None:
            out += steps_of(
                action,
                get(get(action.root, "runs"), "steps"),
                {k: v for k, v in actions.items() if v is not source and k != local},
            )
    return tuple(out)


def workflow(source: Source, actions: dict[str, Source]) -> Workflow:
    root = source.root
    on_node = get(root, "on")
    if on_node is None:  # `on` unquoted is a key "on" in YAML 1.2 (ruamel), `true` in YAML 1.1
        on_node = get(root, "true")
    jobs = []
    for job_id, _, node in entries(get(root, "jobs")):
        jobs.append(
            Job(
                source,
                job_id,
                node,
                steps_of(source, get(node, "steps"), actions),
                tuple(texts(get(node, "needs"))),
                text(get(node, "if")),
                text(get(node, "uses")),
            )
        )
    return Workflow(source, on_node, tuple(jobs))


def composite_job(source: Source, actions: dict[str, Source]) -> Job | None:
    """A composite action's steps as a job of their own (its `runs.steps`), so that a cache
    written there is checked where it is written."""
    runs = get(source.root, "runs")
    if (text(get(runs, "using")) or "").lower() != "composite":
        return None
    name = Path(source.shown).parent.name
    steps = steps_of(source, get(runs, "steps"), actions)
    return Job(source, name, source.root, steps, (), None, None, kind="action")  # type: ignore[arg-type]


def action_key(source: Source) -> str:
    """How a job names a local action: ".github/actions/build" for its action.yml."""
    return Path(source.shown).parent.as_posix()
