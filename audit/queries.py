"""Investigation queries over the trail (R-AUD-3): plain SQL on the events' rows.

Times are `at_us` (microseconds since the epoch, UTC); windows are half-open [start, end).
A field counts as *revealed* when its level is `full`, as *shown* when it is `full` or `masked`
(a field withheld is not in `fields` at all). Field-level events (debtors shown) carry
`fields` as `;name=level;…;` (see `audit.entry.field_columns`), so one field's level is a
substring match on rows an index has already narrowed to a debtor, an account or a window.
An event's `actor` is the account that acted; its `object` what it acted on: a debtor, or the
account acted upon (its *subject*).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, distinct, func, or_, select

from audit.entry import levels
from audit.store import events

REVEALED = "full"
MASKED = "masked"
#: Which views of a field `who_saw` answers with: revealed in full (the default), shown
#: masked only, or shown at all.
SHOWN_AT = {"full": (REVEALED,), "masked": (MASKED,), "any": (REVEALED, MASKED)}
HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class EventFilter:
    """Which events: `actor` is the account that acted, `subject` the one acted upon (an
    event's object, as `debtor` is for debtor reads)."""

    debtor: str | None = None
    actor: str | None = None
    action: str | None = None
    field: str | None = None
    start_us: int | None = None
    end_us: int | None = None
    after: int = 0
    limit: int = 100
    subject: str | None = None


def find_events(connection: Connection, wanted: EventFilter) -> list[tuple[int, bytes]]:
    """(seq, entry) of matching events after `wanted.after`, oldest first, one page."""
    query = select(events.c.seq, events.c.entry).where(events.c.seq > wanted.after)
    for object_ in {wanted.debtor, wanted.subject} - {None}:
        query = query.where(events.c.object == object_)
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


def who_saw(
    connection: Connection,
    debtor: str,
    field: str,
    start_us: int,
    end_us: int,
    level: str = "full",
) -> list[dict[str, Any]]:
    """Every view of `field` of `debtor` in the window at `level` (a key of SHOWN_AT: `full`,
    revealed; `masked`; `any`, shown at all): account, event, time and the level it was shown at."""
    shown = or_(*(_shown(field, at) for at in SHOWN_AT[level]))
    query = (
        select(events.c.actor, events.c.seq, events.c.at_us, events.c.fields)
        .where(events.c.object == debtor, shown, *_window(start_us, end_us))
        .order_by(events.c.at_us, events.c.seq)
    )
    return [
        {"account": a, "seq": s, "at_us": t, "level": levels(f).get(field)}
        for a, s, t, f in connection.execute(query)
    ]


def what_seen(
    connection: Connection, account: str, start_us: int, end_us: int
) -> list[dict[str, Any]]:
    """Per debtor: the fields `account` revealed in the window (how many times each), with
    first and last time, in debtor order."""
    query = (
        select(events.c.object, events.c.fields, events.c.at_us)
        .where(events.c.actor == account, _revealed(), *_window(start_us, end_us))
        .order_by(events.c.object, events.c.at_us)
    )
    seen: dict[str, dict[str, Any]] = {}
    for debtor, fields, at in connection.execute(query):
        revealed = _revealed_in(fields)
        if not revealed:
            continue
        entry = seen.setdefault(debtor, {"debtor": debtor, "fields": {}, "first_us": at})
        entry["last_us"] = at
        for field in revealed:
            entry["fields"][field] = entry["fields"].get(field, 0) + 1
    for entry in seen.values():
        entry["fields"] = dict(sorted(entry["fields"].items()))
    return list(seen.values())


def leak_triage(
    connection: Connection,
    debtors: Sequence[str],
    fields: Sequence[str],
    start_us: int,
    end_us: int,
    chunk: int = 500,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Rank accounts by how many of the leaked debtors (and debtor-field pairs) they revealed.

    The likely source is on top: most leaked records, then most pairs, then earliest access.
    """
    found: dict[str, dict[str, Any]] = {}
    wanted = set(fields)
    for offset in range(0, len(debtors), chunk):
        part = debtors[offset : offset + chunk]
        for account, debtor, shown, at in _triage_chunk(connection, part, fields, start_us, end_us):
            for field in _revealed_in(shown):
                if not wanted or field in wanted:
                    _merge(found, account, debtor, field, at)
        if progress:
            progress(len(part))
    ranked = [
        {**entry, "debtors": len(entry["debtors"]), "pairs": len(entry["pairs"])}
        for entry in found.values()
    ]
    return sorted(ranked, key=lambda e: (-e["debtors"], -e["pairs"], e["first_us"]))


def bulk_viewers(
    connection: Connection, start_us: int, end_us: int, per_hour: int
) -> list[dict[str, Any]]:
    """Accounts that viewed more than `per_hour` distinct debtors within one clock hour."""
    hour = (events.c.at_us // HOUR_US).label("hour")
    debtors = func.count(distinct(events.c.object))
    query = (
        select(events.c.actor, hour, debtors)
        .where(_field_level(), *_window(start_us, end_us))
        .group_by(events.c.actor, hour)
        .having(debtors > per_hour)
        .order_by(events.c.actor, hour)
    )
    return [
        {"account": a, "hour_start_us": int(h) * HOUR_US, "debtors": n}
        for a, h, n in connection.execute(query)
    ]


def views_between(connection: Connection, start_us: int, end_us: int) -> list[dict[str, Any]]:
    """One row per field-level event in the window: who, whom, when, which groups."""
    query = (
        select(
            events.c.seq,
            events.c.actor,
            events.c.object,
            events.c.at_us,
            events.c.viewer_group,
            events.c.object_group,
        )
        .where(_field_level(), *_window(start_us, end_us))
        .order_by(events.c.seq)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def daily_views(connection: Connection, account: str, start_us: int, end_us: int) -> int:
    query = select(func.count()).where(
        events.c.actor == account, _field_level(), *_window(start_us, end_us)
    )
    return int(connection.execute(query).scalar() or 0)


def _window(start_us: int, end_us: int) -> tuple[ColumnElement[bool], ...]:
    return events.c.at_us >= start_us, events.c.at_us < end_us


def _field_level() -> ColumnElement[bool]:
    return events.c.fields.is_not(None)


def _revealed(field: str | None = None) -> ColumnElement[bool]:
    """Events that revealed `field` in full (any field when None)."""
    if field is None:
        return events.c.fields.contains(f"={REVEALED};")
    return _shown(field, REVEALED)


def _shown(field: str, level: str) -> ColumnElement[bool]:
    """Events that showed `field` at `level`."""
    return events.c.fields.contains(f";{field}={level};", autoescape=True)


def _revealed_in(fields: str | None) -> list[str]:
    return [name for name, level in levels(fields).items() if level == REVEALED]


def _triage_chunk(
    connection: Connection,
    debtors: Sequence[str],
    fields: Sequence[str],
    start_us: int,
    end_us: int,
) -> Any:
    wanted = or_(*(_revealed(field) for field in fields)) if fields else _revealed()
    query = select(events.c.actor, events.c.object, events.c.fields, events.c.at_us).where(
        events.c.object.in_(debtors), wanted, *_window(start_us, end_us)
    )
    return connection.execute(query)


def _merge(
    found: dict[str, dict[str, Any]], account: str, debtor: str, field: str, at: int
) -> None:
    entry = found.setdefault(
        account,
        {"account": account, "debtors": set(), "pairs": set(), "first_us": at, "last_us": at},
    )
    entry["debtors"].add(debtor)
    entry["pairs"].add((debtor, field))
    entry["first_us"], entry["last_us"] = min(entry["first_us"], at), max(entry["last_us"], at)
