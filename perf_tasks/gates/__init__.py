"""The performance contract and its gates (docs/usage/gates.md)."""
