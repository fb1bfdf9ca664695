"""The contact check before dialling, through HTTP with the injected clock (R-CON-1, R-CON-2,
R-CON-4, R-CON-5): the company profile's answers, the permits an allow takes, who may ask, and
check-and-count as one under collectors racing for the last call of the day."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.agency import bearer
from tests.support.clock import SHANGHAI
from tests.support.contact import (
    block,
    calls_of,
    name_call,
    open_complaint,
    permits,
    record_call,
    resume,
)
from tests.support.debtors import Case, id_number
from tests.support.floor import Floor, import_cases

PHONE = "13812345678"  # C-001's own number
CONTACT_PHONE = "13700002222"  # C-001's first emergency contact's


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in the company's time zone."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def check(
    floor: Floor,
    who: str = "col.a1",
    party: str = "debtor",
    phone: str = PHONE,
    case: str = "C-001",
) -> tuple[int, Any]:
    path = f"/api/v1/debtors/{floor.debtors[case]}/contact-check"
    return floor.call("POST", path, who, json={"party": party, "phone": phone})


def verdict(body: dict[str, Any]) -> tuple[bool, str | None, str | None]:
    return body["allowed"], body["reason"], body["rule"]


def shanghai(instant: str | None) -> datetime | None:
    return None if instant is None else datetime.fromisoformat(instant).astimezone(SHANGHAI)


# ---- R-CON-1: quiet hours ------------------------------------------------------------------


def test_r_con_1_a_call_at_21_59_is_allowed_and_at_22_00_denied_until_08_00(floor: Floor) -> None:
    floor.clock.set(at(27, 21, 59))
    status, body = check(floor)
    assert (status, verdict(body)) == (200, (True, None, None))
    floor.clock.set(at(27, 22, 0))
    status, body = check(floor)
    assert (status, verdict(body)) == (200, (False, "contact.quiet_hours", "R-CON-1"))
    assert shanghai(body["earliest"]) == at(28, 8, 0)
    assert body["permit"] is None


def test_r_con_1_a_call_at_07_59_is_denied_and_at_08_00_allowed(floor: Floor) -> None:
    floor.clock.set(at(28, 7, 59))
    status, body = check(floor)
    assert verdict(body) == (False, "contact.quiet_hours", "R-CON-1")
    assert shanghai(body["earliest"]) == at(28, 8, 0)
    floor.clock.set(at(28, 8, 0))
    status, body = check(floor)
    assert (status, verdict(body)) == (200, (True, None, None))


def test_r_con_1_quiet_hours_bind_a_supervisor_too(floor: Floor) -> None:
    floor.clock.set(at(28, 23, 30))
    assert verdict(check(floor, "sup.a1")[1]) == (False, "contact.quiet_hours", "R-CON-1")


# ---- R-CON-2: daily caps ---------------------------------------------------------------------


def test_r_con_2_fourth_outbound_after_connect_denied_inbound_calls_not_counted(
    floor: Floor,
) -> None:
    s = floor.agency.services
    record_call(s, PHONE, at(28, 9, 0), connected=True)
    for minute in (5, 20, 40):  # the debtor calls back three times: recorded, never counted
        record_call(s, PHONE, at(28, 9, minute), outbound=False, connected=True)
    floor.clock.set(at(28, 10, 0))
    assert verdict(check(floor)[1]) == (True, None, None)  # the 2nd outbound call
    assert verdict(check(floor, "col.a1")[1]) == (True, None, None)  # the 3rd
    status, body = check(floor)  # the 4th
    assert (status, verdict(body)) == (200, (False, "contact.daily_cap_connected", "R-CON-2"))
    assert shanghai(body["earliest"]) == at(29, 8, 0)
    assert calls_of(s, PHONE, outbound=False) == 3
    assert permits(s, floor.debtors["C-001"]) == 2


def test_r_con_2_after_a_connected_call_and_two_more_the_fourth_is_denied(floor: Floor) -> None:
    s = floor.agency.services
    record_call(s, PHONE, at(28, 8, 30))
    record_call(s, PHONE, at(28, 9, 0), connected=True)
    record_call(s, PHONE, at(28, 9, 30))
    record_call(s, PHONE, at(28, 9, 45), outbound=False)
    floor.clock.set(at(28, 10, 0))
    assert verdict(check(floor)[1]) == (False, "contact.daily_cap_connected", "R-CON-2")


def test_r_con_2_five_unanswered_then_the_sixth_denied(floor: Floor) -> None:
    s = floor.agency.services
    for minute in range(0, 50, 10):
        record_call(s, PHONE, at(28, 9, minute))
    floor.clock.set(at(28, 10, 0))
    status, body = check(floor)
    assert (status, verdict(body)) == (200, (False, "contact.daily_cap_unanswered", "R-CON-2"))
    assert shanghai(body["earliest"]) == at(29, 8, 0)
    floor.clock.set(at(29, 8, 0))  # a new company day
    assert verdict(check(floor)[1]) == (True, None, None)


def test_r_con_2_an_allow_no_call_took_counts_for_the_rest_of_its_day(floor: Floor) -> None:
    """The telephone system reports a call only when it ends: a permit past its expiry may
    still stand for a call under way, so it counts until the company day ends."""
    floor.clock.set(at(28, 10, 0))
    for _ in range(5):
        body = check(floor)[1]
        assert body["allowed"] and body["permit"]["id"].startswith("CP-")
        assert datetime.fromisoformat(body["permit"]["expires_at"]) == at(28, 10, 15)
    assert verdict(check(floor)[1]) == (False, "contact.daily_cap_unanswered", "R-CON-2")
    for later in (at(28, 10, 15), at(28, 21, 59)):  # expired, and no call reported yet
        floor.clock.set(later)
        status, body = check(floor)
        assert (status, verdict(body)) == (200, (False, "contact.daily_cap_unanswered", "R-CON-2"))
        assert shanghai(body["earliest"]) == at(29, 8, 0)
    floor.clock.set(at(29, 8, 0))  # a new company day
    assert verdict(check(floor)[1]) == (True, None, None)


def test_r_con_2_counts_per_party_over_all_of_its_numbers(floor: Floor) -> None:
    s = floor.agency.services
    for minute in range(0, 50, 10):
        record_call(s, PHONE, at(28, 9, minute))
    floor.clock.set(at(28, 10, 0))
    status, body = check(floor, party="contact:1", phone=CONTACT_PHONE)
    assert (status, verdict(body)) == (200, (True, None, None))  # another person
    assert check(floor, phone="138-1234-5678")[1]["reason"] == "contact.daily_cap_unanswered"


LANDLINE = "0571-88886666"  # C-009's home line, their spouse's too


def shared_line(floor: Floor) -> dict[str, str]:
    """C-009, whose own home line is also their spouse's (contact:1); the spouse's check."""
    case = Case(
        "C-009",
        "钱七",
        f"13611112222;{LANDLINE}",
        id_number("33010619880606123"),
        "pg-a1",
        emergency_contacts=f"孙芳|配偶|{LANDLINE}",
    )
    floor.debtors = import_cases(floor.agency, [case.row()])
    return {"party": "contact:1", "phone": LANDLINE, "case": "C-009"}


def test_r_con_2_a_shared_number_counts_for_everyone_it_reaches(floor: Floor) -> None:
    spouse = shared_line(floor)
    floor.clock.set(at(28, 10, 0))
    for _ in range(5):  # five permits naming the debtor, on the shared line
        assert verdict(check(floor, phone=LANDLINE, case="C-009")[1]) == (True, None, None)
    status, body = check(floor, **spouse)  # whoever answers has been rung five times
    assert (status, verdict(body)) == (200, (False, "contact.daily_cap_unanswered", "R-CON-2"))
    mobile = check(floor, phone="13611112222", case="C-009")[1]  # the debtor's other number
    assert mobile["reason"] == "contact.daily_cap_unanswered"


def test_r_con_2_calls_naming_one_party_count_for_another_on_the_same_number(
    floor: Floor,
) -> None:
    spouse = shared_line(floor)
    s = floor.agency.services
    for minute in range(0, 50, 10):
        call_id = record_call(s, LANDLINE, at(28, 9, minute))
        name_call(s, call_id, floor.debtors["C-009"], "debtor")
    floor.clock.set(at(28, 10, 0))
    assert check(floor, **spouse)[1]["reason"] == "contact.daily_cap_unanswered"


# ---- R-CON-4: do not call --------------------------------------------------------------------


def test_r_con_4_a_third_party_who_asked_not_to_be_called_is_denied_forever(
    floor: Floor,
) -> None:
    s = floor.agency.services
    block(s, floor.debtors["C-001"], "contact:1", at(28, 9, 0))
    floor.clock.set(at(28, 10, 0))
    status, body = check(floor, party="contact:1", phone=CONTACT_PHONE)
    assert (status, verdict(body)) == (200, (False, "contact.do_not_call", "R-CON-4"))
    assert body["earliest"] is None
    floor.clock.advance(days=400)
    assert check(floor, "sup.a1", "contact:1", CONTACT_PHONE)[1]["reason"] == "contact.do_not_call"
    assert verdict(check(floor)[1]) == (True, None, None)  # the debtor is not blocked


# ---- R-CON-5: complaint stop -----------------------------------------------------------------


def test_r_con_5_a_complaint_stop_denies_a_collector_but_not_a_supervisor(floor: Floor) -> None:
    s = floor.agency.services
    case = open_complaint(s, floor.debtors["C-001"], at(28, 9, 0))
    floor.clock.set(at(28, 10, 0))
    status, body = check(floor, "col.a1")
    assert (status, verdict(body)) == (200, (False, "contact.complaint_stop", "R-CON-5"))
    assert body["earliest"] is None
    assert check(floor, "col.a1", "contact:1", CONTACT_PHONE)[1]["reason"] == (
        "contact.complaint_stop"
    )
    assert verdict(check(floor, "sup.a1")[1]) == (True, None, None)
    assert verdict(check(floor, "col.a1", case="C-002", phone="13987654321")[1])[0]
    resume(s, case, at(28, 11, 0))
    floor.clock.set(at(28, 11, 0))
    assert verdict(check(floor, "col.a1")[1]) == (True, None, None)


# ---- who may ask, and bad questions ----------------------------------------------------------


def test_only_who_reaches_the_debtor_may_ask(floor: Floor) -> None:
    status, body = check(floor, "col.b1")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    denial = floor.events("access.denied")[-1]
    assert (denial["object"], denial["details"]["code"]) == (
        floor.debtors["C-001"],
        "debtor.not_assigned",
    )
    status, body = check(floor, "auditor")
    assert (status, body["error"]["code"]) == (403, "audit.investigation_required")


def test_who_may_not_see_the_partys_numbers_may_not_ask(floor: Floor) -> None:
    status, body = check(floor, "intern.a")  # in training: phones withheld
    assert status == 403 and body["error"]["code"].startswith("training.")
    assert body["error"]["code"].endswith(".missing")


@pytest.mark.parametrize(
    ("debtor", "party", "phone", "status", "code"),
    [
        ("DB-0000-0000", "debtor", PHONE, 404, "debtor.unknown"),
        ("not-a-debtor", "debtor", PHONE, 400, "debtor.id_malformed"),
        (None, "contact:2", CONTACT_PHONE, 404, "contact.party_unknown"),
        (None, "contact:0", CONTACT_PHONE, 400, "contact.party_malformed"),
        (None, "boss", PHONE, 400, "contact.party_malformed"),
        (None, "contact:1", PHONE, 400, "contact.not_party_number"),
        (None, "debtor", CONTACT_PHONE, 400, "contact.not_party_number"),
        (None, "debtor", "13987654321", 400, "contact.not_party_number"),
    ],
)
def test_a_question_about_no_such_debtor_party_or_number_changes_nothing(
    floor: Floor, debtor: str | None, party: str, phone: str, status: int, code: str
) -> None:
    path = f"/api/v1/debtors/{debtor or floor.debtors['C-001']}/contact-check"
    answer = floor.call("POST", path, "col.a1", json={"party": party, "phone": phone})
    assert (answer[0], answer[1]["error"]["code"]) == (status, code)
    assert permits(floor.agency.services, floor.debtors["C-001"]) == 0
    assert floor.events("contact.checked") == []


@pytest.mark.parametrize(
    "body",
    [{}, {"party": "debtor"}, {"phone": PHONE}, {"party": "debtor", "phone": 13812345678}],
)
def test_a_malformed_body_is_refused(floor: Floor, body: dict[str, Any]) -> None:
    path = f"/api/v1/debtors/{floor.debtors['C-001']}/contact-check"
    status, answer = floor.call("POST", path, "col.a1", json=body)
    assert (status, answer["error"]["code"]) == (422, "request.invalid")
    assert permits(floor.agency.services, floor.debtors["C-001"]) == 0


def test_every_check_is_audited_with_its_verdict_and_never_the_number(floor: Floor) -> None:
    floor.clock.set(at(28, 10, 0))
    allowed = check(floor)[1]
    floor.clock.set(at(28, 23, 0))
    check(floor, party="contact:1", phone=CONTACT_PHONE)
    first, second = floor.events("contact.checked")
    assert (first["actor"], first["object"]) == (floor.ids["col.a1"], floor.debtors["C-001"])
    assert first["details"] | {"permit": None} == {
        "party": "debtor",
        "allowed": True,
        "reason": None,
        "rule": None,
        "profile": "company",
        "permit": None,
    }
    assert first["details"]["permit"] == allowed["permit"]["id"]
    assert (second["details"]["party"], second["details"]["reason"]) == (
        "contact:1",
        "contact.quiet_hours",
    )
    trail = str([first, second])
    assert PHONE not in trail and CONTACT_PHONE not in trail and "李雷" not in trail


# ---- a wrong number is a denial, and guessing stops ------------------------------------------

GUESSES = ("13800000001", "13800000002", "13800000003")
NOT_THEIRS = "contact.not_party_number"


def test_r_aud_1_each_wrong_number_is_a_durable_denial_without_the_number(floor: Floor) -> None:
    floor.clock.set(at(28, 10, 0))
    for party, guess in (("debtor", GUESSES[0]), ("contact:1", PHONE)):
        status, body = check(floor, party=party, phone=guess)
        assert (status, body["error"]["code"]) == (400, "contact.not_party_number")
    denials = floor.events("access.denied")
    assert [(d["actor"], d["object"], d["details"]) for d in denials] == [
        (floor.ids["col.a1"], floor.debtors["C-001"], {"code": NOT_THEIRS, "party": party})
        for party in ("debtor", "contact:1")
    ]
    assert GUESSES[0] not in str(denials) and PHONE not in str(denials)


def test_r_acs_3_three_wrong_numbers_a_day_stop_every_number_of_the_debtor(floor: Floor) -> None:
    """R-ACS-3: who sees a phone masked cannot learn it by guessing through the check."""
    floor.clock.set(at(28, 10, 0))
    for guess in GUESSES:
        assert check(floor, phone=guess)[0] == 400
    for party, phone in (("debtor", PHONE), ("contact:1", CONTACT_PHONE), ("debtor", "139")):
        status, body = check(floor, party=party, phone=phone)  # right or wrong: one answer
        assert (status, body["error"]["code"]) == (429, "contact.too_many_wrong_numbers")
    assert floor.events("access.denied")[-1]["details"] == {
        "code": "contact.too_many_wrong_numbers",
        "party": "debtor",
    }
    assert permits(floor.agency.services, floor.debtors["C-001"]) == 0
    assert verdict(check(floor, "sup.a1")[1]) == (True, None, None)  # another account
    assert verdict(check(floor, case="C-002", phone="13987654321")[1]) == (True, None, None)
    floor.clock.set(at(29, 0, 0))  # the next company day
    assert check(floor, phone=PHONE)[0] == 200


# ---- check and count are one ------------------------------------------------------------------


def race(
    floor: Floor, who: list[str], party: str = "debtor", phone: str = PHONE, case: str = "C-001"
) -> list[Any]:
    """Everyone in `who` asks at the same moment, each from their own thread."""
    return race_on(floor, [(name, case, party, phone) for name in who])


def race_on(floor: Floor, asks: list[tuple[str, str, str, str]]) -> list[Any]:
    """Each (who, case, party, phone) asked at the same moment, each from its own thread."""
    tokens = {name: floor.agency.login(name) for name in {ask[0] for ask in asks}}
    barrier, answers = threading.Barrier(len(asks)), []

    def ask(name: str, case: str, party: str, phone: str) -> None:
        client = floor.agency.app.test_client()
        path = f"/api/v1/debtors/{floor.debtors[case]}/contact-check"
        barrier.wait()
        response = client.post(
            path, json={"party": party, "phone": phone}, headers=bearer(tokens[name])
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=ask, args=asked) for asked in asks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(status == 200 for status, _ in answers), answers
    return [body for _, body in answers]


def test_r_con_2_collectors_racing_for_the_last_call_after_a_connect_get_one_allow(
    floor: Floor,
) -> None:
    s = floor.agency.services
    record_call(s, PHONE, at(28, 9, 0), connected=True)
    record_call(s, PHONE, at(28, 9, 30))
    floor.clock.set(at(28, 10, 0))
    answers = race(floor, ["col.a1", "sup.a1"] * 6)
    assert sum(body["allowed"] for body in answers) == 1
    assert {body["reason"] for body in answers if not body["allowed"]} == {
        "contact.daily_cap_connected"
    }
    assert permits(s, floor.debtors["C-001"]) == 1


def test_r_con_2_collectors_racing_on_an_unanswered_day_get_five_allows(floor: Floor) -> None:
    floor.clock.set(at(28, 10, 0))
    answers = race(floor, ["col.a1", "sup.a1"] * 8)
    assert sum(body["allowed"] for body in answers) == 5
    assert permits(floor.agency.services, floor.debtors["C-001"]) == 5
    assert len(floor.events("contact.checked")) == 16


def test_the_permit_lasts_as_configured(floor: Floor) -> None:
    minutes = floor.agency.services.settings.contact_permit_minutes
    assert minutes == 15
    floor.clock.set(at(28, 10, 0))
    body = check(floor)[1]
    assert datetime.fromisoformat(body["permit"]["expires_at"]) - at(28, 10, 0) == timedelta(
        minutes=minutes
    )


def test_r_con_2_checks_of_two_debtors_sharing_a_number_racing_get_five_allows(
    floor: Floor,
) -> None:
    """The number is locked as well as each debtor: C-001's own phone is C-010's contact's."""
    case = Case(
        "C-010",
        "周八",
        "13622223333",
        id_number("33010619900707123"),
        "pg-a1",
        emergency_contacts=f"周九|兄弟|{PHONE}",
    )
    floor.debtors = import_cases(floor.agency, [case.row()])
    floor.clock.set(at(28, 10, 0))
    asks = [("col.a1", "C-001", "debtor", PHONE), ("sup.a1", "C-010", "contact:1", PHONE)] * 8
    answers = race_on(floor, asks)
    assert sum(body["allowed"] for body in answers) == 5
    s = floor.agency.services
    assert permits(s, floor.debtors["C-001"]) + permits(s, floor.debtors["C-010"]) == 5
