"""Edits of the workspace's TOML files that change only what they are asked to."""
