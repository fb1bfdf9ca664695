"""The auditors' questions about debtors, asked of the trail (R-AUD-3), and the
investigations' own rows.

The trail's questions are built on the generic queries `audit/` offers (`audit.queries`):
an event's `actor` is the account that acted; its `object` what it acted on: a debtor, or the
account acted upon (its *subject*). A field counts as *revealed* when its level is `full`, as
*shown* when it is `full` or `masked` (a field withheld is not in `fields` at all). Times are
`at_us` (microseconds since the epoch, UTC); windows are half-open [start, end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, distinct, func, null, or_, select
from sqlalchemy.orm import Session

from audit import queries
from audit.entry import levels
from audit.queries import events, in_window
from govern.accounts.models import Account
from govern.debtors.models import Debtor
from govern.directory.models import Identity
from govern.investigations import exposure, rules
from govern.investigations.models import Investigation, LegalHold

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


def recorded_actions(connection: Connection) -> list[str]:
    """Every action the trail holds, sorted."""
    return queries.recorded_actions(connection)


def find_events(connection: Connection, wanted: EventFilter) -> list[tuple[int, bytes]]:
    """(seq, entry) of matching events after `wanted.after`, oldest first, one page."""
    objects = {wanted.debtor, wanted.subject} - {None}
    if len(objects) > 1:
        return []  # an event acts on one object: a debtor and another subject match none
    generic = queries.EventFilter(
        next(iter(objects), None),
        wanted.actor,
        wanted.action,
        wanted.field,
        wanted.start_us,
        wanted.end_us,
        wanted.after,
        wanted.limit,
    )
    return queries.find_events(connection, generic)


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
    shown = or_(*(queries.field_at(field, at) for at in SHOWN_AT[level]))
    query = (
        select(events.c.actor, events.c.seq, events.c.at_us, events.c.fields)
        .where(events.c.object == debtor, shown, *in_window(start_us, end_us))
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
        .where(events.c.actor == account, _revealed(), *in_window(start_us, end_us))
        .order_by(events.c.object, events.c.at_us)
    )
    seen: dict[str, dict[str, Any]] = {}
    for debtor, fields, at in connection.execute(query):
        revealed = queries.fields_at(fields, REVEALED)
        if not revealed:
            continue
        entry = seen.setdefault(debtor, {"debtor": debtor, "fields": {}, "first_us": at})
        entry["last_us"] = at
        for field in revealed:
            entry["fields"][field] = entry["fields"].get(field, 0) + 1
    for entry in seen.values():
        entry["fields"] = dict(sorted(entry["fields"].items()))
    return list(seen.values())


#: The leaked debtors asked of the trail in one query by the leak triage.
TRIAGE_CHUNK = 500


def leak_triage(
    connection: Connection,
    debtors: Sequence[str],
    fields: Sequence[str],
    start_us: int,
    end_us: int,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Rank accounts by how many of the leaked debtors (and debtor-field pairs) they revealed,
    `TRIAGE_CHUNK` debtors a query (`progress` told after each).

    The likely source is on top: most leaked records, then most pairs, then earliest access.
    """
    found: dict[str, dict[str, Any]] = {}
    wanted = set(fields)
    for offset in range(0, len(debtors), TRIAGE_CHUNK):
        part = debtors[offset : offset + TRIAGE_CHUNK]
        for account, debtor, shown, at in _triage_chunk(connection, part, fields, start_us, end_us):
            for field in queries.fields_at(shown, REVEALED):
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
        .where(queries.has_fields(), *in_window(start_us, end_us))
        .group_by(events.c.actor, hour)
        .having(debtors > per_hour)
        .order_by(events.c.actor, hour)
    )
    return [
        {"account": a, "hour_start_us": int(h) * HOUR_US, "debtors": n}
        for a, h, n in connection.execute(query)
    ]


