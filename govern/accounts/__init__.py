"""Accounts: the personal, permanent system account each member of staff is issued (§11.1)."""
