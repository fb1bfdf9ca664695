"""Third parties (R-CON-3, R-CON-4): an emergency contact is never asked to pay, hears the
amount owed only once they offer to pay, and is blocked for good once they ask not to be
contacted."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from govern.contact.models import ContactBlock
from tests.support.agency import bearer
from tests.support.calls import record_call
from tests.support.debtors import Case, id_number
from tests.support.floor import Floor, import_cases
from tests.support.notes import TEXT, note


def parties(floor: Floor, who: str, case: str) -> dict[str, dict[str, Any]]:
    status, body = floor.call("GET", f"/api/v1/debtors/{floor.debtors[case]}/parties", who)
    assert status == 200, body
    return {party["party"]: party for party in body["parties"]}


def contact_note(floor: Floor, **body: Any) -> tuple[int, Any]:
    call = record_call(floor, "C-001", party="contact:1", number="13700002222")
    return note(floor, "col.a1", "C-001", party="contact:1", call_id=call, **body)


def test_r_con_3_an_emergency_contact_is_never_asked_to_pay(floor: Floor) -> None:
    for purpose in ("demand_payment", "remind_due", None):
        status, answer = contact_note(floor, purpose=purpose)
        assert (status, answer["error"]["code"]) == (400, "note.third_party_purpose"), purpose
        assert "R-CON-3" in answer["error"]["message"]
    for purpose in ("locate_debtor", "pass_message"):
        status, answer = contact_note(floor, purpose=purpose)
        assert (status, answer["party"], answer["purpose"]) == (201, "contact:1", purpose)


def test_r_con_3_only_a_third_party_offers_to_pay(floor: Floor) -> None:
    call = record_call(floor, "C-001")
    status, answer = note(floor, "col.a1", "C-001", call_id=call, purpose="offers_to_pay")
    assert (status, answer["error"]["code"]) == (400, "note.purpose_party")


def test_r_con_3_the_amount_owed_reaches_a_third_party_call_only_after_their_offer_to_pay(
    floor: Floor,
) -> None:
    before = parties(floor, "col.a1", "C-001")
    assert before["debtor"]["amount_owed"] == "12800.50"
    assert before["contact:1"]["relation"] == "朋友"
    assert before["contact:1"]["amount_owed"] is None
    assert before["contact:1"]["withheld"] == {"amount_owed": "third_party.no_offer_to_pay"}
    assert "13700002222" not in str(before) and "李雷" not in str(before)

    assert contact_note(floor, purpose="offers_to_pay")[0] == 201
    after = parties(floor, "col.a1", "C-001")
    assert (after["contact:1"]["amount_owed"], after["contact:1"]["withheld"]) == ("12800.50", {})
    seen = floor.events("parties.viewed")[-1]
    assert seen["details"]["amount_owed_shown_for"] == ["debtor", "contact:1"]


def test_r_con_3_a_corrected_offer_to_pay_no_longer_shows_the_amount_owed(floor: Floor) -> None:
    status, offer = contact_note(floor, purpose="offers_to_pay")
    assert status == 201, offer
    correction = {"party": "contact:1", "call_id": offer["call_id"], "corrects": offer["id"]}
    status, body = note(floor, "col.a1", "C-001", purpose="pass_message", **correction)
    assert status == 201, body
    contact = parties(floor, "col.a1", "C-001")["contact:1"]
    assert (contact["amount_owed"], contact["withheld"]) == (
        None,
        {"amount_owed": "third_party.no_offer_to_pay"},
    )
    status, body = note(floor, "col.a1", "C-001", purpose="offers_to_pay", **correction)
    assert status == 201, body  # the offer is recorded again: the newest note stands
    assert parties(floor, "col.a1", "C-001")["contact:1"]["amount_owed"] == "12800.50"


def test_r_con_3_the_parties_are_only_for_those_who_reach_the_debtor(floor: Floor) -> None:
    status, body = floor.call("GET", f"/api/v1/debtors/{floor.debtors['C-001']}/parties", "col.b1")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")


def test_r_con_4_a_third_party_who_asks_not_to_be_contacted_is_blocked_for_good(
    floor: Floor,
) -> None:
    assert parties(floor, "col.a1", "C-001")["contact:1"]["blocked"] is False
    status, answer = contact_note(floor, purpose="locate_debtor", flags=["do_not_call"])
    assert (status, answer["flags"]) == (201, ["do_not_call"])
    assert parties(floor, "col.a1", "C-001")["contact:1"]["blocked"] is True
    assert parties(floor, "col.a1", "C-001")["debtor"]["blocked"] is False
    blocked = floor.events("contact.blocked")[-1]
    assert (blocked["object"], blocked["details"]["party"], blocked["details"]["note"]) == (
        floor.debtors["C-001"],
        "contact:1",
        answer["id"],
    )
    # asked again: still one block, the note records it all the same
    assert contact_note(floor, purpose="pass_message", flags=["do_not_call"])[0] == 201
    with floor.agency.services.sessions() as db:
        rows = db.scalars(select(ContactBlock)).all()
    assert [(b.party, b.note_id, b.blocked_by) for b in rows] == [
        ("contact:1", answer["id"], floor.ids["col.a1"])
    ]


def test_r_con_4_a_blocked_contact_stays_blocked_wherever_their_number_is_listed(
    floor: Floor,
) -> None:
    """The block follows the person's number, not the contact's place in one debtor's list:
    李雷 (C-001's contact:1) is C-012's second contact and C-013's own phone."""
    cases = [
        Case(
            "C-012",
            "吴十",
            "13644445555",
            id_number("33010619910808123"),
            "pg-a1",
            emergency_contacts="郑一|父亲|13655556666;李雷|同事|13700002222",
        ),
        Case("C-013", "李雷", "13700002222", id_number("33010619920909123"), "pg-a1"),
    ]
    floor.debtors = import_cases(floor.agency, [case.row() for case in cases])
    assert contact_note(floor, purpose="locate_debtor", flags=["do_not_call"])[0] == 201
    floor.clock.advance(minutes=10)
    for case, party in (("C-012", "contact:2"), ("C-013", "debtor")):
        path = f"/api/v1/debtors/{floor.debtors[case]}/contact-check"
        asked = {"party": party, "phone": "13700002222"}
        status, body = floor.call("POST", path, "col.a1", json=asked)
        assert (status, body["allowed"], body["reason"]) == (200, False, "contact.do_not_call")
    path = f"/api/v1/debtors/{floor.debtors['C-012']}/contact-check"
    asked = {"party": "contact:1", "phone": "13655556666"}
    assert floor.call("POST", path, "col.a1", json=asked)[1]["allowed"] is True


def test_r_con_4_only_a_conversation_records_a_do_not_call_and_never_for_the_debtor(
    floor: Floor,
) -> None:
    status, answer = contact_note(
        floor, purpose="locate_debtor", outcome="no_answer", flags=["do_not_call"]
    )
    assert (status, answer["error"]["code"]) == (400, "note.flag_needs_conversation")
    call = record_call(floor, "C-001")
    status, answer = note(floor, "col.a1", "C-001", call_id=call, flags=["do_not_call"])
    assert (status, answer["error"]["code"]) == (400, "note.do_not_call_debtor")
    with floor.agency.services.sessions() as db:
        assert db.scalars(select(ContactBlock)).all() == []


def test_r_con_4_notes_blocking_one_party_at_once_make_one_block(floor: Floor) -> None:
    tokens = {who: floor.agency.login(who) for who in ("col.a1", "sup.a1")}
    path = f"/api/v1/debtors/{floor.debtors['C-001']}/notes"
    sent = {
        "party": "contact:1",
        "direction": "none",
        "outcome": "none",
        "purpose": "pass_message",
        "flags": ["do_not_call"],
        "text": TEXT,
    }
    racing = list(tokens) * 4
    barrier, answers = threading.Barrier(len(racing)), []

    def add(who: str) -> None:
        client = floor.agency.app.test_client()
        barrier.wait()
        response = client.post(path, json=sent, headers=bearer(tokens[who]))
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=add, args=(who,)) for who in racing]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [201] * len(racing), answers
    assert parties(floor, "col.a1", "C-001")["contact:1"]["blocked"] is True
    assert len(floor.events("contact.blocked")) == 1
