"""The auditors' questions of the trail (R-AUD-3): events by filter, who saw a debtor's field,
what an account saw, its views per hour beside its group's. Each question is itself an event
(`audit.queried`, with its filters as ids and field names), made durable before any answer is
returned.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from audit.entry import decode, micros
from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.errors import BadRequest
from govern.investigations import repository

#: What the blueprint and the commands ask with (the repository's, offered here).
from govern.investigations.repository import SHOWN_AT as SHOWN_AT
from govern.investigations.repository import EventFilter as EventFilter

CSV_COLUMNS = ("seq", "time", "actor", "action", "object", "details", "request_id", "client")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def of(
        cls, start: datetime | None, end: datetime | None, clock: Clock, days: int = 90
    ) -> Window:
        """Defaults to the last `days` days. Raises BadRequest `window.invalid`."""
        end = end or clock.now()
        start = start or end - timedelta(days=days)
        if start >= end:
            raise BadRequest("window.invalid", "'from' must be before 'to'.")
        return cls(start, end)

    @property
    def us(self) -> tuple[int, int]:
        return micros(self.start), micros(self.end)


def recorded_actions(db: Session) -> list[str]:
    """The actions the trail holds, sorted: the action input's suggestions."""
    return repository.recorded_actions(db.connection())


def find_events(
    db: Session, trail: Trail, auditor: str, wanted: EventFilter
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of events and the `after` of the next page (None on the last)."""
    rows = repository.find_events(db.connection(), wanted)
    db.commit()  # the query ends here; it is audited durably after
    audited(
        db,
        trail,
        auditor,
        "events",
        len(rows),
        debtor=wanted.debtor,
        actor=wanted.actor,
        subject=wanted.subject,
        action=wanted.action,
        field=wanted.field,
    )
    after = rows[-1][0] if len(rows) == wanted.limit else None
    return [decode(entry) for _, entry in rows], after


@dataclass(frozen=True)
class Sighting:
    """What an auditor asks who saw: `field` of `debtor`, shown at `level` (`full`: revealed,
    the default; `masked`; `any`)."""

    debtor: str
    field: str
    level: str = "full"


def who_saw(
    db: Session, trail: Trail, auditor: str, asked: Sighting, window: Window
) -> list[dict[str, Any]]:
    """Who was shown the field asked of the debtor at the level asked, when, and at which
    level."""
    found = repository.who_saw(db.connection(), asked.debtor, asked.field, *window.us, asked.level)
    db.commit()  # the query ends here; it is audited durably after
    audited(db, trail, auditor, "who_saw", len(found), **asdict(asked))
    return [with_times(row) for row in found]


def what_seen(
    db: Session, trail: Trail, auditor: str, account: str, window: Window
) -> list[dict[str, Any]]:
    found = repository.what_seen(db.connection(), account, *window.us)
    db.commit()  # the query ends here; it is audited durably after
    audited(db, trail, auditor, "what_seen", len(found), account=account)
    return [with_times(row) for row in found]


#: The longest window a chart of views per hour covers (31 days), and its default (7 days).
CHART_HOURS = 31 * 24
CHART_DAYS = 7


def views_per_hour(
    db: Session, trail: Trail, auditor: str, account: str, window: Window
) -> dict[str, Any]:
    """`account`'s views per clock hour over the window beside its group's usual: the mean
    views in that hour of the other accounts that viewed from the group it viewed from most
    (`usual` is None when it has no such group or peer).

    Raises BadRequest `window.too_long` beyond CHART_HOURS hours."""
    start_us, end_us = window.us
    first, last = start_us // repository.HOUR_US, (end_us - 1) // repository.HOUR_US
    if last - first + 1 > CHART_HOURS:
        raise BadRequest(
            "window.too_long", f"A chart covers at most {CHART_HOURS // 24} days; narrow it."
        )
    connection = db.connection()
    own = repository.views_by_hour(connection, start_us, end_us, actor=account)
    group = repository.usual_group(connection, account, start_us, end_us)
    peers = 0
    if group is not None:
        peers = repository.viewers_in_group(connection, group, start_us, end_us, account)
        others = repository.views_by_hour(
            connection, start_us, end_us, group=group, excluding=account
        )
    db.commit()  # the query ends here; it is audited durably after
    audited(db, trail, auditor, "views_per_hour", sum(own.values()), account=account)
    hours = [
        {
            "hour": instant(hour * repository.HOUR_US),
            "views": own.get(hour, 0),
            "usual": round(others.get(hour, 0) / peers, 2) if peers else None,
        }
        for hour in range(first, last + 1)
    ]
    return {"account": account, "group": group, "peers": peers, "hours": hours}


def instant(at_us: int) -> str:
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).isoformat()


def with_times(row: dict[str, Any]) -> dict[str, Any]:
    """`*_us` values become RFC 3339 times under the name without `_us`."""
    out = {}
    for key, value in row.items():
        if key.endswith("_us") and isinstance(value, int):
            out[key[:-3] or "at"] = instant(value)
        else:
            out[key] = value
    return out


def audited(
    db: Session, trail: Trail, auditor: str, query: str, results: int, **filters: Any
) -> None:
    """The query is itself audited, durably, before its answer leaves (R-AUD-3)."""
    trail.record_now(
        db,
        "audit.queried",
        auditor,
        None,
        query=query,
        results=results,
        filters={k: v for k, v in filters.items() if v is not None},
    )


def events_csv(found: list[dict[str, Any]]) -> str:
    """Events as CSV, one row each; details stay JSON in their column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in found:
        writer.writerow(
            [
                json.dumps(event[c], sort_keys=True) if c == "details" else event[c]
                for c in CSV_COLUMNS
            ]
        )
    return out.getvalue()
