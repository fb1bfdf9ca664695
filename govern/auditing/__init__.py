"""Auditing: Govern's door to the tamper-evident trail (`audit/`) and its keeper's commands."""
