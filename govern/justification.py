"""Why someone reaches for more than they normally may: a break-glass grant's justification, a
reveal's purpose, an investigation's. One rule for all of them, so none of them takes spaces
for a reason. Standard library and `govern.errors` only.
"""

from __future__ import annotations

from govern.errors import Unprocessable


def justification(text: str, minimum: int, field: str = "justification") -> str:
    """`text` without the whitespace around it, if at least `minimum` characters remain
    (`GOVERN_JUSTIFICATION_MIN_CHARS` for written justifications; 1 for a chosen code).

    Raises Unprocessable `justification.too_short` (422) naming `field` and the minimum.
    """
    trimmed = text.strip()
    if len(trimmed) < max(minimum, 1):
        raise Unprocessable(
            "justification.too_short",
            f"Say why in {field}: at least {max(minimum, 1)} characters besides spaces.",
        )
    return trimmed
