//! Integration tests: exercise demo-core only through its public API.

use std::time::Duration;

#[test]
fn counts_add_up_to_token_total() {
    let text = "one two two three three three";
    let total: usize = demo_core::word_counts(text).values().sum();
    assert_eq!(total, demo_core::tokenize(text).len());
}

#[test]
fn checksum_detects_a_single_byte_change() {
    assert_ne!(
        demo_core::adler32(b"hello world"),
        demo_core::adler32(b"hello worle")
    );
}

/// Sleeps for `DEMO_SLOW_MS` milliseconds when that variable is set.
///
/// This lets a benchmark make the suite measurably slower without editing
/// code. Unset (the normal case) it returns immediately.
#[test]
fn slow_path_when_asked() {
    if let Ok(raw) = std::env::var("DEMO_SLOW_MS") {
        let ms: u64 = raw.trim().parse().unwrap_or_else(|_| {
            panic!("DEMO_SLOW_MS must be a whole number of milliseconds, got {raw:?}")
        });
        std::thread::sleep(Duration::from_millis(ms));
    }
    assert_eq!(demo_core::tokenize("still works"), vec!["still", "works"]);
}

#[test]
#[ignore = "slow: exercised by the nightly job"]
fn checksum_of_large_input_matches_reference() {
    // 64 MiB: big enough to be noticeably slower than the rest of the suite.
    let data = vec![0xABu8; 64 * 1024 * 1024];

    // Reference: same sums in u64, reduced only once at the end. For this
    // input size `b` stays far below u64::MAX, so no intermediate modulo is
    // needed, which makes it an independent check of the per-byte version.
    let (mut a, mut b) = (1u64, 0u64);
    for &byte in &data {
        a += u64::from(byte);
        b += a;
    }
    let expected = (((b % 65_521) << 16) | (a % 65_521)) as u32;

    assert_eq!(demo_core::adler32(&data), expected);
}
