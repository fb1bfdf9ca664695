"""The searchable columns against the hashed entries: what investigations read must say exactly
what the events say, though only the entries are hashed and signed."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import islice

from sqlalchemy import Connection, select

from audit import store
from audit.entry import field_row, micros
from audit.report import Problem, Report
from audit.tally import Tally

INDEX_BATCH = 10_000


def check_index_columns(
    connection: Connection, start: int, end: int, report: Report, tally: Tally
) -> None:
    """What queries read must say exactly what the hashed entries say: each event's own
    columns (actor, action, object, time) and its field columns (how each field was shown,
    the project groups)."""
    stream = store.rows(connection, start, end)  # by rows, not numbers: a forged
    while batch := list(islice(stream, INDEX_BATCH)):  # far-off number must not stall it
        columns, index = set(), set()
        for seq, entry, _ in batch:
            own, shown = _derived(seq, entry)
            columns.add(own)
            index.add(shown)
        stored_columns, stored_index = _stored_derived(connection, batch[0][0], batch[-1][0])
        for kind, wrong in (
            ("changed", columns ^ stored_columns),
            ("index changed", index ^ stored_index),
        ):
            for seq in sorted({key[0] for key in wrong}):
                message = f"what queries read of event {seq} differs from the event"
                report.add(Problem(seq, kind, message))
        tally.advance(len(batch))


def _stored_derived(connection: Connection, first: int, last: int) -> tuple[set, set]:
    """The events' searchable columns and field columns as stored, as comparable tuples."""
    e = store.events.c
    rows = connection.execute(
        select(
            e.seq, e.at_us, e.actor, e.action, e.object, e.fields, e.viewer_group, e.object_group
        ).where(e.seq.between(first, last))
    )
    own, index = set(), set()
    for seq, at_us, actor, action, object_, *shown in rows:
        own.add((seq, at_us, actor, action, object_))
        index.add((seq, *shown))
    return own, index


def _derived(seq: int, entry: bytes) -> tuple[tuple, tuple]:
    """(the event's own columns, its field columns) as an entry calls for them."""
    try:
        event = json.loads(entry)
        at_us = micros(datetime.fromisoformat(event["time"][:-1] + "+00:00"))
        actor, action, object_ = event.get("actor"), event.get("action"), event.get("object")
        details = event.get("details") or {}
        shown = field_row(details)
    except (ValueError, KeyError, TypeError, AttributeError):
        return (seq, None, None, None, None), (seq, None, None, None)
    return (seq, at_us, actor, action, object_), (seq, *shown)
