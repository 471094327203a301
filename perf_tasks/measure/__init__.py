"""Measuring a workspace: timed commands with exact CPU and sampled RAM, disk usage, test results.

`baseline` orchestrates the phases; `record` turns the results into the JSON record that
`compare` reads. Everything here returns data and prints nothing.
"""
