"""Cargo profiles: what cargo will build with (`resolve`), and writing ours (`apply`)."""
