"""Workflows written the ways real Rust projects write theirs (anchors, block scalars, flow
mappings, comments between keys, CRLF, matrices, reusable workflows, composite actions, `if:`
expressions, several jobs per file), each a small workspace's `.github/` as {path: text}."""

from __future__ import annotations

from pathlib import Path

from helpers import write

WF = ".github/workflows"

# The case: two jobs with different cache keys, no restore-keys, an upload without
# retention.
NAMED = {
    f"{WF}/ci.yml": """\
name: CI

on:
  push:
    branches: [main]

jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      rust: ${{ steps.filter.outputs.rust }}
    steps:
      - uses: actions/checkout@v4
      - id: filter
        run: echo "rust=true" >> "$GITHUB_OUTPUT"
  build:
    needs: changes
    if: needs.changes.outputs.rust == 'true'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/registry
            ~/.cargo/git
            target
          key: ${{ runner.os }}-build-${{ hashFiles('**/Cargo.lock') }}
      - run: cargo build --workspace
      - run: cargo sweep --time 1
  bench:
    needs: changes
    if: needs.changes.outputs.rust == 'true'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/registry
            ~/.cargo/git
            target
          key: bench-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}
      - run: cargo bench -- --output-format bencher | tee bench.json
      - run: cargo sweep --time 1
      - uses: actions/upload-artifact@v4
        with:
          name: benchmark-results
          path: bench.json
""",
}

ANCHORS = {
    f"{WF}/anchors.yml": """\
name: anchors
on:
  pull_request:
    paths: ["**/*.rs", "Cargo.toml"]

jobs:
  lint:
    runs-on: &runner ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - &cargo-cache
        uses: actions/cache@v4
        with:
          path: |
            ~/.cargo/registry
            target
          key: &key linux-${{ hashFiles('**/Cargo.lock') }}
      - run: cargo clippy --workspace
      - &sweep
        run: cargo sweep --installed
  test:
    runs-on: *runner
    steps:
      - uses: actions/checkout@v4
      - *cargo-cache
      - run: cargo nextest run --profile ci
      - *sweep
  docs:
    runs-on: *runner
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache@v4
        with:
          path: target
          key: *key
      - run: cargo doc --no-deps && cargo sweep --installed
""",
}

BLOCK_SCALARS = {
    f"{WF}/block.yml": """\
name: block scalars
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache@v4
        with:
          key: >-
            ${{ runner.os }}-target-${{ hashFiles('**/Cargo.lock') }}
          path: |
            target
      - name: tests
        run: |
          cargo test --workspace \\
            --include-ignored

          echo finished
      - uses: actions/upload-artifact@v4
        with:
          name: test-results
          path: |
            target/nextest/ci/junit.xml
            target/nextest/ci/extra.xml
""",
}

FLOW = {
    f"{WF}/flow.yml": """\
{name: flow, on: {pull_request: {paths: [src/**, Cargo.toml]}},
 jobs: {check: {runs-on: ubuntu-latest, steps: [
   {uses: actions/checkout@v4},
   {uses: actions/cache@v4, with: {path: target, key: "check-${{ runner.os }}"}},
   {run: cargo check && cargo sweep --time 1},
   {uses: actions/upload-artifact@v4, with: {name: junit-report, path: junit.xml}}]}}}
""",
}

COMMENTS = {
    f"{WF}/comments.yml": """\
# The team's CI.
name: comments   # trailing

on:
  # pushes only
  push:
    # every branch
    paths-ignore:
      - "docs/**"

jobs:
  # the one job
  test:

    runs-on: ubuntu-latest   # a runner
    steps:
      - uses: actions/checkout@v4

      # cargo's cache
      - uses: actions/cache/restore@v4
        id: cache
        with:
          # the folders
          path: |
            ~/.cargo/registry
            target
          # the key
          key: ${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}   # ours
          # no restore-keys yet
      - run: cargo nextest run --profile ci
      - run: perf-tasks clean
      - uses: actions/cache/save@v4
        with:
          path: |
            ~/.cargo/registry
            target
          key: ${{ steps.cache.outputs.cache-primary-key }}
      - uses: actions/upload-artifact@v4
        with:
          name: history   # the monitor's
          path: perf/history.jsonl   # data
""",
}

