"""invoke collections. These modules import only invoke and the standard library at load time, so
that `invoke --list` stays fast; each task imports what it needs when it runs."""

from __future__ import annotations

from invoke.collection import Collection


def namespace() -> Collection:
    """Every collection of the suite, as `tasks.py` and the `perf-tasks` program expose them."""
    from perf_tasks.tasks import (
        baseline,
        ci,
        clean,
        contract,
        doctor,
        experiments,
        gate,
        init,
        nextest,
        profiles,
        tests,
        verify,
    )
    from perf_tasks.tasks import monitor as monitoring

    ns = Collection()
    for module in (clean, baseline, profiles, nextest, verify, ci, gate, contract, monitoring):
        ns.add_collection(module.ns)
    for module in (tests, init, experiments, doctor):
        ns.add_collection(module.ns)
    ns.configure({"perf": {"root": None}})
    return ns
