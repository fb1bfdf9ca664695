"""Backup sets: the database, the data keys, the audit public key and the checkpoint
copies, restored together (docs/operations.md)."""
