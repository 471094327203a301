"""A real workspace whose slowest tests sort last by name (std only, `thread::sleep`), so that
nextest's default order leaves them to the end; and its durations, as nextest's JUnit reports them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from helpers import package, write

CONFIG = ".config/nextest.toml"
BINARY = "slowfirst::it"
FAST = 8
FAST_MS = 150
SLOW_MS = 1600

IT = f"""\
use std::{{thread, time::Duration}};

fn nap(ms: u64) {{
    thread::sleep(Duration::from_millis(ms));
}}

#[test]
fn z_slowest() {{
    nap({SLOW_MS})
}}

#[test]
fn y_flaky() {{
    // Fails once, then passes: it shows whether the user's `retries` still apply to it.
    let marker = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("y_flaky-failed-once");
    if marker.exists() {{
        std::fs::remove_file(&marker).unwrap();
    }} else {{
        std::fs::write(&marker, b"").unwrap();
        nap(800);
        panic!("first attempt fails");
    }}
    nap(800)
}}

#[test]
fn x_user_last() {{
    nap(1200)
}}
""" + "".join(f"\n#[test]\nfn a_fast_{i}() {{\n    nap({FAST_MS})\n}}\n" for i in range(FAST))

# The user's own overrides: every setting must keep applying to its test after tests.order.
USER = """\
[profile.ci]
fail-fast = false

[[profile.ci.overrides]]
filter = "test(=y_flaky)"
retries = 2

[[profile.ci.overrides]]
filter = "test(=z_slowest)"
slow-timeout = "250ms"

[[profile.ci.overrides]]
filter = "test(=x_user_last)"
priority = -30
"""

DURATIONS = {
    "z_slowest": SLOW_MS / 1000,
    "x_user_last": 1.2,
    "y_flaky": 0.8,
    **{f"a_fast_{i}": FAST_MS / 1000 for i in range(FAST)},
}


# For timing: one test as long as all the others together, and no flaky one. On two threads,
# started last it ends the run alone (fast tests 1 s, then it 2 s); started first, it runs beside
# them (2 s).
EVEN_IT = """\
use std::{thread, time::Duration};

fn nap(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

#[test]
fn z_slowest() {
    nap(2000)
}
""" + "".join(f"\n#[test]\nfn a_fast_{i}() {{\n    nap(250)\n}}\n" for i in range(FAST))
EVEN_DURATIONS = {"z_slowest": 2.0, **{f"a_fast_{i}": 0.25 for i in range(FAST)}}


def make(root: Path, it: str = IT, user: str = USER) -> Path:
    package(root, "slowfirst", "//! Nothing but its tests.\n", tests={"it": it})
    write(root / CONFIG, user)
    subprocess.run(["cargo", "generate-lockfile", "--offline"], cwd=root, check=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def junit(path: Path, durations: dict[str, float] = DURATIONS) -> Path:
    rows = "".join(
        f'<testcase name="{name}" classname="{BINARY}" time="{seconds}"/>'
        for name, seconds in durations.items()
    )
    return write(
        path,
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nextest-run">'
        f'<testsuite name="{BINARY}">{rows}</testsuite></testsuites>\n',
    )


_STATUS = re.compile(
    r"^\s*(?:TRY \d+ )?(PASS|FAIL|SLOW|FLAKY)\b.*\b" + re.escape(BINARY) + r" (\S+)"
)


def run_order(root: Path, *args: str) -> tuple[list[str], str]:
    """Run the suite on one thread under profile ci: the tests in the order nextest reported them
    first (on one thread, the order they started in), and its output."""
    proc = subprocess.run(
        [
            "cargo",
            "nextest",
            "run",
            "--profile",
            "ci",
            "--test-threads",
            "1",
            "--color",
            "never",
            *args,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    seen: list[str] = []
    for line in proc.stderr.split("\n"):
        match = _STATUS.match(line)
        if match and match[2] not in seen:
            seen.append(match[2])
    return seen, proc.stderr


def short_it(*, depends: bool = False) -> str:
    """A short suite for the verdicts: one 0.6 s test and four of 0.15 s; with `depends`,
    `a_check` passes only when `z_setup` ran before it in the same nextest run."""
    body = """\
use std::{thread, time::Duration};

fn nap(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

#[test]
fn z_slowest() {
    nap(600)
}
""" + "".join(f"\n#[test]\nfn a_fast_{i}() {{\n    nap(150)\n}}\n" for i in range(4))
    if depends:
        body += """
fn marker() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("z_setup-run")
}

#[test]
fn z_setup() {
    std::fs::write(marker(), std::env::var("NEXTEST_RUN_ID").unwrap()).unwrap();
    nap(300)
}

#[test]
fn a_check() {
    let run = std::env::var("NEXTEST_RUN_ID").unwrap();
    assert_eq!(std::fs::read_to_string(marker()).unwrap_or_default(), run, "z_setup ran first");
}
"""
    return body


SHORT_DURATIONS = {"z_slowest": 0.6, **{f"a_fast_{i}": 0.15 for i in range(4)}}
