"""`verify`: the full list of tests and their outcomes, recorded, then compared with a new run."""