MATRIX = {
    f"{WF}/matrix.yml": """\
name: matrix
on:
  pull_request:
    paths:
    - '**.rs'
    - '**/Cargo.toml'
jobs:
  test:
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest, macos-latest]
        rust: [stable, beta]
        include:
          - os: ubuntu-latest
            rust: nightly
    runs-on: ${{ matrix.os }}
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@master
        with:
          toolchain: ${{ matrix.rust }}
      - uses: Swatinem/rust-cache@v2
      - uses: actions/cache@v4
        with:
          path: ~/.cargo/registry
          key: ${{ runner.os }}-cargo-${{ matrix.rust }}-${{ hashFiles('**/Cargo.lock') }}
          restore-keys: ${{ runner.os }}-cargo-
      - run: cargo test --workspace -- --include-ignored
""",
}

REUSABLE = {
    f"{WF}/reusable.yml": """\
name: reusable rust
on:
  workflow_call:
    inputs:
      toolchain:
        type: string
        default: stable
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/rust-setup
      - run: cargo build --release
      - run: cargo sweep --time 1
      - uses: actions/upload-artifact@v4
        with:
          name: release-binary
          path: target/release/app
""",
    f"{WF}/caller.yml": """\
name: caller
on:
  push:
    branches: [main]
    paths: ['**/*.rs', 'Cargo.lock', '.cargo/**', 'rust-toolchain*']
jobs:
  call:
    uses: ./.github/workflows/reusable.yml
    with:
      toolchain: stable
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/rust-setup
      - run: cargo build --release
      - run: cargo sweep --time 1
""",
    ".github/actions/rust-setup/action.yml": """\
name: rust setup
description: toolchain and cargo's cache
runs:
  using: composite
  steps:
    - uses: dtolnay/rust-toolchain@stable
    - uses: actions/cache@v4
      with:
        path: |
          ~/.cargo/git
          target
        key: ${{ runner.os }}-rust-${{ hashFiles('**/Cargo.lock') }}
""",
}

IF_EXPRESSIONS = {
    f"{WF}/filters.yml": """\
name: filters
on:
  pull_request:
  push:
    branches: [main]
jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      rust: ${{ steps.filter.outputs.rust }}
    steps:
      - uses: actions/checkout@v4
      - uses: dorny/paths-filter@v3
        id: filter
        with:
          filters: |
            rust:
              - '**/*.rs'
              - '**/Cargo.toml'
            docs:
              - 'docs/**'
  test:
    needs: [changes]
    if: ${{ needs.changes.outputs.rust == 'true' && github.event_name != 'schedule' }}
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: Swatinem/rust-cache@v2
      - run: cargo nextest run --profile ci
  docs:
    runs-on: ubuntu-latest
    if: github.event_name == 'push'
    steps:
      - run: echo docs
""",
    f"{WF}/nightly.yml": """\
name: nightly
on:
  push:
jobs:
  everything:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo build --workspace
  again:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: cargo build --workspace
""",
}

# Shapes a checker must survive: a BOM, single quotes, a multi-line flow list with a trailing
# comma, a commented-out last item, `with:` left empty, a step that is a string, a job that is a
# list, a document that is a list, an alias bomb.
SHAPES = {
    f"{WF}/shapes.yml": """\ufeffname: shapes
on:
  push:
    paths: [
      "src/**",
      "Cargo.toml",
    ]
  pull_request:
    paths:
      - src/**
      # - docs/**
jobs:
  odd: [1, 2]
  test:
    runs-on: ubuntu-latest
    steps:
      - just a string
      - uses: actions/cache@v4
        with:
          path: target
          key: 'ci-${{ runner.os }}'   # single quotes\u2028and a line separator
      - uses: actions/upload-artifact@v4
        with:
      - run: cargo test && cargo sweep -t 1
""",
    f"{WF}/list.yml": "- a\n- b\n",
    f"{WF}/bomb.yml": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    + "on:\n  pull_request:\n    paths: [src/**]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo build\n",
}

