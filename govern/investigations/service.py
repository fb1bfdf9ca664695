"""Auditors' investigations (R-AUD-3): who saw what, leak triage, unusual access, and the
investigations that open debtors' fields once a second person approved them (R-ACS-3).

Each query is itself an event (`audit.queried`, with its filters as ids and field names),
made durable before any result is returned.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from audit.entry import decode, micros
from govern.access.door import Opening
from govern.access.policy import check_fields
from govern.accounts import repository as accounts
from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.context import Context
from govern.directory.departure import Departures
from govern.errors import BadRequest, Conflict, Forbidden, NotFound
from govern.investigations import repository, rules
from govern.investigations.limits import QueryTimedOut, audited_time_limit
from govern.investigations.models import Investigation

#: What the blueprint and the commands ask with (the repository's, offered here).
from govern.investigations.repository import SHOWN_AT as SHOWN_AT
from govern.investigations.repository import EventFilter as EventFilter
from govern.justification import justification

RANKING_COLUMNS = ("account", "debtors", "pairs", "first", "last")
CSV_COLUMNS = ("seq", "time", "actor", "action", "object", "details", "request_id", "client")
PRE_DEPARTURE_DAYS = 30
SPIKE_FACTOR = 3


#: The most leaked debtor ids one investigation takes: what a request of 1 MiB (the service's
#: limit on a body, govern/app.py) holds with room to spare, pasted, uploaded or as JSON.
MAX_LEAKED = 50_000


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
    _audited(
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
    _audited(db, trail, auditor, "who_saw", len(found), **asdict(asked))
    return [_times(row) for row in found]


def what_seen(
    db: Session, trail: Trail, auditor: str, account: str, window: Window
) -> list[dict[str, Any]]:
    found = repository.what_seen(db.connection(), account, *window.us)
    db.commit()  # the query ends here; it is audited durably after
    _audited(db, trail, auditor, "what_seen", len(found), account=account)
    return [_times(row) for row in found]


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
    _audited(db, trail, auditor, "views_per_hour", sum(own.values()), account=account)
    hours = [
        {
            "hour": _instant(hour * repository.HOUR_US),
            "views": own.get(hour, 0),
            "usual": round(others.get(hour, 0) / peers, 2) if peers else None,
        }
        for hour in range(first, last + 1)
    ]
    return {"account": account, "group": group, "peers": peers, "hours": hours}


def _instant(at_us: int) -> str:
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).isoformat()


@dataclass(frozen=True)
class Scope:
    """What an investigation looks into: the leaked debtors, their leaked fields (none: any)
    and the window of the trail it searches."""

    debtors: Sequence[str]
    fields: Sequence[str]
    window: Window


def open_investigation(
    db: Session,
    ctx: Context,
    auditor: str,
    scope: Scope,
    progress: Callable[[int], None] | None = None,
) -> tuple[Investigation, list[dict[str, Any]]]:
    """Open a leak investigation and rank the accounts that revealed the leaked records.

    It queries the trail only: it opens no debtor's fields (see `request_investigation`).
    Raises BadRequest `field.unknown` (a leaked field the policy lacks would rank nobody:
    a false all-clear), QueryTimedOut (see `rank_in_time`) with the investigation saved."""
    investigation = new_leak_investigation(db, ctx, auditor, scope)
    return investigation, rank_in_time(db, ctx, auditor, investigation, progress)


def new_leak_investigation(db: Session, ctx: Context, auditor: str, scope: Scope) -> Investigation:
    """Open a leak investigation, saved and audited, to be ranked by the caller (the console
    ranks it in the background). Raises BadRequest `field.unknown`."""
    check_fields(ctx.settings.policies_dir, scope.fields)
    investigation = _new_investigation(ctx.clock, auditor, scope)
    db.add(investigation)
    ctx.trail.record(
        db,
        "audit.investigation_opened",
        auditor,
        investigation.id,
        debtors=len(investigation.debtor_ids),
        fields=investigation.fields,
    )
    db.commit()
    return investigation


def unregistered_debtors(db: Session, debtors: Sequence[str]) -> list[str]:
    """The ids of `debtors` not in the debtor register (a typo, another agency's list), in
    their order: the console asks before it ranks them."""
    registered = repository.registered_debtors(db.connection(), debtors)
    db.commit()
    return [debtor for debtor in debtors if debtor not in registered]


@dataclass(frozen=True)
class Asking:
    """What an investigation that opens debtors' fields must say: the case it serves, why,
    and for how many hours after approval (None: the default)."""

    case_reference: str
    justification: str
    hours: int | None = None


def request_investigation(
    db: Session, ctx: Context, auditor: str, scope: Scope, asking: Asking
) -> tuple[Investigation, list[dict[str, Any]]]:
    """An investigation that asks to open its debtors' fields to `auditor`: it opens nothing
    until someone else approves it (R-ACS-3). Its leak triage answers at once.

    Raises Unprocessable `justification.too_short`, `investigation.too_many_debtors` /
    `investigation.too_long`; QueryTimedOut (see `rank_in_time`) with the request saved.
    """
    why = justification(asking.justification, ctx.settings.justification_min_chars)
    rules.check_scope(scope.debtors, ctx.settings.investigation_max_debtors)
    rules.check_hours(asking.hours, ctx.settings.investigation_max_hours)
    check_fields(ctx.settings.policies_dir, scope.fields)
    investigation = _new_investigation(ctx.clock, auditor, scope)
    investigation.field_access = rules.PENDING
    investigation.case_reference = asking.case_reference
    investigation.justification = why
    investigation.hours = asking.hours
    db.add(investigation)
    ctx.trail.record(
        db,
        "audit.investigation_requested",
        auditor,
        investigation.id,
        case_reference=asking.case_reference,
        debtors=len(investigation.debtor_ids),
        fields=investigation.fields,
        hours=asking.hours,
    )
    db.commit()
    return investigation, rank_in_time(db, ctx, auditor, investigation)


def _new_investigation(clock: Clock, auditor: str, scope: Scope) -> Investigation:
    return Investigation(
        id=f"INV-{secrets.token_hex(4).upper()}",
        opened_by=auditor,
        opened_at=clock.now(),
        debtor_ids=sorted(set(scope.debtors)),
        fields=sorted(set(scope.fields)),
        window_start=scope.window.start,
        window_end=scope.window.end,
        closed_at=None,
    )


def pending_requests(db: Session) -> list[Investigation]:
    """Open investigations waiting for a second person to approve or refuse them, oldest
    first."""
    return repository.pending(db)


def approve_request(
    db: Session,
    ctx: Context,
    approver: str,
    investigation_id: str,
    hours: int | None = None,
) -> Investigation:
    """The second pair of eyes: the investigation opens its debtors' fields to its requester
    from now for `hours` (else the hours asked for, else the default).

    Raises NotFound `investigation.unknown`, Forbidden `investigation.own_request`, Conflict
    `investigation.not_pending` / `investigation.request_incomplete`, Unprocessable
    `investigation.too_long`.
    """
    found = _locked(db, investigation_id)
    rules.check_decider(found, approver, _people(db, found.opened_by, approver))
    rules.check_approvable(found)
    rules.check_hours(hours, ctx.settings.investigation_max_hours)
    lasting = hours or found.hours or ctx.settings.investigation_hours
    _decide(found, rules.APPROVED, approver, ctx.clock.now())
    found.expires_at = rules.expiry(ctx.clock.now(), lasting)
    ctx.trail.record(
        db,
        "audit.investigation_approved",
        approver,
        found.id,
        requester=found.opened_by,
        case_reference=found.case_reference,
        hours=lasting,
    )
    db.commit()
    return found


def refuse_request(
    db: Session,
    trail: Trail,
    clock: Clock,
    decider: str,
    investigation_id: str,
    reason: str | None = None,
) -> Investigation:
    """The approver says no: the investigation never opens a field (its triage stays).

    Raises NotFound `investigation.unknown`, Forbidden `investigation.own_request`, Conflict
    `investigation.not_pending`.
    """
    found = _locked(db, investigation_id)
    rules.check_decider(found, decider, _people(db, found.opened_by, decider))
    _decide(found, rules.REFUSED, decider, clock.now())
    found.refusal = reason
    trail.record(
        db,
        "audit.investigation_refused",
        decider,
        found.id,
        requester=found.opened_by,
        case_reference=found.case_reference,
    )
    db.commit()
    return found


def _locked(db: Session, investigation_id: str) -> Investigation:
    """The investigation, its row locked against a second decision at the same time."""
    found = db.get(Investigation, investigation_id, with_for_update=True)
    if found is None:
        raise NotFound("investigation.unknown", f"No investigation {investigation_id}.")
    return found


def _people(db: Session, *account_ids: str) -> dict[str, str]:
    """The person (employee number) behind each account, for the four-eyes rules."""
    return accounts.people_of(db, account_ids)


def _decide(found: Investigation, decision: str, decider: str, at: datetime) -> None:
    found.field_access, found.decided_by, found.decided_at = decision, decider, at


def opening(
    db: Session, trail: Trail, clock: Clock, investigation_id: str, viewer: str, debtor: str
) -> Investigation:
    """The approved investigation that opens `debtor`'s fields to `viewer` now. A use after
    its expiry is an event of its own (`audit.investigation_expired_use`) before the refusal.

    Raises what `rules.check_opens` raises, AuditNotWritten.
    """
    found = db.get(Investigation, investigation_id)
    people = _people(db, found.opened_by, viewer) if found else {}
    try:
        return rules.check_opens(found, viewer, debtor, clock.now(), people)
    except Forbidden as refused:
        if refused.code == "investigation.expired":
            db.rollback()  # a refused read keeps nothing; its event is made durable after
            trail.record_now(
                db, "audit.investigation_expired_use", viewer, investigation_id, debtor=debtor
            )
        raise Forbidden(refused.code, refused.message, object=debtor) from None


def opener(trail: Trail, clock: Clock) -> Callable[[Session, str, str, str], Opening]:
    """How a debtor read asks whether an investigation opens the debtor (`opening`), answered
    as the access door's reach grant; handed to the debtor reads at start-up, since the
    auditors' tools sit above the capabilities they investigate."""

    def opened(db: Session, investigation_id: str, viewer: str, debtor: str) -> Opening:
        found = opening(db, trail, clock, investigation_id, viewer, debtor)
        return Opening(found.id, frozenset(found.fields or ()))

    return opened


def rank(
    db: Session,
    trail: Trail,
    auditor: str,
    investigation: Investigation,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """The leak triage of an investigation: likely source first."""
    window = Window(investigation.window_start, investigation.window_end)
    ranking = repository.leak_triage(
        db.connection(),
        investigation.debtor_ids,
        investigation.fields,
        *window.us,
        progress=progress,
    )
    db.commit()  # the query ends here; it is audited durably after
    _audited(db, trail, auditor, "leak_triage", len(ranking), investigation=investigation.id)
    return [_times(row) for row in ranking]


def rank_in_time(
    db: Session,
    ctx: Context,
    auditor: str,
    investigation: Investigation,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """`rank` of a just committed investigation, within the auditors' time limit.

    Raises QueryTimedOut (503 `audit.query_timeout`, audited as timed out) saying that the
    investigation is saved and can be ranked again later.
    """
    opened, seconds = investigation.id, ctx.settings.audit_query_seconds
    try:
        with audited_time_limit(db, ctx, auditor, "leak_triage", investigation=opened):
            return rank(db, ctx.trail, auditor, investigation, progress)
    except QueryTimedOut as stopped:
        raise QueryTimedOut(
            stopped.code,
            f"Investigation {opened} is opened and saved, but ranking who revealed its records "
            f"took longer than {seconds:g} s and was stopped; rank it "
            f"again later (GET /api/v1/audit/investigations/{opened}).",
        ) from None


def investigation(db: Session, investigation_id: str) -> Investigation:
    found = db.get(Investigation, investigation_id)
    if found is None:
        raise NotFound("investigation.unknown", f"No investigation {investigation_id}.")
    return found


def close_investigation(
    db: Session, trail: Trail, clock: Clock, auditor: str, investigation_id: str
) -> Investigation:
    found = investigation(db, investigation_id)
    if found.closed_at is not None:
        raise Conflict("investigation.closed", f"{investigation_id} is already closed.")
    found.closed_at = clock.now()
    trail.record(db, "audit.investigation_closed", auditor, found.id)
    db.commit()
    return found


def unusual_access(
    db: Session, ctx: Context, auditor: str, window: Window
) -> dict[str, list[dict[str, Any]]]:
    """Bulk viewing, views outside work hours or outside the viewer's project group, view
    spikes in the 30 days before an account's departure, and every read through a break-glass
    grant or an investigation."""
    connection, settings = db.connection(), ctx.settings
    zone, hours = settings.timezone, settings.work_hours
    views = repository.views_between(connection, *window.us)
    found = {
        "bulk": [
            _times(r)
            for r in repository.bulk_viewers(connection, *window.us, settings.bulk_views_per_hour)
        ],
        "off_hours": [_times(v) for v in views if _off_hours(v["at_us"], zone, hours)],
        "outside_group": [
            _times(v) for v in views if v["object_group"] and v["viewer_group"] != v["object_group"]
        ],
        "before_departure": _departure_spikes(db, window, settings.departures),
        **_flagged_reads(db, window),
    }
    db.commit()  # the query ends here; it is audited durably after
    _audited(db, ctx.trail, auditor, "unusual", sum(len(v) for v in found.values()))
    return found


#: The debtor reads whose events say how the viewer reached the debtor.
DEBTOR_READS = ("debtor.viewed", "debtor.revealed", "debtor.listed", "debtor.found")
#: Reads flagged in *unusual access* whatever else they look like: through a supervisor's
#: break-glass grant, and an auditor's reads inside an investigation (each names its grant or
#: investigation).
FLAGGED_WAYS = ("break_glass", "investigation")


def _flagged_reads(db: Session, window: Window) -> dict[str, list[dict[str, Any]]]:
    """Every read made through a break-glass grant or an investigation, by way."""
    flagged: dict[str, list[dict[str, Any]]] = {way: [] for way in FLAGGED_WAYS}
    for action in DEBTOR_READS:
        wanted = EventFilter(
            action=action, start_us=window.us[0], end_us=window.us[1], limit=100_000
        )
        for _, entry in repository.find_events(db.connection(), wanted):
            event = decode(entry)
            for way in FLAGGED_WAYS:
                if event["details"].get(way):
                    flagged[way].append(event)
    return {way: sorted(uses, key=lambda e: e["seq"]) for way, uses in flagged.items()}


def _departure_spikes(db: Session, window: Window, departures: Departures) -> list[dict[str, Any]]:
    """Accounts whose daily views in the 30 days before departure are SPIKE_FACTOR times
    their daily views in the 90 days before that."""
    spikes = []
    for account_id, departure in repository.departures(db):
        leaving = departures.instant(departure)
        recent_start = leaving - timedelta(days=PRE_DEPARTURE_DAYS)
        if not (window.start <= leaving and recent_start < window.end):
            continue
        before_start = recent_start - timedelta(days=90)
        recent = repository.daily_views(
            db.connection(), account_id, micros(recent_start), micros(leaving)
        )
        before = repository.daily_views(
            db.connection(), account_id, micros(before_start), micros(recent_start)
        )
        recent_rate, before_rate = recent / PRE_DEPARTURE_DAYS, before / 90
        if recent and recent_rate >= SPIKE_FACTOR * max(before_rate, 1 / 90):
            spikes.append(
                {
                    "account": account_id,
                    "departure": departure.isoformat(),
                    "views_last_30_days": recent,
                    "views_90_days_before": before,
                }
            )
    return spikes


def _off_hours(at_us: int, zone: ZoneInfo, work_hours: tuple[time, time]) -> bool:
    local = datetime.fromtimestamp(at_us / 1_000_000, UTC).astimezone(zone).time()
    start, end = work_hours
    at_work = (
        start <= local < end if start <= end else (local >= start or local < end)
    )  # night shift
    return not at_work


def _times(row: dict[str, Any]) -> dict[str, Any]:
    """`*_us` values become RFC 3339 times under the name without `_us`."""
    out = {}
    for key, value in row.items():
        if key.endswith("_us") and isinstance(value, int):
            out[key[:-3] or "at"] = _instant(value)
        else:
            out[key] = value
    return out


def _audited(
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


def ranking_csv(ranking: list[dict[str, Any]], zone: tzinfo) -> str:
    """A leak triage's ranking as CSV, likely source first; its times in `zone` (the company's,
    as the page shows them), ISO 8601 with the offset: 2026-12-04T14:00:00+08:00."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("rank", *RANKING_COLUMNS))
    for place, entry in enumerate(ranking, 1):
        row = {**entry, **{c: _in_zone(entry[c], zone) for c in ("first", "last")}}
        writer.writerow([place, *(row[c] for c in RANKING_COLUMNS)])
    return out.getvalue()


def _in_zone(instant: str | None, zone: tzinfo) -> str:
    return datetime.fromisoformat(instant).astimezone(zone).isoformat() if instant else ""
