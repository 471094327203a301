"""Cleaning: plan what to remove (decisions over one scan), then apply the plan through guards."""
