//! Generates `build_info.rs` in OUT_DIR, which `src/lib.rs` `include!`s.

use std::{env, fs, path::PathBuf};

fn main() {
    // The output depends only on cargo-provided env vars, not on source files;
    // without this line cargo would re-run the script whenever any file in
    // the package changes.
    println!("cargo:rerun-if-changed=build.rs");

    let version = env::var("CARGO_PKG_VERSION").expect("set by cargo");
    let profile = env::var("PROFILE").expect("set by cargo");
    let target = env::var("TARGET").expect("set by cargo");

    // `{:?}` yields valid Rust string literals (quotes and escapes included).
    let generated = format!(
        "/// Package version, captured at build time.\n\
         pub const VERSION: &str = {version:?};\n\
         /// Cargo profile the crate was built with (`debug` or `release`).\n\
         pub const PROFILE: &str = {profile:?};\n\
         /// Target triple the crate was built for.\n\
         pub const TARGET: &str = {target:?};\n"
    );

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("build_info.rs");
    fs::write(&out, generated).expect("write build_info.rs");
}
