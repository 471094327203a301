"""`invoke cache.compare`: a cold build without a compile cache, with sccache and an empty cache,
and with sccache warm, measured in interleaved rounds; the setup to use, or "it does not pay"."""

from __future__ import annotations

from invoke.collection import Collection
from invoke.tasks import task

from perf_tasks.tasks._edge import JSON_HELP, ROOT_HELP, CountingTask, context_of, finish, task_edge

CACHE_HELP = {
    "root": ROOT_HELP,
    "json": JSON_HELP,
    "backend": "Where sccache keeps the cache: redis://HOST:PORT (a shared Redis) or, by "
    "default, the local disk",
    "max_pairs": "The most rounds to run while the warm cache's wall time is undecided "
    "(default 12, at least 6)",
    "timeout": "Seconds one build may take before it is ended (default: no limit)",
}


@task(name="compare", klass=CountingTask, help=CACHE_HELP)
def cache_compare(c, root=None, backend=None, max_pairs=None, timeout=None, json=False):  # type: ignore[no-untyped-def]
    """Time cold builds with no cache, an empty sccache and a warm one; say if the cache pays."""
    with task_edge(json=json) as out:
        from perf_tasks.experiments import cache
        from perf_tasks.ui.baseline import progress

        request = cache.Request.of(backend, max_pairs, timeout)
        with progress(out) as reporting:
            done = cache.run(context_of(c, root), request, progress=reporting)
        finish(out, done)


ns = Collection("cache", cache_compare)
