"""What a verification found: its problems, each located and named by kind, and the
checkpoint windows it checked, each intact, tampered or unchecked (audit/verify.py)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any

#: Of each kind of problem only the first are kept: they locate it, the rest repeat it (and
#: junk of one kind must not crowd out the real damage of another).
MAX_PER_KIND = 100


@dataclass(frozen=True)
class Problem:
    seq: int | None
    kind: str
    message: str


#: Problems about checkpoints rather than events: their `seq` is a tree size.
CHECKPOINT_KINDS = frozenset({"bad signature", "checkpoint missing", "checkpoint changed"})


@dataclass(frozen=True)
class Window:
    """Events `first`..`last`, checked against the signed checkpoint at `last`.

    `state`: `intact`, `tampered` (a problem lies in it), or `unchecked` (no trusted state
    to start it from: the window before it was tampered with, and the checkpoint between has
    no stored frontier that folds to its signed root)."""

    first: int
    last: int
    state: str


@dataclass
class Report:
    first: int
    last: int
    events: int = 0
    checkpoints: int = 0
    anchored_to: int = 0
    unanchored: int = 0
    problems: list[Problem] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        located = [p for p in self.problems if p.seq is not None]
        # At one number, what happened to the trail comes before what it did to the index.
        earliest = min(located, key=lambda p: (p.seq, p.kind == "index changed"), default=None)
        return earliest or (self.problems or [None])[0]

    def windows_in(self, state: str) -> list[Window]:
        return [w for w in self.windows if w.state == state]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON can hold it: the windows intact counted, the others named."""
        first = self.first_problem
        return {
            "ok": self.ok,
            "events": self.events,
            "checkpoints": self.checkpoints,
            "anchored_to": self.anchored_to,
            "unanchored": self.unanchored,
            "first_problem": None if first is None else asdict(first),
            "problems": [asdict(p) for p in self.problems],
            "windows": {
                "intact": len(self.windows_in("intact")),
                "tampered": [[w.first, w.last] for w in self.windows_in("tampered")],
                "unchecked": [[w.first, w.last] for w in self.windows_in("unchecked")],
            },
        }

    def add(self, problem: Problem) -> None:
        """Keep `problem` unless MAX_PER_KIND of its kind are kept already."""
        if sum(p.kind == problem.kind for p in self.problems) < MAX_PER_KIND:
            self.problems.append(problem)

    def mark_tampered_windows(self) -> None:
        """A window holding a problem with its events (one the column check found, say) is
        tampered, whatever its root said."""
        self.windows.sort(key=lambda w: w.first)
        starts = [w.first for w in self.windows]
        for problem in self.problems:
            if problem.seq is None or problem.kind in CHECKPOINT_KINDS:
                continue
            i = bisect_right(starts, problem.seq) - 1
            window = self.windows[i] if i >= 0 else None
            if window is not None and problem.seq <= window.last and window.state == "intact":
                self.windows[i] = Window(window.first, window.last, "tampered")
