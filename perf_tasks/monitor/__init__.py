"""The daily monitor: history, chart, report (docs/usage/monitor.md)."""
