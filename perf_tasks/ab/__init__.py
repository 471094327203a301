"""Same-time A/B measurement: two arms measured in interleaved pairs, judged by the ratio B/A.

`stats` is the statistics (pure), `engine` runs two arms in a balanced order and decides,
`worktree` keeps the scratch git worktree a revision is measured in, and `workspace` makes the
arms of a Rust workspace (the work tree against a revision). docs/usage/compare.md explains it.
"""
