"""What `cargo test` prints, read as nextest names its tests: `<binary-id> <test name>`.

cargo prints (on stderr) `Running tests/api.rs (target/debug/deps/api-0f0f11d5)` before each test
binary, and the binary prints (on stdout) `test <name> ... ok`. Read from one stream holding both,
each result belongs to the binary last announced. nextest's list (`cargo nextest list
--message-format json`) names every binary by its path: `demo-core` for a library's unit tests,
`demo-core::core_api` for the integration test `core_api`, `demo-cli::bin/demo-cli` for a binary.
Both runners build the same test binaries into the same target dir, so a binary's file name (with
cargo's hash) is the bridge between the two. libtest adds ` - should panic` to the name of a
`#[should_panic]` test; nextest does not: it is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import PurePath

from perf_tasks.verify.record import FAILED, IGNORED, PASSED

_RUNNING = re.compile(r"^\s*Running (?:unittests )?(?P<source>.+?) \((?P<path>[^()]+)\)\s*$")
_RESULT = re.compile(
    r"^test (?P<name>.+?)(?: - should panic)? \.\.\. (?P<result>ok|FAILED|ignored)\b"
)
_RESULTS = {"ok": PASSED, "FAILED": FAILED, "ignored": IGNORED}


def binary_ids(list_json: str) -> dict[str, str]:
    """`cargo nextest list --message-format json` -> each test binary's file name -> its id."""
    data = json.loads(list_json)
    out: dict[str, str] = {}
    for binary_id, suite in (data.get("rust-suites") or {}).items():
        path = suite.get("binary-path")
        if isinstance(path, str):
            out[PurePath(path).name] = binary_id
    return out


def fallback_id(path: str) -> str:
    """A binary nextest did not list: its file name without cargo's hash (`api-0f0f11d5` ->
    `api`)."""
    name = PurePath(path).name
    stem, _, suffix = name.rpartition("-")
    return stem if stem and re.fullmatch(r"[0-9a-f]{16}", suffix) else name


def outcomes(output: str, ids: Mapping[str, str]) -> dict[str, str]:
    """`cargo test`'s output (stdout and stderr in one stream) -> `<binary-id> <name>` -> outcome.

    A result line before any `Running` line (none in practice) is kept under the binary "?"."""
    out: dict[str, str] = {}
    binary = "?"
    for line in output.splitlines():
        running = _RUNNING.match(line)
        if running:
            name = PurePath(running["path"]).name
            binary = ids.get(name) or fallback_id(running["path"])
            continue
        result = _RESULT.match(line)
        if result:
            out[f"{binary} {result['name']}"] = _RESULTS[result["result"]]
    return out


def ran(output: str) -> bool:
    """Whether cargo got as far as running a test binary (a build error prints no result)."""
    return any(line.startswith("test result: ") for line in output.splitlines())
