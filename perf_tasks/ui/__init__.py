"""The one place that prints: consoles, tables, progress and JSON."""
