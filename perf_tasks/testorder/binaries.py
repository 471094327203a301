"""The binary ids nextest knows in a workspace, from `cargo metadata --no-deps`. Pure.

nextest refuses a whole config (exit 96, "operator didn't match any binary IDs") when a
`binary_id(=...)` of an override names no binary of the workspace: durations recorded before a
test file was renamed or removed must not reach the file. nextest checks against every target of
the workspace's packages (a target with `test = false`, an example, included), named as its binary
ids are: the library `pkg`, an integration test `pkg::name`, `pkg::bin/name`,
`pkg::example/name`, `pkg::bench/name`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LIBRARY_KINDS = frozenset({"lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"})
PREFIXED = {"bin": "bin/", "example": "example/", "bench": "bench/", "test": ""}


def binary_ids(metadata: Mapping[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    for package in metadata.get("packages") or ():
        name = package.get("name")
        if not isinstance(name, str):
            continue
        for target in package.get("targets") or ():
            kinds = set(target.get("kind") or ())
            if kinds & LIBRARY_KINDS:
                found.add(name)
            for kind, prefix in PREFIXED.items():
                if kind in kinds and isinstance(target.get("name"), str):
                    found.add(f"{name}::{prefix}{target['name']}")
    return frozenset(found)
