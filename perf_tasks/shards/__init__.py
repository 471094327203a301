"""Duration-balanced shards of a test suite across CI runners: plan.py (pure: tests onto shards,
the plan's file), listing.py (what nextest lists, and its own partitions), run.py (one shard, by a
generated tool config), merge.py (the shards' reports -> one record); job.py the entry points of
`tests.shard` and `tests.merge`."""
