"""`tests.runners`: cargo test against cargo nextest, measured side by side, outcomes compared."""
