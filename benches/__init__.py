"""Benchmarks: each compares against the reference tool, measured in the same run."""
