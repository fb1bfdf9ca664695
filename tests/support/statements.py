"""Counting the SQL statements a piece of work sends (an N+1 shows as a count that grows with
the rows), on the real engine through SQLAlchemy's `before_cursor_execute` event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[int]]:
    """Count the statements `engine` sends from this thread inside the block: the count is
    the list's one item once the block ends. Another thread's (the trail's group commit,
    writing from its own) are left out."""
    sent, here = [0], threading.get_ident()

    def count(*_: object) -> None:
        if threading.get_ident() == here:
            sent[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)
