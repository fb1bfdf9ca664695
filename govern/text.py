"""Text that no database or directory takes the same way: a NUL character (PostgreSQL refuses
it, SQLite would keep it, LDAP ends a value at it) or a lone UTF-16 surrogate (no UTF-8 holds
it). The one check for it, shared by the entrance (`govern.intake`), the sign-in that looks a
typed username up and the directory it is sent to. And the one choice of a name the policies
give in Chinese and English. Standard library only.
"""

from __future__ import annotations

import re

UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")


def is_safe_text(text: str) -> bool:
    """Whether every database and the directory can take `text`: no NUL, no lone surrogate."""
    return UNSAFE_TEXT.search(text) is None


def in_language(language: str, chinese: str, english: str) -> str:
    """A name for a person reading `language` ("zh", "en"): the one in their language, else
    the other (a policy may give a name in one language only)."""
    return (english or chinese) if language == "en" else (chinese or english)
