"""Auditors' investigations (R-AUD-3): a leak's triage (who revealed the leaked records,
likely source first), and the investigations that open debtors' fields once a second person
approved them (R-ACS-3). The trail's other questions are in questions.py, unusual access in
unusual.py; a ranking is audited as they are.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from govern.access.door import Opening
from govern.access.policy import check_fields
from govern.accounts import repository as accounts
from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.context import Context
from govern.errors import Conflict, Forbidden, NotFound, Unprocessable
from govern.investigations import repository, rules
from govern.investigations.limits import QueryTimedOut, audited_time_limit
from govern.investigations.models import Investigation
from govern.investigations.questions import Window, audited, with_times
from govern.justification import justification

RANKING_COLUMNS = ("account", "debtors", "pairs", "first", "last")


#: The most leaked debtor ids one investigation takes: what a request of 1 MiB (the service's
#: limit on a body, govern/app.py) holds with room to spare, pasted, uploaded or as JSON.
MAX_LEAKED = 50_000


@dataclass(frozen=True)
class Scope:
    """What an investigation looks into: the leaked debtors, their leaked fields (none: any)
    and the window of the trail it searches; or (also) the account suspected of the leak."""

    debtors: Sequence[str]
    fields: Sequence[str]
    window: Window
    suspect: str | None = None


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
    ranks it in the background). Raises BadRequest `field.unknown`, NotFound
    `account.unknown`, Forbidden `investigation.same_person`."""
    check_fields(ctx.settings.policies_dir, scope.fields)
    check_suspect(db, auditor, scope.suspect)
    investigation = _new_investigation(ctx.clock, auditor, scope)
    db.add(investigation)
    ctx.trail.record(
        db,
        "audit.investigation_opened",
        auditor,
        investigation.id,
        debtors=len(investigation.debtor_ids),
        fields=investigation.fields,
        suspect=investigation.suspect,
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
    if not scope.debtors:
        raise Unprocessable(
            "investigation.nothing_to_open",
            "Opening fields needs the debtors whose fields to open; a suspect alone opens none.",
        )
    rules.check_scope(scope.debtors, ctx.settings.investigation_max_debtors)
    check_suspect(db, auditor, scope.suspect)
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


def check_suspect(db: Session, auditor: str, suspect: str | None) -> None:
    """A suspect must be an account Govern holds (else a report of it would be a clean, empty
    all-clear), and not the auditor's own (no one investigates themselves).

    Raises NotFound `account.unknown`, Forbidden `investigation.same_person`."""
    if suspect is None:
        return
    if suspect == auditor:
        raise Forbidden(
            "investigation.same_person", "An auditor does not investigate their own account."
        )
    if not accounts.people_of(db, [suspect]):
        raise NotFound("account.unknown", f"No account {suspect}.")


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
        suspect=scope.suspect,
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
    audited(db, trail, auditor, "leak_triage", len(ranking), investigation=investigation.id)
    return [with_times(row) for row in ranking]


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
