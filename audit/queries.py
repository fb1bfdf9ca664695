"""Investigation queries over the trail (R-AUD-3): plain SQL on the events and field index.

Times are `at_us` (microseconds since the epoch, UTC); windows are half-open [start, end).
A field counts as *revealed* when its level is `full`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, select

from audit.store import events, fields_index

REVEALED = "full"
HOUR_US = 3_600_000_000


@dataclass(frozen=True)
class EventFilter:
    debtor: str | None = None
    account: str | None = None
    action: str | None = None
    field: str | None = None
    start_us: int | None = None
    end_us: int | None = None
    after: int = 0
    limit: int = 100


def find_events(connection: Connection, wanted: EventFilter) -> list[tuple[int, bytes]]:
    """(seq, entry) of matching events after `wanted.after`, oldest first, one page."""
    query = select(events.c.seq, events.c.entry).where(events.c.seq > wanted.after)
    if wanted.debtor is not None:
        query = query.where(events.c.object == wanted.debtor)
    if wanted.account is not None:
        query = query.where(events.c.actor == wanted.account)
    if wanted.action is not None:
        query = query.where(events.c.action == wanted.action)
    if wanted.start_us is not None:
        query = query.where(events.c.at_us >= wanted.start_us)
    if wanted.end_us is not None:
        query = query.where(events.c.at_us < wanted.end_us)
    if wanted.field is not None:
        in_index = select(fields_index.c.seq).where(fields_index.c.field == wanted.field)
        query = query.where(events.c.seq.in_(in_index))
    rows = connection.execute(query.order_by(events.c.seq).limit(wanted.limit))
    return [(seq, bytes(entry)) for seq, entry in rows]


def who_saw(
    connection: Connection, debtor: str, field: str, start_us: int, end_us: int
) -> list[dict[str, Any]]:
    """Every reveal of `field` of `debtor` in the window: account, event and time."""
    query = (
        select(fields_index.c.actor, fields_index.c.seq, fields_index.c.at_us)
        .where(
            fields_index.c.object == debtor,
            fields_index.c.field == field,
            fields_index.c.level == REVEALED,
        )
        .where(fields_index.c.at_us >= start_us, fields_index.c.at_us < end_us)
        .order_by(fields_index.c.at_us)
    )
    return [{"account": a, "seq": s, "at_us": t} for a, s, t in connection.execute(query)]


def what_seen(
    connection: Connection, account: str, start_us: int, end_us: int
) -> list[dict[str, Any]]:
    """Per debtor: the fields `account` revealed in the window, with first and last time."""
    query = (
        select(
            fields_index.c.object,
            fields_index.c.field,
            func.count(),
            func.min(fields_index.c.at_us),
            func.max(fields_index.c.at_us),
        )
        .where(fields_index.c.actor == account, fields_index.c.level == REVEALED)
        .where(fields_index.c.at_us >= start_us, fields_index.c.at_us < end_us)
        .group_by(fields_index.c.object, fields_index.c.field)
        .order_by(fields_index.c.object, fields_index.c.field)
    )
    seen: dict[str, dict[str, Any]] = {}
    for debtor, field, count, first, last in connection.execute(query):
        entry = seen.setdefault(
            debtor, {"debtor": debtor, "fields": {}, "first_us": first, "last_us": last}
        )
        entry["fields"][field] = count
        entry["first_us"], entry["last_us"] = (
            min(entry["first_us"], first),
            max(entry["last_us"], last),
        )
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
    for offset in range(0, len(debtors), chunk):
        for row in _triage_chunk(
            connection, debtors[offset : offset + chunk], fields, start_us, end_us
        ):
            _merge(found, row)
        if progress:
            progress(min(chunk, len(debtors) - offset))
    ranked = [
        {**entry, "debtors": len(entry["debtors"]), "pairs": len(entry["pairs"])}
        for entry in found.values()
    ]
    return sorted(ranked, key=lambda e: (-e["debtors"], -e["pairs"], e["first_us"]))


def bulk_viewers(
    connection: Connection, start_us: int, end_us: int, per_hour: int
) -> list[dict[str, Any]]:
    """Accounts that viewed more than `per_hour` distinct debtors within one clock hour."""
    hour = (fields_index.c.at_us // HOUR_US).label("hour")
    query = (
        select(fields_index.c.actor, hour, func.count(distinct(fields_index.c.object)))
        .where(fields_index.c.at_us >= start_us, fields_index.c.at_us < end_us)
        .group_by(fields_index.c.actor, hour)
        .having(func.count(distinct(fields_index.c.object)) > per_hour)
        .order_by(fields_index.c.actor, hour)
    )
    return [
        {"account": a, "hour_start_us": int(h) * HOUR_US, "debtors": n}
        for a, h, n in connection.execute(query)
    ]


def views_between(connection: Connection, start_us: int, end_us: int) -> list[dict[str, Any]]:
    """One row per field-level event in the window: who, whom, when, which groups."""
    query = (
        select(
            fields_index.c.seq,
            fields_index.c.actor,
            fields_index.c.object,
            fields_index.c.at_us,
            fields_index.c.viewer_group,
            fields_index.c.object_group,
        )
        .where(fields_index.c.at_us >= start_us, fields_index.c.at_us < end_us)
        .distinct()
        .order_by(fields_index.c.seq)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def daily_views(connection: Connection, account: str, start_us: int, end_us: int) -> int:
    query = select(func.count(distinct(fields_index.c.seq))).where(
        and_(
            fields_index.c.actor == account,
            fields_index.c.at_us >= start_us,
            fields_index.c.at_us < end_us,
        )
    )
    return int(connection.execute(query).scalar() or 0)


def _triage_chunk(
    connection: Connection,
    debtors: Sequence[str],
    fields: Sequence[str],
    start_us: int,
    end_us: int,
) -> Any:
    query = (
        select(
            fields_index.c.actor,
            fields_index.c.object,
            fields_index.c.field,
            func.min(fields_index.c.at_us),
            func.max(fields_index.c.at_us),
        )
        .where(fields_index.c.object.in_(debtors), fields_index.c.level == REVEALED)
        .where(fields_index.c.at_us >= start_us, fields_index.c.at_us < end_us)
        .group_by(fields_index.c.actor, fields_index.c.object, fields_index.c.field)
    )
    if fields:
        query = query.where(fields_index.c.field.in_(fields))
    return connection.execute(query)


def _merge(found: dict[str, dict[str, Any]], row: Any) -> None:
    account, debtor, field, first, last = row
    entry = found.setdefault(
        account,
        {"account": account, "debtors": set(), "pairs": set(), "first_us": first, "last_us": last},
    )
    entry["debtors"].add(debtor)
    entry["pairs"].add((debtor, field))
    entry["first_us"], entry["last_us"] = min(entry["first_us"], first), max(entry["last_us"], last)