# How larger projects write theirs: defaults, quoted `if:` strings, `needs:` lists, an
# include-only matrix, comments at odd indentation, a single-quoted run, an env value left empty,
# a release upload, an upload with days already, a cache saved with a clean first.
REALISTIC = {
    f"{WF}/main.yml": """\
name: main
on:
  pull_request:
    branches:
      - "**"
  merge_group:

defaults:
  run:
    shell: bash

permissions:
  contents: read

jobs:
  done:
    name: all jobs passed
    needs:
    - test
    - lint
    runs-on: ubuntu-latest
    if: "!cancelled() && github.event_name == 'merge_group'"
    steps:
    - run: echo ok

  # Style first: it is quick.
  lint:
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v4
    - run: rustup component add clippy rustfmt
    - run: cargo fmt --all --check
    - uses: actions/cache@v4
      with:
        path: |
          ~/.cargo/registry/index/
          ~/.cargo/registry/cache/
          target/
        key: lint-${{ runner.os }}-${{ hashFiles('**/Cargo.lock') }}
        restore-keys: |
          lint-${{ runner.os }}-
    - run: cargo clippy --workspace --all-targets -- -D warnings
    - run: cargo sweep --time 7

  test:
    runs-on: ${{ matrix.os }}
    env:
      RUST_BACKTRACE: 1
      TARGET_FLAGS:
    strategy:
      fail-fast: false
      matrix:
        include:
        - name: linux stable
          os: ubuntu-latest
          rust: stable
        - name: windows nightly   # slow
          os: windows-latest
          rust: nightly
    name: tests ${{ matrix.name }}
    steps:
    - uses: actions/checkout@v4
    - run: rustup update --no-self-update ${{ matrix.rust }} && rustup default ${{ matrix.rust }}
    - uses: actions/cache/restore@v4
      id: cargo
      with:
        path: |
          ~/.cargo/registry
          target
        key: ${{ runner.os }}-cargo-${{ matrix.rust }}-${{ hashFiles('**/Cargo.lock') }}
        restore-keys: ${{ runner.os }}-cargo-${{ matrix.rust }}-
    - run: 'cargo test --workspace -- --skip slow::'
      env:
        SOME_FLAG: 1
      # a comment at the step's indentation, after its last key
    - name: clean before saving
      run: perf-tasks clean
    - uses: actions/cache/save@v4
      if: steps.cargo.outputs.cache-hit != 'true'
      with:
        path: |
          ~/.cargo/registry
          target
        key: ${{ steps.cargo.outputs.cache-primary-key }}
    - uses: actions/upload-artifact@v4
      with:
        name: test-results-${{ matrix.name }}
        path: target/nextest/ci/junit.xml
        retention-days: 30
    - uses: actions/upload-artifact@v4
      if: matrix.os == 'ubuntu-latest'
      with:
        name: rg-linux
        path: target/release/rg
""",
}

INVALID = {
    f"{WF}/broken.yml": "name: broken\non: [push\njobs:\n  a: {}\n",
    f"{WF}/fine.yaml": NAMED[f"{WF}/ci.yml"],
}


def crlf(files: dict[str, str]) -> dict[str, str]:
    return {path: text.replace("\n", "\r\n") for path, text in files.items()}


CRLF = crlf(NAMED)
# The paths-filter's Rust filter last in its block scalar, with CRLF line endings.
FILTER_LAST_CRLF = crlf(
    {
        f"{WF}/filters.yml": IF_EXPRESSIONS[f"{WF}/filters.yml"].replace(
            """            rust:
              - '**/*.rs'
              - '**/Cargo.toml'
            docs:
              - 'docs/**'
""",
            """            docs:
              - 'docs/**'
            rust:
              - '**/*.rs'
              - '**/Cargo.toml'
            manifests: 'Cargo.toml'
            crates:
              - 'crates/**/*.rs'

""",
        )
    }
)

ALL = {
    "named": NAMED,
    "anchors": ANCHORS,
    "block_scalars": BLOCK_SCALARS,
    "flow": FLOW,
    "comments": COMMENTS,
    "crlf": CRLF,
    "matrix": MATRIX,
    "reusable": REUSABLE,
    "if_expressions": IF_EXPRESSIONS,
    "invalid": INVALID,
    "shapes": SHAPES,
    "filter_last_crlf": FILTER_LAST_CRLF,
    "realistic": REALISTIC,
}


def workspace(root: Path, files: dict[str, str]) -> Path:
    """A tiny cargo workspace holding `files` (with nextest's `ci` profile)."""
    write(root / "Cargo.toml", '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n')
    write(root / "src" / "lib.rs", "pub fn one() -> u32 { 1 }\n")
    write(root / ".config" / "nextest.toml", "[profile.ci]\n")
    for path, text in files.items():
        write(root / path, text.encode())
    return root
