"""`python -m perf_tasks` runs the `perf-tasks` program."""

from perf_tasks.program import main

main()
