"""One module per cleaning mode: each returns a `Selection` and decides nothing else."""
