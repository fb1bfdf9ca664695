"""The safety guard shared by directory sync and reconciliation.

A directory outage, a wrong search base or a half-answered query looks exactly like many
people leaving at once. Above the threshold a run is *held* until an operator confirms it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GuardVerdict:
    held: bool
    removals: int
    limit: float

    def explain(self) -> str:
        return (
            f"{self.removals} removals exceed the guard, which lets at most "
            f"{math.floor(self.limit)} through; check the directory, then run again with --confirm"
        )


def check_removals(removals: int, population: int, percent: float, count: int) -> GuardVerdict:
    """Held when removals exceed `percent` of `population` or `count`, whichever is lower."""
    limit = min(population * percent / 100, float(count))
    return GuardVerdict(held=removals > limit, removals=removals, limit=limit)
