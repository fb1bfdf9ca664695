"""The parties of a debtor a collector calls: `debtor`, or `contact:<n>`, the n-th (from 1) of
the debtor's emergency contacts. A party's numbers are opened from the sealed fields (the
debtor's `phones`, the contact's `phone`) and matched by their keyed digests: a number is
never compared, kept or logged in the clear. A digest contact keeps of a debtor's number is
made under the debtor's lookup key (its creditor's, destroyed with it at its contract's end);
a number is matched under every lookup key that remains (`number_variants`), so the caps and
blocks on one person hold across creditors.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from govern.contact import repository
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


def number_digest(vault: Sealer, number: str, lookup_id: str | None = None) -> bytes:
    """The keyed digest a phone number is kept by (its lookup form's), under the lookup key
    `lookup_id` (a debtor's `lookup_key_id`; None: the keys file's)."""
    return vault.digest("phone", lookup_form("phone", number), lookup_id)


def number_variants(vault: Sealer, numbers: list[str], lookup_id: str | None) -> dict[bytes, bytes]:
    """Each digest of these numbers under every lookup key that remains, to its digest under
    `lookup_id`: what a check matches the calls, permits and blocks of any creditor's debtor
    by, and counts them as one number."""
    variants = {}
    for number in numbers:
        own = number_digest(vault, number, lookup_id)
        variants |= dict.fromkeys(vault.digests("phone", lookup_form("phone", number)), own)
        variants[own] = own
    return variants


def party_digests(vault: Sealer, debtor: Debtor, party: str) -> frozenset[bytes]:
    """The digests of the party's numbers, under the debtor's lookup key. Raises NotFound
    `contact.party_unknown`."""
    numbers = party_numbers(vault, debtor, party)
    return frozenset(number_digest(vault, n, debtor.lookup_key_id) for n in numbers)


def blocked_digest(vault: Sealer, debtor: Debtor, party: str) -> bytes | None:
    """The digest a do-not-call block of `party` keeps (R-CON-4): its one number, so the
    person stays blocked under every debtor and party listing it; None for a contact with
    no number. Under the keys file's lookup key, not the debtor's creditor's: the person's
    wish outlives that creditor's contract, whose end destroys its key (a certificate counts
    such blocks as kept). Raises NotFound `contact.party_unknown`."""
    numbers = party_numbers(vault, debtor, party)
    return min((number_digest(vault, n) for n in numbers), default=None)


def all_numbers(vault: Sealer, debtor: Debtor) -> list[str]:
    """Every number of every party of the debtor: its phones and its contacts'."""
    contacts = json.loads(vault.open(debtor.emergency_contacts, f"{debtor.id}/emergency_contacts"))
    own = party_numbers(vault, debtor, DEBTOR)
    return own + [str(c["phone"]) for c in contacts if c.get("phone")]


def rekey_numbers(
    db: Session, vault: Sealer, debtor: Debtor, before: str | None, after: str | None
) -> None:
    """Move the digests of the debtor's numbers its calls and permits keep from the lookup
    key `before` to `after` (the debtor's, as it is re-sealed under its creditor's):
    destroyed with its creditor's key, none left under a key that remains. Blocks stay under
    the keys file's key (`blocked_digest`)."""
    moved = {}
    for number in all_numbers(vault, debtor):
        moved[number_digest(vault, number, before)] = number_digest(vault, number, after)
    repository.rekey_digests(db, debtor.id, moved)
