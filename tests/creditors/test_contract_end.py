"""Entrustment scope (issue 18, item 4): a creditor's debtors sealed under its own key, read
only for the purposes it agreed to and while its contract runs; at the contract's end its keys
are destroyed, a copy of the database made before cannot be opened with the keys that remain,
and a signed deletion certificate says what was destroyed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from flask import Flask
from sqlalchemy import select

from govern.backup.manifest import read_manifest
from govern.backup.service import create_set, quietly
from govern.clock import FixedClock
from govern.config import Settings
from govern.contact.calls import CallReport, record_call
from govern.contact.models import Call, ContactBlock, ContactPermit
from govern.creditors.certificate import verify
from govern.creditors.cli import creditors
from govern.creditors.contract_ends import run_contract_ends
from govern.creditors.service import end_due_contracts
from govern.debtors.models import PERSONAL_FIELDS, Debtor, DebtorLookup
from govern.debtors.sealing import import_debtors, rotate_keys
from govern.debtors.service import lookup_form
from govern.debtors.vault import KeysDestroyed, Vault, add_key, destroy_keys, load_vault
from tests.support.agency import Agency
from tests.support.calls import record_call as reported_call
from tests.support.debtors import CASES, as_csv, id_number
from tests.support.floor import Floor, import_cases
from tests.support.notes import note, plain_note

BANK = "某银行信用卡中心"  # every case of the floor is its
LENDER = "某消费金融公司"
CONTACT_PHONE = "13700002222"  # every case's emergency contact (tests/support/debtors.py)
TODAY = date(2026, 11, 28)  # the floor's clock, in Shanghai


def creditor(
    floor: Floor,
    name: str,
    end: date,
    purposes: list[str],
    who: str = "gm",
    start: date = date(2026, 1, 1),
) -> Any:
    return floor.call(
        "POST",
        "/api/v1/creditors",
        who,
        json={
            "name": name,
            "project_groups": ["pg-a1", "pg-a2", "pg-b1"],
            "contract_start": start.isoformat(),
            "contract_end": end.isoformat(),
            "purposes": purposes,
        },
    )


def lender_case(floor: Floor) -> str:
    """One debtor of the second creditor, in col.a1's project group."""
    row = {**CASES[0].row(), "case_no": "L-001", "client": LENDER, "name": "钱七"}
    row |= {"phones": "13600001234", "id_number": id_number("11010119800101111")}
    floor.debtors |= import_cases(floor.agency, [row])
    return "L-001"


def rows(floor: Floor) -> list[Debtor]:
    """Every debtor row as the database holds it: the copy an attacker would take."""
    with floor.agency.services.sessions() as db:
        found = list(db.scalars(select(Debtor)))
        db.expunge_all()
        return found


def opens(settings: Settings, debtor: Debtor) -> bool:
    """Whether the keys in the keys file now open every sealed field of this copied row."""
    vault = load_vault(settings.data_keys_file)
    try:
        for name in PERSONAL_FIELDS:
            vault.open(getattr(debtor, name), f"{debtor.id}/{name}")
    except KeysDestroyed:
        return False
    return True


@pytest.fixture
def entrusted(floor: Floor) -> Floor:
    """The bank (scheduled calls only) and the lender, each with its own key and debtors."""
    status, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    assert status == 201, bank
    status, lender = creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call", "dispute"])
    assert status == 201, lender
    lender_case(floor)
    floor.ids |= {"bank": bank["id"], "lender": lender["id"]}
    return floor


def test_each_creditors_debtors_are_sealed_under_its_own_key(
    entrusted: Floor, settings: Settings
) -> None:
    status, bank = entrusted.call("GET", f"/api/v1/creditors/{entrusted.ids['bank']}", "gm")
    status, lender = entrusted.call("GET", f"/api/v1/creditors/{entrusted.ids['lender']}", "gm")
    assert status == 200 and bank["key_id"] != lender["key_id"]
    keys = {d.case_no: d.key_id for d in rows(entrusted)}
    assert {keys[case.case_no] for case in CASES} == {bank["key_id"]}  # re-sealed when recorded
    assert keys["L-001"] == lender["key_id"]  # imported after: sealed under its key at once
    assert entrusted.view("col.a1", "C-001")[1]["fields"]["name"] == "张三"
    assert entrusted.view("col.a1", "L-001")[1]["fields"]["name"] == "钱七"


