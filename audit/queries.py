"""Generic queries over the trail's index columns: which events, by who acted (`actor`), what
they acted on (`object`), `action`, field name and level, and time; and the conditions to ask
one's own questions on the same columns.

Times are `at_us` (microseconds since the epoch, UTC); windows are half-open [start, end).
Field-level events carry `fields` as `;name=level;…;` (see `audit.entry.field_columns`), so one
field's level is a substring match on rows an index has already narrowed to an object, an
actor or a window. What an object or a level *means* (a debtor, a field revealed in full) is
the using application's: Govern asks its questions in govern/investigations/repository.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, func, select

from audit.entry import levels
from audit.store import events

__all__ = [
    "EventFilter",
    "events",
    "field_at",
    "fields_at",
    "find_events",
    "has_fields",
    "in_window",
    "recorded_actions",
    "shown_at",
]


@dataclass(frozen=True)
class EventFilter:
    """Which events: `actor` is who acted, `object` what the event acted on; `field` a field
    name the event shows at any level."""

    object: str | None = None
    actor: str | None = None
    action: str | None = None
    field: str | None = None
    start_us: int | None = None
    end_us: int | None = None
    after: int = 0
    limit: int = 100


def find_events(connection: Connection, wanted: EventFilter) -> list[tuple[int, bytes]]:
    """(seq, entry) of matching events after `wanted.after`, oldest first, one page."""
    query = select(events.c.seq, events.c.entry).where(events.c.seq > wanted.after)
    if wanted.object is not None:
        query = query.where(events.c.object == wanted.object)
    if wanted.actor is not None:
        query = query.where(events.c.actor == wanted.actor)
    if wanted.action is not None:
        query = query.where(events.c.action == wanted.action)
    if wanted.start_us is not None:
        query = query.where(events.c.at_us >= wanted.start_us)
    if wanted.end_us is not None:
        query = query.where(events.c.at_us < wanted.end_us)
    if wanted.field is not None:
        query = query.where(events.c.fields.contains(f";{wanted.field}=", autoescape=True))
    rows = connection.execute(query.order_by(events.c.seq).limit(wanted.limit))
    return [(seq, bytes(entry)) for seq, entry in rows]


def recorded_actions(connection: Connection) -> list[str]:
    """Every action the trail holds, sorted: one step of the `action` index per action (a
    loose index scan), not a pass over the events."""
    seed = select(func.min(events.c.action).label("action")).cte("actions", recursive=True)
    step = select(func.min(events.c.action)).where(events.c.action > seed.c.action)
    actions = seed.union_all(select(step.scalar_subquery()).where(seed.c.action.is_not(None)))
    found = connection.execute(select(actions.c.action).where(actions.c.action.is_not(None)))
    return list(found.scalars())


def in_window(start_us: int, end_us: int) -> tuple[ColumnElement[bool], ...]:
    """Events at or after `start_us` and before `end_us`."""
    return events.c.at_us >= start_us, events.c.at_us < end_us


def has_fields() -> ColumnElement[bool]:
    """Field-level events (those that show fields)."""
    return events.c.fields.is_not(None)


def field_at(field: str, level: str) -> ColumnElement[bool]:
    """Events that showed `field` at `level`."""
    return events.c.fields.contains(f";{field}={level};", autoescape=True)


def shown_at(level: str) -> ColumnElement[bool]:
    """Events that showed any field at `level`."""
    return events.c.fields.contains(f"={level};")


def fields_at(fields: str | None, level: str) -> list[str]:
    """The names of the fields an event's `fields` column shows at `level`."""
    return [name for name, shown in levels(fields).items() if shown == level]
