"""Complaints (R-CON-5): a complaint or a sign of one stops collection on the debtor at once
(the caseload and the record show it), opens a case with a deadline for supervisors and the
complaint desk, is listed for the report to the client, and only they resume collection, with
a reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.support.calls import record_call
from tests.support.floor import Floor
from tests.support.notes import note, plain_note

REASON = "客户诉求已处理完毕，经主管核实后恢复正常催收"


@pytest.fixture
def desk(floor: Floor) -> Floor:
    """The floor with the complaint desk's account."""
    floor.ids["desk"] = floor.agency.issue("desk", "gm")
    return floor


def complain(floor: Floor, case: str = "C-001", flag: str = "complaint") -> dict[str, Any]:
    call = record_call(floor, case)
    status, body = note(floor, "col.a1", case, call_id=call, flags=[flag])
    assert status == 201, body
    return body


def caseload(floor: Floor, who: str) -> dict[str, bool]:
    status, body = floor.call("GET", "/api/v1/debtors", who, query_string={"assigned": "me"})
    assert status == 200, body
    return {debtor["id"]: debtor["stopped"] for debtor in body["debtors"]}


def cases(floor: Floor, who: str, **query: str) -> list[dict[str, Any]]:
    status, body = floor.call("GET", "/api/v1/complaints", who, query_string=query)
    assert status == 200, body
    return body["cases"]


def resume(floor: Floor, who: str, case_id: str, reason: str = REASON) -> tuple[int, Any]:
    path = f"/api/v1/complaints/{case_id}/resume"
    return floor.call("POST", path, who, json={"reason": reason})


@pytest.mark.parametrize(
    ("flag", "kind"), [("complaint", "complaint"), ("complaint_tendency", "tendency")]
)
def test_r_con_5_a_complaint_stops_collection_at_once_and_opens_a_case_with_a_deadline(
    desk: Floor, flag: str, kind: str
) -> None:
    assert set(caseload(desk, "col.a1").values()) == {False}
    made = complain(desk, flag=flag)
    stopped = caseload(desk, "col.a1")
    assert stopped == {desk.debtors["C-001"]: True, desk.debtors["C-002"]: False}
    assert desk.view("col.a1", "C-001")[1]["stopped"] is True

    [case] = cases(desk, "desk")
    assert (case["debtor_id"], case["kind"], case["note_id"], case["state"]) == (
        desk.debtors["C-001"],
        kind,
        made["id"],
        "open",
    )
    opened = datetime.fromisoformat(case["opened_at"])
    assert opened == desk.clock.now()
    assert datetime.fromisoformat(case["deadline"]) == opened + timedelta(days=3)
    assert case["overdue"] is False
    assert cases(desk, "sup.a1") == [case]
    event = desk.events("complaint.opened")[-1]
    assert (event["actor"], event["object"], event["details"]["case"]) == (
        desk.ids["col.a1"],
        desk.debtors["C-001"],
        case["id"],
    )


def test_r_con_5_a_case_past_its_deadline_is_overdue(desk: Floor) -> None:
    complain(desk)
    desk.clock.advance(days=3)
    assert cases(desk, "desk")[0]["overdue"] is True


def test_r_con_5_a_complaint_without_a_call_opens_a_case_too(desk: Floor) -> None:
    status, body = plain_note(desk, "col.a1", "C-002", flags=["complaint"])
    assert status == 201, body
    assert [c["debtor_id"] for c in cases(desk, "desk")] == [desk.debtors["C-002"]]


