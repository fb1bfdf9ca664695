"""Why someone reaches for more than they normally may: a break-glass grant's justification, a
reveal's purpose, an investigation's. One rule for all of them, so none of them takes spaces
(or characters nobody can see) for a reason. Standard library and `govern.errors` only.
"""

from __future__ import annotations

import unicodedata

from govern.errors import Unprocessable

#: Categories of characters that show nothing: controls, format characters (zero-width space,
#: joiners, direction marks) and separators.
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def justification(text: str, minimum: int, field: str = "justification") -> str:
    """`text` without the whitespace and invisible characters around it, if at least `minimum`
    visible characters remain (`GOVERN_JUSTIFICATION_MIN_CHARS` for written justifications; 1
    for a chosen code). Spaces and invisible characters inside it are kept but not counted.

    Raises Unprocessable `justification.too_short` (422) naming `field` and the minimum.
    """
    trimmed = trim(text)
    if sum(not _invisible(character) for character in trimmed) < max(minimum, 1):
        raise Unprocessable(
            "justification.too_short",
            f"Say why in {field}: at least {max(minimum, 1)} characters besides spaces.",
        )
    return trimmed


def _invisible(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) in INVISIBLE


def trim(text: str) -> str:
    """`text` without the whitespace and invisible characters around it."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]
