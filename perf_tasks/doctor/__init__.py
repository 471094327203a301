"""`doctor`: the team's diagnostics checklist as one command (docs/usage/doctor.md)."""
