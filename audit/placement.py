"""Events that sit where they do not belong: each entry names its own sequence number, so an
event moved, slipped in or taken out with the later ones renumbered is told from one changed."""

from __future__ import annotations

from audit.report import MAX_PER_KIND, Problem


def claimed_seq(entry: bytes) -> int | None:
    """The top-level `seq` of a canonical entry. Keys are sorted, so it is the last `"seq":`
    before `"time"`; reading it there avoids parsing every entry on the hot path."""
    at = entry.rfind(b',"seq":')
    end = entry.find(b",", at + 7)
    try:
        return int(entry[at + 7 : end]) if at >= 0 else None
    except ValueError:
        return None


def placement_problems(misplaced: dict[int, int | None]) -> list[Problem]:
    """Name the events that sit where they do not belong, and how: every event of each set
    that swapped places among themselves; of a shift (an insertion or a deletion hidden by
    renumbering, after which every later event is out of place) only its first."""
    problems: list[Problem] = []
    left = dict(misplaced)
    while left and len(problems) < MAX_PER_KIND:
        seq = min(left)
        claimed = left.pop(seq)
        cycle = _swapped(left, seq, claimed)
        if claimed is None:
            problems.append(Problem(seq, "changed", f"event {seq} is not a readable entry"))
        elif cycle:
            problems += [
                Problem(s, "reordered", f"event {s} holds event {c}, which moved") for s, c in cycle
            ]
        elif claimed < seq:
            message = f"an event was inserted at {seq - 1}; event {claimed} now stands at {seq}"
            return [*problems, Problem(seq - 1, "inserted", message)]
        elif seq in left.values():
            message = f"event {seq} holds event {claimed}, which moved"
            return [*problems, Problem(seq, "reordered", message)]
        else:
            message = f"event {seq} was deleted and later events renumbered"
            return [*problems, Problem(seq, "missing", message)]
    return problems


def _swapped(left: dict[int, int | None], seq: int, claimed: int | None) -> list[tuple[int, int]]:
    """If the event at `seq` (which holds `claimed`) is one of a set of events that only
    changed places among themselves, those events as (where, which), taken out of `left`;
    otherwise nothing."""
    cycle: list[tuple[int, int]] = []
    at, holds = seq, claimed
    while holds is not None and holds != seq and holds in left and len(cycle) <= len(left):
        cycle.append((at, holds))
        at, holds = holds, left[holds]
    if holds != seq or at == seq:
        return []
    cycle.append((at, holds))
    for where, _ in cycle[1:]:
        del left[where]
    return cycle
