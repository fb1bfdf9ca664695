"""Each creditor's lookup key (issue 18, item 4): the digests of its debtors' numbers are made
under it, moved under it when it is recorded (or, for a keys file from before, by `govern keys
rotate`), and still matched across creditors where one person's calls are counted or blocked."""

from __future__ import annotations

import json
from datetime import date

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from govern.cli import cli
from govern.config import Settings
from govern.debtors.models import Debtor
from govern.debtors.sealing import rotate_keys
from govern.debtors.vault import Vault, add_key, load_vault
from tests.creditors.test_contract_end import (  # noqa: F401 (entrusted: a fixture)
    BANK,
    CONTACT_PHONE,
    block_digest,
    creditor,
    digests_of,
    entrusted,
    guessed,
)
from tests.support.calls import record_call
from tests.support.debtors import CASES
from tests.support.floor import Floor
from tests.support.notes import note


def under_the_files_key(vault: Vault) -> set[bytes]:
    """The bank's debtors' numbers' digests under the keys file's own lookup key, which no
    contract's end destroys."""
    files_only = Vault(vault.keys, vault.current, vault.lookup_key)
    return guessed(files_only)


def blocked_contact(floor: Floor) -> None:
    """C-001's emergency contact, called (a permit, a call) and then asking not to be called."""
    call = record_call(floor, "C-001", party="contact:1", number=CONTACT_PHONE)
    asked = {"party": "contact:1", "call_id": call, "purpose": "locate_debtor"}
    assert note(floor, "col.a1", "C-001", **asked, flags=["do_not_call"])[0] == 201


def bank_ids(floor: Floor) -> set[str]:
    with floor.agency.services.sessions() as db:
        return set(db.scalars(select(Debtor.id).where(Debtor.client == BANK)))


def test_digests_made_before_the_creditor_was_recorded_move_under_its_lookup_key(
    floor: Floor, settings: Settings
) -> None:
    blocked_contact(floor)  # a permit, a call and a block under the file's lookup key
    assert under_the_files_key(load_vault(settings.data_keys_file)) & set(
        digests_of(floor, bank_ids(floor))
    )
    assert creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])[0] == 201
    vault = load_vault(settings.data_keys_file)
    dump = digests_of(floor, bank_ids(floor))
    assert len(dump) == 2 * 4 + 3  # lookups of four debtors, the permit, the call, the block
    assert under_the_files_key(vault) & set(dump) == {block_digest(vault)}  # kept for good
    assert set(dump) <= guessed(vault)  # under the bank's lookup key
    asked = {"party": "contact:1", "phone": CONTACT_PHONE}
    path = f"/api/v1/debtors/{floor.debtors['C-001']}/contact-check"
    status, body = floor.call("POST", path, "col.a1", json=asked)
    assert (status, body["reason"]) == (200, "contact.do_not_call")  # the block still holds
    search = {"phone": CASES[0].phone}
    status, found = floor.call("POST", "/api/v1/debtors/search", "col.a1", json=search)
    assert [d["id"] for d in found["debtors"]] == [floor.debtors["C-001"]]


def test_keys_rotate_gives_a_creditor_from_before_its_lookup_key_and_moves_its_digests(
    floor: Floor, settings: Settings
) -> None:
    blocked_contact(floor)
    path, app = settings.data_keys_file, floor.agency.app
    add_key(path, client=BANK)  # then written back as a keys file from before lookup keys
    raw = json.loads(path.read_text(encoding="utf-8"))
    lookup_id = raw.pop("lookups")[BANK]
    del raw["lookup_keys"][lookup_id], raw["owners"][lookup_id]
    path.write_text(json.dumps(raw), encoding="utf-8")
    with floor.agency.services.sessions() as db:  # the rotation as it was: fields only
        assert rotate_keys(db, load_vault(path)) == 4
    assert under_the_files_key(load_vault(path)) & set(digests_of(floor, bank_ids(floor)))

    result = _govern(app, "keys", "rotate")  # as released: the bank gets a lookup key
    assert result.exit_code == 0, result.output
    assert "lookup keys lc" in result.output and "4 debtors re-sealed" in result.output
    vault = load_vault(path)
    dump = digests_of(floor, bank_ids(floor))
    assert BANK in vault.lookups and len(dump) == 2 * 4 + 3
    assert under_the_files_key(vault) & set(dump) == {block_digest(vault)}  # kept for good
    assert set(dump) <= guessed(vault)
    assert "0 debtors re-sealed" in _govern(app, "keys", "rotate").output  # once


def _govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def test_r_con_2_r_con_4_one_persons_number_is_counted_and_blocked_across_creditors(
    entrusted: Floor,  # noqa: F811
) -> None:
    """The bank's C-001 and the lender's L-001 list the same emergency contact: under two
    lookup keys, still one person."""
    lender = f"/api/v1/debtors/{entrusted.debtors['L-001']}/contact-check"
    bank = f"/api/v1/debtors/{entrusted.debtors['C-001']}/contact-check"
    asked = {"party": "contact:1", "phone": CONTACT_PHONE}
    for _ in range(5):  # five allows on the lender's debtor's contact, none answered
        assert entrusted.call("POST", lender, "col.a1", json=asked)[1]["allowed"] is True
    status, body = entrusted.call("POST", bank, "col.a1", json=asked)
    assert (status, body["reason"], body["rule"]) == (
        200,
        "contact.daily_cap_unanswered",
        "R-CON-2",
    )
    call = record_call(entrusted, "C-001", party="contact:1", number=CONTACT_PHONE)
    stop = {"party": "contact:1", "call_id": call, "purpose": "locate_debtor"}
    assert note(entrusted, "col.a1", "C-001", **stop, flags=["do_not_call"])[0] == 201
    entrusted.clock.advance(days=1)
    status, body = entrusted.call("POST", lender, "col.a1", json=asked)
    assert (status, body["reason"], body["rule"]) == (200, "contact.do_not_call", "R-CON-4")


def test_r_con_4_a_block_outlives_the_contract_of_the_debtor_it_was_made_on(
    entrusted: Floor,  # noqa: F811
) -> None:
    """The bank's C-001 and the lender's L-001 list the same emergency contact, who asked
    the bank's collector not to call again: the bank's contract ending (its lookup key
    destroyed) does not make them callable under the lender's debtor."""
    blocked_contact(entrusted)
    bank = f"/api/v1/creditors/{entrusted.ids['bank']}"
    assert entrusted.call("POST", f"{bank}/end", "gm", json={"name": BANK})[0] == 200
    entrusted.clock.advance(days=1)
    lender = f"/api/v1/debtors/{entrusted.debtors['L-001']}/contact-check"
    asked = {"party": "contact:1", "phone": CONTACT_PHONE}
    status, body = entrusted.call("POST", lender, "col.a1", json=asked)
    assert (status, body["reason"], body["rule"]) == (200, "contact.do_not_call", "R-CON-4")
    certificate = entrusted.call("GET", f"{bank}/certificate", "gm")[1]
    assert certificate["document"]["not_destroyed"]["blocks_kept"] == 1
