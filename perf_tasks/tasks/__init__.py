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
        gate,
        nextest,
        profiles,
        tests,
        verify,
    )
    from perf_tasks.tasks import monitor as monitoring

    ns = Collection()
    ns.add_collection(clean.ns)
    ns.add_collection(baseline.ns)
    ns.add_collection(profiles.ns)
    ns.add_collection(nextest.ns)
    ns.add_collection(verify.ns)
    ns.add_collection(ci.ns)
    ns.add_collection(gate.ns)
    ns.add_collection(contract.ns)
    ns.add_collection(monitoring.ns)
    ns.add_collection(tests.ns)
    ns.add_collection(doctor.ns)
    ns.configure({"perf": {"root": None}})
    return ns