def debtors_viewed(
    connection: Connection, accounts: Sequence[str], start_us: int, end_us: int
) -> dict[str, int]:
    """How many distinct debtors each of `accounts` was shown fields of (masked or in full)
    in the window, in one grouped query (an account that viewed none is left out; a view
    whose every field was withheld showed nothing and is not counted)."""
    debtors = func.count(distinct(events.c.object))
    shown = or_(*(queries.shown_at(level) for level in SHOWN_AT["any"]))
    query = (
        select(events.c.actor, debtors)
        .where(events.c.actor.in_(list(accounts)), shown)
        .where(*in_window(start_us, end_us))
        .group_by(events.c.actor)
    )
    return {actor: int(count) for actor, count in connection.execute(query)}


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
        .where(queries.has_fields(), *in_window(start_us, end_us))
        .order_by(events.c.seq)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def daily_views(connection: Connection, account: str, start_us: int, end_us: int) -> int:
    query = select(func.count()).where(
        events.c.actor == account, queries.has_fields(), *in_window(start_us, end_us)
    )
    return int(connection.execute(query).scalar() or 0)


def pending(db: Session) -> list[Investigation]:
    """Open investigations waiting for a decision, oldest first."""
    query = (
        select(Investigation)
        .where(Investigation.field_access == rules.PENDING, Investigation.closed_at.is_(None))
        .order_by(Investigation.opened_at, Investigation.id)
    )
    return list(db.scalars(query))


def departures(db: Session) -> list[tuple[str, date]]:
    """(account id, departure date) of every account whose person has a departure date."""
    rows = db.execute(
        select(Account.id, Identity.departure_date)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Identity.departure_date.is_not(None))
    ).all()
    return [(account_id, departure) for account_id, departure in rows]


def _revealed(field: str | None = None) -> ColumnElement[bool]:
    """Events that revealed `field` in full (any field when None)."""
    if field is None:
        return queries.shown_at(REVEALED)
    return queries.field_at(field, REVEALED)


