"""Access: which role may ask for which action (and, with later issues, which debtor field)."""