def test_a_reveal_for_a_purpose_the_creditor_did_not_agree_to_is_refused(
    entrusted: Floor,
) -> None:
    status, body = entrusted.reveal("col.a1", "C-001", ["phones"], purpose="dispute")
    assert (status, body["error"]["code"]) == (403, "creditor.purpose_not_agreed")
    denial = entrusted.events("access.denied")[-1]
    assert (denial["object"], denial["details"]["code"]) == (
        entrusted.debtors["C-001"],
        "creditor.purpose_not_agreed",
    )
    assert entrusted.reveal("col.a1", "C-001", ["phones"])[0] == 200  # scheduled_call: agreed
    assert entrusted.reveal("col.a1", "L-001", ["phones"], purpose="dispute")[0] == 200


def test_the_contract_end_destroys_the_key_a_copy_made_before_does_not_open(
    entrusted: Floor, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    assert plain_note(entrusted, "col.a1", "C-002")[0] == 201  # sealed under the bank's key
    before = rows(entrusted)  # the dump made before the shredding
    assert all(opens(settings, row) for row in before)
    backup = tmp_path / "set-before"
    create_set(settings, backup, clock, quietly)
    bank_key = entrusted.call("GET", f"/api/v1/creditors/{entrusted.ids['bank']}", "gm")[1][
        "key_id"
    ]
    bank_lookup = load_vault(settings.data_keys_file).lookups[BANK]  # its digests' key
    carried = read_manifest(backup).creditor_keys
    assert carried[BANK] == sorted([bank_key, bank_lookup]) and set(carried) == {BANK, LENDER}

    end = f"/api/v1/creditors/{entrusted.ids['bank']}/end"
    status, body = entrusted.call("POST", end, "gm", json={"name": LENDER})
    assert (status, body["error"]["code"]) == (400, "creditor.name_mismatch")
    assert opens(settings, before[0])  # nothing destroyed
    status, certificate = entrusted.call("POST", end, "gm", json={"name": BANK})
    assert status == 200, certificate

    keys_now = load_vault(settings.data_keys_file)
    assert bank_key not in keys_now.keys and bank_key in keys_now.destroyed
    assert bank_lookup not in keys_now.lookup_keys and bank_lookup in keys_now.destroyed
    copied = {row.case_no: row for row in before}
    assert not any(opens(settings, copied[case.case_no]) for case in CASES)
    assert opens(settings, copied["L-001"])  # the other creditor's records still open
    with pytest.raises(KeysDestroyed):
        keys_now.open(copied["C-001"].name, f"{copied['C-001'].id}/name")

    status, body = entrusted.view("col.a1", "C-001")
    assert (status, body["error"]["code"]) == (403, "creditor.contract_ended")
    assert entrusted.view("col.a1", "L-001")[0] == 200
    caseload = entrusted.call("GET", "/api/v1/debtors", "col.a1", query_string={"assigned": "me"})
    assert [d["id"] for d in caseload[1]["debtors"]] == [entrusted.debtors["L-001"]]
    assert entrusted.view("col.a1", "C-001")[0] == 403  # asked again: still a reason, not 500
    with entrusted.agency.services.sessions() as db:  # no phone number leads to them either
        ids = {copied[c.case_no].id for c in CASES}
        assert not db.scalars(select(DebtorLookup).where(DebtorLookup.debtor_id.in_(ids))).all()

    document = certificate["document"]
    assert document["creditor"]["name"] == BANK
    assert document["destroyed"] == {
        "debtors": len(CASES),
        "fields": len(CASES) * len(PERSONAL_FIELDS),
        "lookup_digests": 2 * len(CASES),
        "notes": 1,
        "key_ids": sorted([bank_key, bank_lookup]),  # its data key and its lookup key
    }
    assert document["not_destroyed"] == {
        "notes_under_other_keys": 0,
        "debtors_under_other_keys": 0,
        "blocks_kept": 0,
    }
    assert [s["folder"] for s in document["backup_sets"]] == [str(backup)]
    assert document["trail"]["signed_size"] >= 1
    ended = entrusted.events("creditor.contract_ended")
    assert ended[-1]["object"] == entrusted.ids["bank"]
    assert document["trail"]["signed_size"] >= ended[-1]["seq"]
    assert entrusted.events("debtor.viewed")  # the trail keeps the events of its debtors
    assert verify(certificate, certificate["public_key"].encode())
    forged = {**certificate, "document": {**document, "destroyed": {**document["destroyed"]}}}
    forged["document"]["destroyed"]["debtors"] = 1
    assert not verify(forged, certificate["public_key"].encode())
    checked_as_documented(certificate, tmp_path)
    again = entrusted.call(
        "GET", f"/api/v1/creditors/{entrusted.ids['bank']}/certificate", "auditor"
    )
    assert again[1] == certificate
    status, body = entrusted.call("POST", end, "gm", json={"name": BANK})
    assert (status, body["error"]["code"]) == (409, "creditor.ended")


def digests_of(floor: Floor, debtor_ids: set[str]) -> list[bytes]:
    """Every digest the database holds of these debtors' numbers (their lookups, and the
    calls, permits and blocks of theirs): the copy an attacker would take."""
    tables = (DebtorLookup.digest, Call.number_digest, ContactPermit.number_digest)
    with floor.agency.services.sessions() as db:
        return [
            digest
            for column in (*tables, ContactBlock.number_digest)
            for digest in db.scalars(select(column).where(column.table.c.debtor_id.in_(debtor_ids)))
            if digest is not None
        ]


def block_digest(vault: Vault) -> bytes:
    """The digest a do-not-call block of the emergency contact keeps: under the keys file's
    lookup key, which no contract's end destroys (the person stays blocked, R-CON-4)."""
    return vault.digest("phone", lookup_form("phone", CONTACT_PHONE))


def guessed(vault: Vault) -> set[bytes]:
    """The digests of the bank's debtors' phone and identity numbers under every lookup key
    `vault` holds: what someone who knows (or tries) the numbers computes."""
    numbers = [("phone", case.phone) for case in CASES] + [("phone", CONTACT_PHONE)]
    numbers += [("id_number", case.id_number) for case in CASES]
    return {d for kind, number in numbers for d in vault.digests(kind, number)}


def test_a_dump_made_before_the_end_matches_no_number_of_its_debtors_with_the_keys_left(
    entrusted: Floor, settings: Settings
) -> None:
    """Issue 18 item 4: lookup digests are a creditor's too. Its debtors' phone and identity
    numbers are a small space; with the keys that remain after its end, no number tried
    matches a digest of its debtors in a copy of the database made before, but for the
    do-not-call block, kept on purpose and counted in the certificate (R-CON-4)."""
    status, body = entrusted.call(
        "POST",
        f"/api/v1/debtors/{entrusted.debtors['C-002']}/contact-check",
        "col.a1",
        json={"party": "debtor", "phone": CASES[1].phone},
    )
    assert (status, body["allowed"]) == (200, True)  # a permit on C-002's phone
    call = reported_call(entrusted, "C-001", party="contact:1", number=CONTACT_PHONE)
    asked = {"party": "contact:1", "call_id": call, "purpose": "locate_debtor"}
    status, body = note(entrusted, "col.a1", "C-001", **asked, flags=["do_not_call"])
    assert status == 201, body  # a block on C-001's emergency contact's number
    ids = {row.id for row in rows(entrusted) if row.client == BANK}
    dump = digests_of(entrusted, ids)  # the dump made before the shredding
    assert len(dump) >= 2 * len(CASES) + 3  # lookups, a permit, a call, a block
    assert set(dump) <= guessed(load_vault(settings.data_keys_file))  # the keys then match

    end = f"/api/v1/creditors/{entrusted.ids['bank']}/end"
    assert entrusted.call("POST", end, "gm", json={"name": BANK})[0] == 200
    remaining = load_vault(settings.data_keys_file)
    assert guessed(remaining) & set(dump) == {block_digest(remaining)}
    certificate = entrusted.call("GET", f"{end.removesuffix('/end')}/certificate", "gm")[1]
    assert certificate["document"]["not_destroyed"]["blocks_kept"] == 1
    assert entrusted.view("col.a1", "L-001")[0] == 200  # the lender's keys remain
    status, found = entrusted.call(
        "POST", "/api/v1/debtors/search", "col.a1", json={"phone": "13600001234"}
    )
    assert [d["id"] for d in found["debtors"]] == [entrusted.debtors["L-001"]]


def test_a_contract_past_its_last_day_is_unreadable_then_ended_by_the_worker(
    entrusted: Floor, clock: FixedClock
) -> None:
    path = f"/api/v1/creditors/{entrusted.ids['lender']}"
    status, _ = entrusted.call("PATCH", path, "gm", json={"contract_end": TODAY.isoformat()})
    assert status == 200
    s = entrusted.agency.services
    with s.sessions() as db:
        assert end_due_contracts(db, s.context(), clock.now()) == []  # its last day runs
    assert entrusted.view("col.a1", "L-001")[0] == 200

    clock.advance(days=1)
    status, body = entrusted.view("col.a1", "L-001")
    assert (status, body["error"]["code"]) == (403, "creditor.contract_ended")
    run_contract_ends(entrusted.agency.app)  # the worker's job
    with s.sessions() as db:
        assert end_due_contracts(db, s.context(), clock.now()) == []  # once
    certificate = entrusted.call("GET", f"{path}/certificate", "gm")[1]
    assert certificate["document"]["creditor"]["id"] == entrusted.ids["lender"]
    assert entrusted.call("GET", path, "gm")[1]["ended_by"] == "system:contract-end"
    assert entrusted.view("col.a1", "C-001")[0] == 200  # the bank's contract runs
    status, body = entrusted.call("PATCH", path, "gm", json={"contract_end": "2030-01-01"})
    assert (status, body["error"]["code"]) == (409, "creditor.ended")


def test_creditors_are_the_general_managers_to_record(entrusted: Floor) -> None:
    status, body = creditor(entrusted, "某信托", date(2027, 1, 1), ["scheduled_call"], "col.a1")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = creditor(entrusted, "某信托", date(2027, 1, 1), ["telepathy"])
    assert (status, body["error"]["code"]) == (400, "creditor.purpose_unknown")
    status, body = creditor(entrusted, "某信托", date(2025, 1, 1), ["scheduled_call"])
    assert (status, body["error"]["code"]) == (400, "creditor.period_reversed")
    status, body = creditor(entrusted, BANK, date(2027, 1, 1), ["scheduled_call"])
    assert (status, body["error"]["code"]) == (409, "creditor.exists")
    listed = entrusted.call("GET", "/api/v1/creditors", "auditor")[1]["creditors"]
    assert [c["name"] for c in listed] == sorted([BANK, LENDER])
    created = entrusted.events("creditor.created")
    assert {e["object"] for e in created} == {entrusted.ids["bank"], entrusted.ids["lender"]}


def checked_as_documented(certificate: dict[str, Any], folder: Path) -> None:
    """The certificate verifies as docs/governance.md says: with `cryptography` alone, and
    with `govern creditors verify`; a changed count does not."""
    statement = json.dumps(
        certificate["document"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    public = load_pem_public_key(certificate["public_key"].encode())
    signature = bytes.fromhex(certificate["signature"])
    public.verify(signature, b"govern signed document v1\n" + statement)  # type: ignore[union-attr]
    with pytest.raises(InvalidSignature):
        public.verify(signature, statement)  # type: ignore[union-attr]
    key = folder / "audit_public.pem"
    key.write_text(certificate["public_key"])
    good, changed = folder / "certificate.json", folder / "changed.json"
    good.write_text(json.dumps(certificate, ensure_ascii=False))
    altered = json.loads(good.read_text())
    altered["document"]["destroyed"]["debtors"] -= 1
    changed.write_text(json.dumps(altered, ensure_ascii=False))
    runner = CliRunner()
    answer = runner.invoke(creditors, ["verify", str(good), "--public-key", str(key)])
    assert answer.exit_code == 0 and "verifies" in answer.output, answer.output
    answer = runner.invoke(creditors, ["verify", str(changed), "--public-key", str(key)])
    assert answer.exit_code == 1 and "does not verify" in answer.output
    forger = Ed25519PrivateKey.generate()  # signs the changed count, and hands its own key
    forged = folder / "forged.json"
    signed = json.dumps(
        altered["document"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    altered["signature"] = forger.sign(b"govern signed document v1\n" + signed).hex()
    altered["public_key"] = (
        forger.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )
    forged.write_text(json.dumps(altered, ensure_ascii=False))
    answer = runner.invoke(creditors, ["verify", str(forged), "--public-key", str(key)])
    assert answer.exit_code == 1 and "does not verify" in answer.output
    answer = runner.invoke(creditors, ["verify", str(forged)])  # never the file's own key
    assert answer.exit_code == 2 and "--public-key" in answer.output


def test_notes_written_before_the_creditor_was_recorded_are_named_as_not_destroyed(
    floor: Floor,
) -> None:
    assert plain_note(floor, "col.a1", "C-001")[0] == 201  # under the file's current key
    status, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    assert plain_note(floor, "col.a1", "C-001")[0] == 201  # under the bank's own key
    end = f"/api/v1/creditors/{bank['id']}/end"
    status, certificate = floor.call("POST", end, "gm", json={"name": BANK})
    assert status == 200, certificate
    assert certificate["document"]["destroyed"]["notes"] == 1
    assert certificate["document"]["not_destroyed"] == {
        "notes_under_other_keys": 1,
        "debtors_under_other_keys": 0,
        "blocks_kept": 0,
    }
    status, body = floor.call("GET", f"/api/v1/debtors/{floor.debtors['C-001']}/notes", "col.a1")
    assert (status, body["error"]["code"]) == (403, "creditor.contract_ended")


def test_key_rotation_keeps_each_creditors_debtors_under_its_own_keys(
    entrusted: Floor, settings: Settings
) -> None:
    keys_file = settings.data_keys_file
    general = add_key(keys_file)  # `govern keys new`: the file's current key
    bank_next = add_key(keys_file, client=BANK)  # a new key for the bank alone
    bank_lookup = load_vault(keys_file).lookups[BANK]
    s = entrusted.agency.services
    with s.sessions() as db:
        moved = rotate_keys(db, load_vault(keys_file), batch=2)  # `govern keys rotate`
    assert moved == len(CASES)  # the bank's, onto its new key; the lender's stay on its own
    keys = {d.case_no: d.key_id for d in rows(entrusted)}
    assert {keys[case.case_no] for case in CASES} == {bank_next}
    assert keys["L-001"] not in (general, bank_next)
    assert entrusted.view("col.a1", "C-001")[1]["fields"]["name"] == "张三"  # read again

    end = f"/api/v1/creditors/{entrusted.ids['bank']}/end"
    status, certificate = entrusted.call("POST", end, "gm", json={"name": BANK})
    assert status == 200
    first = entrusted.call("GET", f"/api/v1/creditors/{entrusted.ids['bank']}", "gm")[1]
    destroyed = sorted([first["key_id"], bank_next, bank_lookup])
    assert certificate["document"]["destroyed"]["key_ids"] == destroyed
    assert entrusted.view("col.a1", "L-001")[0] == 200


def test_another_instance_learns_of_a_creditors_key_and_of_its_end_from_the_keys_file(
    floor: Floor, settings: Settings, another_app: Callable[[Settings], Flask]
) -> None:
    other = another_app(settings).extensions["govern"]  # started before the creditor existed
    assert creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call"])[0] == 201
    row = {**CASES[0].row(), "case_no": "L-009", "client": LENDER}
    row |= {"phones": "13600009999", "id_number": id_number("11010119800101222")}
    with other.sessions() as db:
        import_debtors(db, other.context(), as_csv([row]), "operator:test")
    lender_key = load_vault(settings.data_keys_file).creditors[LENDER]
    copied = {d.case_no: d for d in rows(floor)}["L-009"]
    assert copied.key_id == lender_key  # sealed under the lender's key, not the current one
    assert other.vault.open(copied.name, f"{copied.id}/name") == CASES[0].name

    lender = floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"][0]["id"]
    end = f"/api/v1/creditors/{lender}/end"
    assert floor.call("POST", end, "gm", json={"name": LENDER})[0] == 200
    with pytest.raises(KeysDestroyed):  # the other instance forgets the key at its next open
        other.vault.open(copied.name, f"{copied.id}/name")
    assert lender_key not in other.vault.keys


def test_another_instance_holds_debtors_to_a_contract_made_or_changed_at_its_next_request(
    floor: Floor, settings: Settings, another_app: Callable[[Settings], Flask], clock: FixedClock
) -> None:
    """The other instance has just read both debtors (and kept that the bank has no contract,
    and the lender's as it stood)."""
    other = another_app(settings)
    elsewhere = Floor(Agency(other, other.test_client()), floor.clock, floor.ids, floor.debtors)
    assert creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call", "dispute"])[0] == 201
    lender_case(floor)
    assert elsewhere.view("col.a1", "L-001")[0] == 200
    assert elsewhere.reveal("col.a1", "C-001", ["phones"], "dispute")[0] == 200

    assert creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])[0] == 201
    status, body = elsewhere.reveal("col.a1", "C-001", ["phones"], "dispute")
    assert (status, body["error"]["code"]) == (403, "creditor.purpose_not_agreed")

    lender = floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"]
    path = f"/api/v1/creditors/{next(c['id'] for c in lender if c['name'] == LENDER)}"
    assert floor.call("PATCH", path, "gm", json={"contract_end": TODAY.isoformat()})[0] == 200
    clock.advance(days=1)
    status, body = elsewhere.view("col.a1", "L-001")
    assert (status, body["error"]["code"]) == (403, "creditor.contract_ended")


def test_a_call_with_a_debtor_is_sealed_under_its_creditors_key_and_destroyed_with_it(
    floor: Floor, settings: Settings, clock: FixedClock
) -> None:
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    services = floor.agency.services
    phone = CASES[0].row()["phones"].split(",")[0].split(";")[0].strip()
    now = clock.now()
    report = CallReport(
        "SYS-1", "057186901001", phone, "inbound", now - timedelta(minutes=5), None, now, None
    )
    with services.sessions() as db:
        call_id = record_call(db, services.context(), report)[0].id
    bank_keys = load_vault(settings.data_keys_file).creditors[BANK]
    path = f"/api/v1/creditors/{bank['id']}/end"
    assert floor.call("POST", path, "gm", json={"name": BANK})[0] == 200
    with services.sessions() as db:
        call = db.get(Call, call_id)
        assert call.debtor_id == floor.debtors["C-001"]
        assert call.key_id == bank_keys  # not the file's current key, which remains
    assert call.key_id not in load_vault(settings.data_keys_file).keys


def test_a_last_day_in_the_past_is_refused_and_ends_nothing(
    floor: Floor, clock: FixedClock
) -> None:
    status, body = creditor(floor, BANK, TODAY - timedelta(days=1), ["scheduled_call"])
    assert (status, body["error"]["code"]) == (400, "creditor.end_passed")
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    path = f"/api/v1/creditors/{bank['id']}"
    status, body = floor.call("PATCH", path, "gm", json={"contract_end": "2026-01-01"})
    assert (status, body["error"]["code"]) == (400, "creditor.end_passed")
    services = floor.agency.services
    with services.sessions() as db:
        assert end_due_contracts(db, services.context(), clock.now()) == []
    assert floor.call("GET", path, "gm")[1]["contract_end"] == "2027-06-30"
    assert floor.call("PATCH", path, "gm", json={"contract_end": TODAY.isoformat()})[0] == 200


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01"])
def test_a_last_day_outside_govern_years_is_refused(floor: Floor, end: str) -> None:
    body = {"name": BANK, "project_groups": ["pg-a1"], "contract_start": "2026-01-01"}
    status, out = floor.call(
        "POST",
        "/api/v1/creditors",
        "gm",
        json=body | {"contract_end": end, "purposes": ["scheduled_call"]},
    )
    assert (status, out["error"]["code"]) == (422, "request.invalid")
    assert floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"] == []


def test_the_end_finishes_a_reseal_left_unfinished_before_destroying(
    floor: Floor, settings: Settings
) -> None:
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    services = floor.agency.services
    vault = load_vault(settings.data_keys_file)
    with services.sessions() as db:  # as a recording cut before its re-seal reached this one
        debtor = db.get(Debtor, floor.debtors["C-001"])
        for name in PERSONAL_FIELDS:
            place = f"{debtor.id}/{name}"
            value = vault.open(getattr(debtor, name), place)
            setattr(debtor, name, vault.seal(value, place, vault.current))
        debtor.key_id = vault.current
        db.commit()
    status, certificate = floor.call(
        "POST", f"/api/v1/creditors/{bank['id']}/end", "gm", json={"name": BANK}
    )
    assert status == 200
    copied = {row.id: row for row in rows(floor)}
    remaining = load_vault(settings.data_keys_file).keys
    assert copied[floor.debtors["C-001"]].key_id not in remaining
    document = certificate["document"]
    assert document["destroyed"]["debtors"] == len(CASES)
    assert document["not_destroyed"]["debtors_under_other_keys"] == 0


def test_the_caseload_pages_past_the_debtors_of_an_ended_contract(floor: Floor) -> None:
    creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    _, lender = creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call"])
    lenders = []
    for i in range(6):
        row = {**CASES[0].row(), "case_no": f"L-{i:03}", "client": LENDER, "name": "钱七"}
        lenders.append(
            row | {"phones": f"1360000{i:04}", "id_number": id_number(f"1101011980010{i:04}")}
        )
    floor.debtors |= import_cases(floor.agency, lenders)
    path = f"/api/v1/creditors/{lender['id']}/end"
    assert floor.call("POST", path, "gm", json={"name": LENDER})[0] == 200
    everyone = floor.call("GET", "/api/v1/debtors", "col.a1", query_string={"assigned": "me"})[1]
    walked, after = [], ""
    while after is not None:  # one debtor a page, as far as next_after leads
        query = {"assigned": "me", "limit": 1, "after": after}
        _, page = floor.call("GET", "/api/v1/debtors", "col.a1", query_string=query)
        walked += [d["id"] for d in page["debtors"]]
        after = page["next_after"]
    assert walked == [d["id"] for d in everyone["debtors"]]
    assert walked and not set(walked) & {floor.debtors[r["case_no"]] for r in lenders}


def test_explain_answers_as_the_door_does_for_a_debtor_of_an_ended_contract(floor: Floor) -> None:
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    query = {"account": floor.ids["col.a1"], "debtor": floor.debtors["C-001"], "field": "name"}
    _, running = floor.call("GET", "/api/v1/access/explain", "padmin", query_string=query)
    assert running["allowed"] is True
    floor.call("POST", f"/api/v1/creditors/{bank['id']}/end", "gm", json={"name": BANK})
    status, ended = floor.call("GET", "/api/v1/access/explain", "padmin", query_string=query)
    assert status == 200
    assert (ended["allowed"], ended["reason"]) == (False, "creditor.contract_ended")
    assert floor.view("col.a1", "C-001")[1]["error"]["code"] == "creditor.contract_ended"


def test_an_early_end_a_crash_cut_short_is_finished_and_fails_no_list(
    floor: Floor, settings: Settings, clock: FixedClock
) -> None:
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    vault = load_vault(settings.data_keys_file)
    bank_keys = sorted([vault.creditors[BANK], vault.lookups[BANK]])
    destroy_keys(settings.data_keys_file, BANK)  # then the process died: nothing in the database
    status, page = floor.call("GET", "/api/v1/debtors", "col.a1", query_string={"assigned": "me"})
    assert (status, page["debtors"]) == (200, [])
    services = floor.agency.services
    with services.sessions() as db:
        issued = end_due_contracts(db, services.context(), clock.now())
    assert [c.creditor_id for c in issued] == [bank["id"]]
    status, certificate = floor.call("GET", f"/api/v1/creditors/{bank['id']}/certificate", "gm")
    assert status == 200
    destroyed = certificate["document"]["destroyed"]
    assert (destroyed["debtors"], destroyed["key_ids"]) == (len(CASES), bank_keys)
    assert certificate["document"]["not_destroyed"]["debtors_under_other_keys"] == 0


def test_a_creditor_with_no_agreed_purpose_is_refused(floor: Floor) -> None:
    status, body = creditor(floor, BANK, date(2027, 6, 30), [])
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"] == []


def test_a_project_group_the_directory_does_not_know_is_refused(floor: Floor) -> None:
    body = {"name": BANK, "project_groups": ["pg-a1", "no-such-group"], "purposes": ["dispute"]}
    body |= {"contract_start": "2026-01-01", "contract_end": "2027-06-30"}
    status, out = floor.call("POST", "/api/v1/creditors", "gm", json=body)
    assert (status, out["error"]["code"]) == (400, "creditor.project_group_unknown")
    assert floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"] == []
