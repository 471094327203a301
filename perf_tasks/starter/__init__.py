"""`init`: the files a workspace starts with (a commented perf-tasks.toml, .gitignore lines)."""
