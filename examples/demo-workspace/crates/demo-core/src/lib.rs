//! Small, pure text helpers used by the rest of the demo workspace.

use std::collections::BTreeMap;

/// Splits `text` into lowercase words.
///
/// A word is a maximal run of alphanumeric characters or apostrophes;
/// everything else is a separator.
///
/// ```
/// assert_eq!(demo_core::tokenize("Hello, world!"), vec!["hello", "world"]);
/// ```
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Counts how often each word occurs in `text`.
///
/// A `BTreeMap` is used so iteration order is deterministic, which keeps
/// reports (and the tests that check them) stable.
///
/// ```
/// let counts = demo_core::word_counts("a b a");
/// assert_eq!(counts["a"], 2);
/// assert_eq!(counts["b"], 1);
/// ```
pub fn word_counts(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for word in tokenize(text) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// Adler-32 checksum of `data` (as used by zlib).
///
/// Chosen because it is tiny to implement and has well-known reference
/// values to test against.
///
/// ```
/// assert_eq!(demo_core::adler32(b"Wikipedia"), 0x11E6_0398);
/// ```
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_empty_and_punctuation_only() {
        assert!(tokenize("").is_empty());
        assert!(tokenize(" ,.;!? ").is_empty());
    }

    #[test]
    fn tokenize_keeps_apostrophes_and_digits() {
        assert_eq!(
            tokenize("Don't stop 4 NOW"),
            vec!["don't", "stop", "4", "now"]
        );
    }

    #[test]
    fn word_counts_is_case_insensitive() {
        let counts = word_counts("The the THE cat");
        assert_eq!(counts.get("the"), Some(&3));
        assert_eq!(counts.get("cat"), Some(&1));
        assert_eq!(counts.len(), 2);
    }

    #[test]
    fn adler32_of_empty_input_is_one() {
        assert_eq!(adler32(b""), 1);
    }
}
