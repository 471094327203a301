"""Cleaning: plan what to remove (pure decisions over a scan), then apply the plan through guards."""
