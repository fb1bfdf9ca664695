"""Identifiers people read aloud and type: `GV-7K3M-9Q2X` for an account, `DB-…` for a debtor."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_id(prefix: str) -> str:
    """A fresh `PREFIX-XXXX-XXXX` (40 random bits, easy to read aloud)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"
