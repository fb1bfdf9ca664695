"""How a long check or export says how far it is, to whoever listens: a progress bar on a
terminal, a run's row in the console. The work says its size once, then its steps."""

from __future__ import annotations

from typing import Protocol


class Tally(Protocol):
    """Where long work says how far it is (a progress bar, a run's row)."""

    def count(self, total: int) -> None:
        """The work has `total` steps (a verification: each event once, twice with the index
        check; an export: each event)."""

    def advance(self, count: int) -> None:
        """`count` more steps are done."""


class _Quiet:
    """Nobody listens."""

    def count(self, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


QUIET: Tally = _Quiet()
