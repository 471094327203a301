"""The binary ids nextest checks a config's `binary_id(=...)` against, from cargo's metadata."""

from __future__ import annotations

from perf_tasks.testorder.binaries import binary_ids


def target(name: str, *kinds: str, test: bool = True) -> dict[str, object]:
    return {"name": name, "kind": list(kinds), "test": test}


def test_every_target_is_named_as_nextest_names_its_binary() -> None:
    metadata = {
        "packages": [
            {
                "name": "demo-core",
                "targets": [target("demo_core", "lib"), target("core_api", "test")],
            },
            {
                "name": "demo-cli",
                "targets": [
                    target("demo-cli", "bin"),
                    target("tool", "bin", test=False),  # nextest still knows its id
                    target("ex", "example", test=False),
                    target("speed", "bench"),
                    target("build-script-build", "custom-build", test=False),
                ],
            },
            {"name": "macros", "targets": [target("macros", "proc-macro")]},
            {"name": "ffi", "targets": [target("ffi", "cdylib", "rlib")]},
        ]
    }
    assert binary_ids(metadata) == {
        "demo-core",
        "demo-core::core_api",
        "demo-cli::bin/demo-cli",
        "demo-cli::bin/tool",
        "demo-cli::example/ex",
        "demo-cli::bench/speed",
        "macros",
        "ffi",
    }


def test_nothing_known_from_nothing() -> None:
    assert binary_ids({}) == frozenset()
    assert binary_ids({"packages": [{"name": None, "targets": []}]}) == frozenset()
