"""What the contact guard counts and reads, put in place for its tests: calls as the telephone
system reports them, do-not-call blocks and complaint cases.

They are written through the models here until the capabilities that record them land (calls:
`POST /api/v1/calls`; blocks and complaints: the notes capability); the integrator switches
these helpers to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from govern.contact.models import Call, ComplaintCase, ContactBlock, ContactPermit
from govern.contact.parties import number_digest
from govern.ids import new_id
from govern.web import Services


def record_call(
    services: Services,
    number: str,
    started: datetime,
    *,
    outbound: bool = True,
    connected: bool = False,
) -> str:
    """A call to (or from) `number`, started at `started`, as the telephone system reports it
    once it ended: three minutes when it connected, half a minute of ringing when not."""
    call_id = new_id("CL")
    with services.sessions() as db:
        db.add(
            Call(
                id=call_id,
                system_call_id=f"pbx-{call_id}",
                line_number="0571-88880000",
                unregistered_line=False,
                direction="outbound" if outbound else "inbound",
                number_digest=number_digest(services.vault, number),
                number=services.vault.seal(number, f"{call_id}/number"),
                key_id=services.vault.current,
                started_at=started,
                answered_at=started + timedelta(seconds=10) if connected else None,
                ended_at=started + timedelta(minutes=3 if connected else 0.5),
                received_at=started + timedelta(minutes=4),
            )
        )
        db.commit()
    return call_id


def block(services: Services, debtor_id: str, party: str, at: datetime) -> None:
    """The party asked not to be contacted (R-CON-4)."""
    with services.sessions() as db:
        db.add(
            ContactBlock(
                id=new_id("BK"),
                debtor_id=debtor_id,
                party=party,
                reason="do_not_call",
                blocked_at=at,
                blocked_by="test",
            )
        )
        db.commit()


def open_complaint(services: Services, debtor_id: str, at: datetime) -> str:
    """A complaint case that stops collection on the debtor (R-CON-5)."""
    case_id = new_id("CC")
    with services.sessions() as db:
        db.add(
            ComplaintCase(
                id=case_id,
                debtor_id=debtor_id,
                kind="complaint",
                opened_at=at,
                opened_by="test",
                deadline=at + timedelta(days=3),
                state="open",
            )
        )
        db.commit()
    return case_id


def resume(services: Services, case_id: str, at: datetime) -> None:
    """A supervisor resumed collection on the case's debtor."""
    with services.sessions() as db:
        case = db.get(ComplaintCase, case_id)
        assert case is not None
        case.state, case.resumed_at, case.resumed_by = "resumed", at, "test"
        case.resume_reason = "the complaint was withdrawn"
        db.commit()


def permits(services: Services, debtor_id: str) -> int:
    """How many permits the guard gave for the debtor."""
    with services.sessions() as db:
        query = select(func.count()).where(ContactPermit.debtor_id == debtor_id)
        return db.scalar(query) or 0


def calls_of(services: Services, number: str, *, outbound: bool) -> int:
    """How many calls to (or from) `number` are recorded."""
    with services.sessions() as db:
        query = select(func.count()).where(
            Call.number_digest == number_digest(services.vault, number),
            Call.direction == ("outbound" if outbound else "inbound"),
        )
        return db.scalar(query) or 0


def name_call(services: Services, call_id: str, debtor_id: str, party: str) -> None:
    """The call was with `party` of the debtor (as a permit it took names it)."""
    with services.sessions() as db:
        call = db.get(Call, call_id)
        assert call is not None
        call.debtor_id, call.party = debtor_id, party
        db.commit()
