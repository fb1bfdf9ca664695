"""The parties of a debtor a collector calls: `debtor`, or `contact:<n>`, the n-th (from 1) of
the debtor's emergency contacts. A party's numbers are opened from the sealed fields (the
debtor's `phones`, the contact's `phone`) and matched by their keyed digests: a number is
never compared, kept or logged in the clear.
"""

from __future__ import annotations

import json

from govern.contact.rules import CONTACT, DEBTOR, PARTY
from govern.context import Sealer
from govern.debtors.models import Debtor
from govern.debtors.service import lookup_form
from govern.errors import BadRequest, NotFound


def check_party(party: str) -> str:
    """`party` itself, when it is written as a party is. Raises BadRequest
    `contact.party_malformed`."""
    if not PARTY.match(party):
        raise BadRequest(
            "contact.party_malformed",
            "A party is 'debtor' or 'contact:<n>', the n-th emergency contact (from 1).",
        )
    return party


def party_field(party: str) -> str:
    """The debtor field that holds the party's numbers: who may not see it may not call."""
    return "phones" if party == DEBTOR else "emergency_contacts"


def party_numbers(vault: Sealer, debtor: Debtor, party: str) -> list[str]:
    """The party's numbers, opened from the debtor's sealed fields (a contact may have none).

    Raises NotFound `contact.party_unknown` when the debtor has no such contact.
    """
    field = party_field(party)
    values = json.loads(vault.open(getattr(debtor, field), f"{debtor.id}/{field}"))
    if party == DEBTOR:
        return [str(number) for number in values]
    n = int(party.removeprefix(CONTACT))
    if n > len(values):
        raise NotFound(
            "contact.party_unknown",
            f"Debtor {debtor.id} has {len(values)} emergency contact(s), not {n}.",
        )
    phone = values[n - 1].get("phone")
    return [str(phone)] if phone else []


def number_digest(vault: Sealer, number: str) -> bytes:
    """The keyed digest a phone number is matched and counted by (its lookup form's)."""
    return vault.digest("phone", lookup_form("phone", number))


def party_digests(vault: Sealer, debtor: Debtor, party: str) -> frozenset[bytes]:
    """The digests of the party's numbers. Raises NotFound `contact.party_unknown`."""
    return frozenset(number_digest(vault, n) for n in party_numbers(vault, debtor, party))


def blocked_digest(vault: Sealer, debtor: Debtor, party: str) -> bytes | None:
    """The digest a do-not-call block of `party` keeps (R-CON-4): its one number, so the
    person stays blocked under every debtor and party listing it; None for a contact with
    no number. Raises NotFound `contact.party_unknown`."""
    return min(party_digests(vault, debtor, party), default=None)
