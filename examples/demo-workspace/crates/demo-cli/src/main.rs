//! `demo-cli [--top N] [--checksum]`: reads text from stdin and prints
//! either a full report or just the Adler-32 checksum.

use std::io::{self, Read};
use std::process::ExitCode;

const USAGE: &str = "usage: demo-cli [--top N] [--checksum] [--version] < input.txt";

fn main() -> ExitCode {
    let mut top = 3;
    let mut checksum_only = false;

    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--top" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) => top = n,
                None => return fail("--top needs a non-negative integer"),
            },
            "--checksum" => checksum_only = true,
            "--version" => {
                use demo_report::build_info::{PROFILE, VERSION};
                println!("demo-cli {VERSION} ({PROFILE})");
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return fail(&format!("unknown argument: {other}")),
        }
    }

    let mut input = String::new();
    if let Err(err) = io::stdin().read_to_string(&mut input) {
        return fail(&format!("cannot read stdin: {err}"));
    }

    if checksum_only {
        println!("{:08x}", demo_core::adler32(input.as_bytes()));
    } else {
        print!("{}", demo_report::render(&input, top));
    }
    ExitCode::SUCCESS
}

/// Prints `msg` and the usage line to stderr; exit status 2 follows the
/// common convention for command-line usage errors.
fn fail(msg: &str) -> ExitCode {
    eprintln!("demo-cli: {msg}\n{USAGE}");
    ExitCode::from(2)
}
