"""Investigations: the auditors' tools over the trail (who saw, what was seen, leak triage,
unusual access, and investigations that open debtors' fields once a second person approved them).
"""