def _triage_chunk(
    connection: Connection,
    debtors: Sequence[str],
    fields: Sequence[str],
    start_us: int,
    end_us: int,
) -> Any:
    wanted = or_(*(_revealed(field) for field in fields)) if fields else _revealed()
    query = select(events.c.actor, events.c.object, events.c.fields, events.c.at_us).where(
        events.c.object.in_(debtors), wanted, *in_window(start_us, end_us)
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


def views_by_hour(
    connection: Connection,
    start_us: int,
    end_us: int,
    actor: str | None = None,
    group: str | None = None,
    excluding: str | None = None,
) -> dict[int, int]:
    """Field-level views in the window by clock hour (`at_us // HOUR_US`): of `actor`, or of
    every viewer in `group` but `excluding`."""
    hour = (events.c.at_us // HOUR_US).label("hour")
    query = select(hour, func.count()).where(queries.has_fields(), *in_window(start_us, end_us))
    if actor is not None:
        query = query.where(events.c.actor == actor)
    if group is not None:
        query = query.where(events.c.viewer_group == group)
    if excluding is not None:
        query = query.where(events.c.actor != excluding)
    return {int(h): int(n) for h, n in connection.execute(query.group_by(hour))}


def usual_group(connection: Connection, account: str, start_us: int, end_us: int) -> str | None:
    """The project group `account` viewed from most often in the window (None: no view)."""
    query = (
        select(events.c.viewer_group)
        .where(
            events.c.actor == account,
            events.c.viewer_group.is_not(None),
            queries.has_fields(),
            *in_window(start_us, end_us),
        )
        .group_by(events.c.viewer_group)
        .order_by(func.count().desc(), events.c.viewer_group)
        .limit(1)
    )
    return connection.execute(query).scalar()


def viewers_in_group(
    connection: Connection, group: str, start_us: int, end_us: int, excluding: str
) -> int:
    """How many accounts but `excluding` viewed from `group` in the window."""
    query = select(func.count(distinct(events.c.actor))).where(
        events.c.viewer_group == group,
        events.c.actor != excluding,
        queries.has_fields(),
        *in_window(start_us, end_us),
    )
    return int(connection.execute(query).scalar() or 0)


def registered_debtors(connection: Connection, debtors: Sequence[str]) -> set[str]:
    """Those of `debtors` in the debtor register, `TRIAGE_CHUNK` ids a query."""
    found: set[str] = set()
    for part in _chunks(debtors):
        found.update(connection.scalars(select(Debtor.id).where(Debtor.id.in_(part))))
    return found


def exposures(
    connection: Connection,
    debtors: Sequence[str],
    suspect: str | None,
    start_us: int,
    end_us: int,
    at_most: int,
) -> list[tuple[int, str, str, int, str | None, str, bytes | None]]:
    """(seq, actor, debtor, at_us, fields, action, entry) of the events in the window that
    showed one of `debtors`' data (any debtor when none) to `suspect` (anyone when None): a
    field in full or masked, its notes or its parties (`exposure.VIEWS`), in the trail's
    order; `entry` only for the actions whose details have no `fields` column
    (`exposure.WITHOUT_FIELDS`), else None. No more than `at_most` (the caller refuses a
    report past its cap); `TRIAGE_CHUNK` debtors a query."""
    without_fields = events.c.action.in_(exposure.WITHOUT_FIELDS)
    shows = or_(*(queries.shown_at(level) for level in SHOWN_AT["any"]), without_fields)
    base = (
        select(
            events.c.seq,
            events.c.actor,
            events.c.object,
            events.c.at_us,
            events.c.fields,
            events.c.action,
            case((without_fields, events.c.entry), else_=null()),
        )
        .where(events.c.action.in_(exposure.VIEWS), shows, *in_window(start_us, end_us))
        .order_by(events.c.seq)
        .limit(at_most)
    )
    if suspect is not None:
        base = base.where(events.c.actor == suspect)
    queries_ = [base.where(events.c.object.in_(part)) for part in _chunks(debtors)] or [base]
    found: list[tuple[int, str, str, int, str | None, str, bytes | None]] = []
    for query in queries_:
        found.extend(tuple(row) for row in connection.execute(query))
        if len(found) >= at_most:
            break
    return sorted(found)[:at_most]


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    """`ids` in parts of `TRIAGE_CHUNK`, each one query's `IN` list."""
    return [ids[o : o + TRIAGE_CHUNK] for o in range(0, len(ids), TRIAGE_CHUNK)]


def about(connection: Connection, object_id: str) -> list[tuple[int, int, str | None, str]]:
    """(seq, at_us, actor, action) of the trail's events on `object_id` (an investigation's
    opening, decisions, reports), oldest first."""
    query = (
        select(events.c.seq, events.c.at_us, events.c.actor, events.c.action)
        .where(events.c.object == object_id)
        .order_by(events.c.seq)
    )
    return [tuple(row) for row in connection.execute(query)]


def accounts_and_people(db: Session, account_ids: Sequence[str]) -> list[tuple[Account, Identity]]:
    """The accounts of `account_ids` Govern holds, each with its person."""
    query = (
        select(Account, Identity)
        .join(Identity, Identity.employee_number == Account.employee_number)
        .where(Account.id.in_(account_ids))
    )
    return [(account, person) for account, person in db.execute(query).all()]


def clients(connection: Connection, debtors: Sequence[str]) -> dict[str, str]:
    """Each registered debtor's client (the creditor it was entrusted by), `TRIAGE_CHUNK` a
    query."""
    found: dict[str, str] = {}
    for part in _chunks(debtors):
        query = select(Debtor.id, Debtor.client).where(Debtor.id.in_(part))
        found.update((debtor, client) for debtor, client in connection.execute(query))
    return found


def held_investigations(db: Session) -> list[Investigation]:
    """The investigations under a standing legal hold (placed, not released)."""
    query = (
        select(Investigation)
        .join(LegalHold, LegalHold.investigation_id == Investigation.id)
        .where(LegalHold.released_at.is_(None))
    )
    return list(db.scalars(query))
