"""cargo test's output read as nextest names its tests: real output of the demo workspace."""

from __future__ import annotations

import json

from perf_tasks.runners import libtest

# `cargo test --workspace --tests 2>&1` on the demo (abridged), with the target dir elsewhere.
OUTPUT = """\
   Compiling demo-core v0.1.0 (/w/crates/demo-core)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.04s
     Running unittests src/main.rs (/scratch/target/debug/deps/demo_cli-0ee3a73028fb95a6)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/cli.rs (/scratch/target/debug/deps/cli-b7e2a752ebfbddc2)

running 2 tests
test prints_report_for_stdin ... ok
test checksum_flag_matches_library ... FAILED

     Running unittests src/lib.rs (/scratch/target/debug/deps/demo_core-74e704ff859c3820)

running 2 tests
test tests::adler32_of_empty_input_is_one ... ok
test tests::index_out_of_range - should panic ... ok

     Running tests/core_api.rs (target/debug/deps/core_api-0f0f11d51e01ee68)

running 2 tests
test checksum_of_large_input_matches_reference ... ignored, slow: exercised by the nightly job
test checksum_detects_a_single_byte_change ... ok

test result: ok. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""

LIST = {
    "rust-suites": {
        "demo-cli::cli": {"binary-path": "/scratch/target/debug/deps/cli-b7e2a752ebfbddc2"},
        "demo-cli::bin/demo-cli": {
            "binary-path": "/scratch/target/debug/deps/demo_cli-0ee3a73028fb95a6"
        },
        "demo-core": {"binary-path": "/scratch/target/debug/deps/demo_core-74e704ff859c3820"},
    }
}


def test_results_are_named_by_nextest_binary_ids() -> None:
    ids = libtest.binary_ids(json.dumps(LIST))
    assert ids["cli-b7e2a752ebfbddc2"] == "demo-cli::cli"
    assert libtest.outcomes(OUTPUT, ids) == {
        "demo-cli::cli prints_report_for_stdin": "passed",
        "demo-cli::cli checksum_flag_matches_library": "failed",
        "demo-core tests::adler32_of_empty_input_is_one": "passed",
        # libtest's " - should panic" is not part of the name nextest gives it
        "demo-core tests::index_out_of_range": "passed",
        # not in the list: its file name without cargo's hash
        "core_api checksum_of_large_input_matches_reference": "ignored",
        "core_api checksum_detects_a_single_byte_change": "passed",
    }


def test_a_build_error_ran_nothing() -> None:
    assert libtest.ran(OUTPUT)
    assert not libtest.ran("error[E0425]: cannot find value `x` in this scope\n")


def test_fallback_id_keeps_names_without_a_hash() -> None:
    assert libtest.fallback_id("target/debug/deps/api-0123456789abcdef") == "api"
    assert libtest.fallback_id("target/debug/deps/my-tool") == "my-tool"
