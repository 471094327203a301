"""GitHub Actions workflows for a Rust workspace: `ci.init` (docs/usage/ci.md)."""
