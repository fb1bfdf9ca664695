"""A tally (audit/tally.py) that keeps what long work told it: its total, then each step."""

from __future__ import annotations


class Counted:
    """What a piece of work said of how far it is."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.steps: list[int] = []

    def count(self, total: int) -> None:
        self.total = total

    def advance(self, count: int) -> None:
        self.steps.append(count)