def test_r_con_5_only_supervisors_and_the_desk_see_cases_and_resume_with_a_reason(
    desk: Floor,
) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    for who in ("col.a1", "head.a", "gm"):
        assert desk.call("GET", "/api/v1/complaints", who)[0] == 403
        status, body = resume(desk, who, case["id"])
        assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = resume(desk, "desk", case["id"], reason="   好了  ")
    assert (status, body["error"]["code"]) == (422, "justification.too_short")
    assert caseload(desk, "col.a1")[desk.debtors["C-001"]] is True

    status, body = resume(desk, "desk", case["id"])
    assert (status, body["state"], body["resumed_by"]) == (200, "resumed", desk.ids["desk"])
    assert caseload(desk, "col.a1")[desk.debtors["C-001"]] is False
    assert cases(desk, "desk") == []
    status, body = resume(desk, "sup.a1", case["id"])
    assert (status, body["error"]["code"]) == (409, "complaint.not_open")
    status, body = resume(desk, "sup.a1", "CP-0000-0000")
    assert (status, body["error"]["code"]) == (404, "complaint.unknown")
    event = desk.events("complaint.resumed")[-1]
    assert (event["actor"], event["details"]["case"]) == (desk.ids["desk"], case["id"])
    assert REASON not in str(event)


def test_r_con_5_collection_stays_stopped_while_any_case_of_the_debtor_is_open(
    desk: Floor,
) -> None:
    complain(desk)
    complain(desk, flag="complaint_tendency")
    first, _ = cases(desk, "desk")
    assert resume(desk, "sup.a1", first["id"])[0] == 200
    assert caseload(desk, "col.a1")[desk.debtors["C-001"]] is True


def test_r_con_5_cases_are_listed_for_the_client_report_until_marked_reported(
    desk: Floor,
) -> None:
    complain(desk)
    [case] = cases(desk, "desk", report="true")
    assert case["reported_at"] is None
    assert resume(desk, "desk", case["id"])[0] == 200
    assert [c["id"] for c in cases(desk, "desk", report="true")] == [case["id"]]  # still owed

    status, body = desk.call("POST", f"/api/v1/complaints/{case['id']}/reported", "sup.a1")
    assert (status, datetime.fromisoformat(body["reported_at"])) == (200, desk.clock.now())
    assert cases(desk, "desk", report="true") == []
    status, body = desk.call("POST", f"/api/v1/complaints/{case['id']}/reported", "desk")
    assert (status, body["error"]["code"]) == (409, "complaint.reported")
    assert desk.events("complaint.reported")[-1]["details"]["case"] == case["id"]


def test_r_con_5_a_supervisor_sees_and_acts_on_the_cases_of_the_debtors_they_reach_only(
    desk: Floor,
) -> None:
    call = record_call(desk, "C-003", who="col.a2", number="15011112222")
    status, body = note(desk, "col.a2", "C-003", call_id=call, flags=["complaint"])
    assert status == 201, body
    [case] = cases(desk, "desk")
    assert case["debtor_id"] == desk.debtors["C-003"]  # pg-a2: not sup.a1's project group
    assert cases(desk, "sup.a1") == []
    assert cases(desk, "sup.a1", report="true") == []
    status, body = resume(desk, "sup.a1", case["id"])
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    path = f"/api/v1/complaints/{case['id']}/reported"
    status, body = desk.call("POST", path, "sup.a1")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    assert cases(desk, "desk")[0]["state"] == "open"
    assert desk.events("complaint.resumed") == []

    assert resume(desk, "desk", case["id"])[0] == 200  # the desk reaches every debtor
    assert desk.call("POST", path, "desk")[0] == 200


def test_r_con_5_the_complaint_desk_reads_the_notes_of_any_debtor_it_handles(desk: Floor) -> None:
    status, body = plain_note(desk, "col.b1", "C-004", flags=["complaint"])
    assert status == 201, body
    status, body = desk.call("GET", f"/api/v1/debtors/{desk.debtors['C-004']}/notes", "desk")
    assert (status, [n["id"] for n in body["notes"]]) == (200, [body["notes"][0]["id"]])
    status, body = desk.call("GET", f"/api/v1/debtors/{desk.debtors['C-004']}/parties", "desk")
    assert status == 200, body
