"""Auditing: Govern's use of the tamper-evident trail (`audit/`) and the auditors' tools."""
