"""This repo's menu: `invoke --list`. The collections live in perf_tasks/tasks/."""

from pathlib import Path

from perf_tasks.tasks import namespace

ns = namespace()
# Our own workspace of reference: every task works on it unless --root or PERF_TASKS_ROOT says else.
ns.configure({"perf": {"root": str(Path(__file__).parent / "examples" / "demo-workspace")}})
