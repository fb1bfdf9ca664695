"""Calls as the agency's telephone system reports them, through `POST /api/v1/calls` (signed
with the telephony key): an outbound call takes the permit the guard gave its collector for
the number (a ContactPermit row written here as govern/contact/guard.py issues it), so the call
knows its debtor, party and collector."""

from __future__ import annotations

from datetime import datetime, timedelta

from govern.contact.models import ContactPermit
from govern.contact.parties import number_digest
from govern.debtors.models import Debtor
from govern.ids import new_id
from tests.support.floor import Floor
from tests.support.telephone import Telephone, record

LINE = "0571-8690 1001"


def record_call(
    floor: Floor,
    case: str | None,
    *,
    who: str | None = "col.a1",
    party: str = "debtor",
    direction: str = "outbound",
    connected: bool = True,
    started_at: datetime | None = None,
    number: str = "13812345678",
) -> str:
    """A call of `who` with `party` of the debtor of `case` (outbound: through the guard's
    permit; `case` None: a number no permit names), as the telephone system reports it;
    returns its id."""
    start = started_at or floor.agency.services.clock.now() - timedelta(minutes=5)
    if case is not None and who is not None and direction == "outbound":
        _permit(floor, case, who, party, number, start)
    sent = record(new_id("PBX"), LINE, number, start, direction=direction, answered=connected)
    status, body = Telephone(floor.agency.app, floor.agency.client).report(sent)
    assert status == 201, body
    return body["id"]


def _permit(floor: Floor, case: str, who: str, party: str, number: str, at: datetime) -> None:
    s = floor.agency.services
    with s.sessions() as db:
        debtor = db.get_one(Debtor, floor.debtors[case])
        db.add(
            ContactPermit(
                id=new_id("PM"),
                debtor_id=debtor.id,
                party=party,
                number_digest=number_digest(s.vault, number, debtor.lookup_key_id),
                account_id=floor.ids[who],
                issued_at=at - timedelta(minutes=1),
                expires_at=at + timedelta(minutes=14),
            )
        )
        db.commit()
