"""Complaint cases (R-CON-5) of the debtors of a creditor whose contract has ended (its keys
destroyed) stay listed and reportable to the client: ids, dates and state, no personal value,
though their debtors' data can no longer be opened."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.creditors.test_contract_end import BANK, creditor
from tests.notes.test_complaint_pages import opened, post
from tests.notes.test_complaints import cases, complain, resume
from tests.support.debtors import CASES
from tests.support.floor import Floor


@pytest.fixture
def ended(floor: Floor) -> tuple[Floor, str]:
    """The floor with the complaint desk, a complaint case on C-001, then the bank's
    contract ended: C-001's data destroyed."""
    floor.ids["desk"] = floor.agency.issue("desk", "gm")
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    complain(floor)
    [case] = cases(floor, "desk")
    path = f"/api/v1/creditors/{bank['id']}/end"
    assert floor.call("POST", path, "gm", json={"name": BANK})[0] == 200
    assert floor.view("col.a1", "C-001")[1]["error"]["code"] == "creditor.contract_ended"
    return floor, case["id"]


def test_r_con_5_an_ended_creditors_complaint_cases_stay_listed_without_personal_values(
    ended: tuple[Floor, str],
) -> None:
    floor, case_id = ended
    for who in ("desk", "sup.a1"):
        for query in ({}, {"report": "true"}):
            [case] = cases(floor, who, **query)
            assert (case["id"], case["debtor_id"], case["state"]) == (
                case_id,
                floor.debtors["C-001"],
                "open",
            )
            assert datetime.fromisoformat(case["opened_at"]) <= floor.clock.now()
    for path in ("/complaints", "/complaints?report=1"):
        _, status, html = opened(floor, "desk", path)
        assert status == 200 and case_id in html
        assert CASES[0].name not in html and CASES[0].phone not in html


def test_r_con_5_an_ended_creditors_complaint_case_is_marked_reported(
    ended: tuple[Floor, str],
) -> None:
    floor, case_id = ended
    status, body = resume(floor, "desk", case_id)  # no collection left to resume
    assert (status, body["error"]["code"]) == (403, "creditor.contract_ended")
    status, body = floor.call("POST", f"/api/v1/complaints/{case_id}/reported", "desk")
    assert (status, body["id"]) == (200, case_id)
    assert datetime.fromisoformat(body["reported_at"]) == floor.clock.now()
    assert cases(floor, "desk", report="true") == []
    assert floor.events("complaint.reported")[-1]["details"]["case"] == case_id
    status, body = floor.call("POST", f"/api/v1/complaints/{case_id}/reported", "desk")
    assert (status, body["error"]["code"]) == (409, "complaint.reported")


def test_r_con_5_an_ended_creditors_case_is_reported_from_the_page(
    ended: tuple[Floor, str],
) -> None:
    floor, case_id = ended
    client, _, html = opened(floor, "desk", "/complaints?report=1")
    status, _ = post(client, f"/complaints/{case_id}/reported", html)
    assert status == 302 and cases(floor, "desk", report="true") == []
