"""Measured experiments on a workspace: a compile cache (cache.py), each on the A/B engine."""
