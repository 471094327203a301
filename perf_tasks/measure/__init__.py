"""Measuring a workspace: timed commands with exact CPU and sampled RAM, disk usage, test results.

`baseline` holds what the tasks call. Dependencies point one way: `plan` (pure) <- `execute`
(runs it, with `warnings`) -> `result`; `record` builds the JSON from a result and reads one
back as a typed `Record`; `report` writes Baseline.md from the JSON; `compare` compares two
records. Everything here returns data and prints nothing.
"""
