#!/usr/bin/env bash
exec "${PERF_TASKS_PYTHON:-python3}" -m perf_tasks.legacy clean_build_cache "$@"
