"""Calls as the telephone system reports them, written straight as call records (until the
calls capability's `POST /api/v1/calls` is merged, the notes' tests stand on these rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from govern.contact.models import Call
from govern.debtors.service import lookup_form
from govern.ids import new_id
from tests.support.floor import Floor


def record_call(
    floor: Floor,
    case: str | None,
    *,
    who: str | None = "col.a1",
    party: str | None = "debtor",
    direction: str = "outbound",
    connected: bool = True,
    started_at: datetime | None = None,
    number: str = "13812345678",
) -> str:
    """A call of `who` (an account of the floor) with `party` of the debtor of `case`, as
    the system reports it (a permit gave it its debtor, party and account); returns its id."""
    s = floor.agency.services
    start = started_at or s.clock.now() - timedelta(minutes=5)
    call_id = new_id("CL")
    with s.sessions() as db:
        db.add(
            Call(
                id=call_id,
                system_call_id=f"pbx-{call_id}",
                line_number="057188880000",
                line_id=None,
                unregistered_line=True,
                direction=direction,
                number_digest=s.vault.digest("phone", lookup_form("phone", number)),
                number=s.vault.seal(number, f"calls/{call_id}"),
                key_id=s.vault.current,
                debtor_id=floor.debtors[case] if case else None,
                party=party if case else None,
                account_id=floor.ids[who] if who else None,
                started_at=start,
                answered_at=start + timedelta(seconds=10) if connected else None,
                ended_at=start + timedelta(minutes=2),
                recording_id=f"rec-{call_id}",
                received_at=start + timedelta(minutes=2),
            )
        )
        db.commit()
    return call_id
