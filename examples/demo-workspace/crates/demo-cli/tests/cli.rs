//! Integration tests that run the compiled `demo-cli` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `demo-cli` with `args`, feeding `stdin` to it.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo-cli"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn demo-cli");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for demo-cli")
}

#[test]
fn prints_report_for_stdin() {
    let out = run(&["--top", "1"], "the cat and the hat");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("words: 5"), "{stdout}");
    assert!(stdout.ends_with("the 2\n"), "{stdout}");
}

#[test]
fn checksum_flag_matches_library() {
    let out = run(&["--checksum"], "Wikipedia");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "11e60398");
}

#[test]
fn unknown_argument_is_a_usage_error() {
    let out = run(&["--bogus"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown argument"));
}
