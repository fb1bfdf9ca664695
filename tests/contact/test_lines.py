"""The agency's recorded landlines (R-NTE-2): IT registers and retires them, IT and supervisors
list them, a retired line stays listed; through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.agency import Agency, audit_events, bearer


@pytest.fixture
def staff(agency: Agency) -> dict[str, str]:
    return agency.with_accounts("it", "sup.a1", "col.a1", "auditor")


def call(agency: Agency, method: str, path: str, who: str, **kwargs: Any) -> tuple[int, Any]:
    response = agency.client.open(path, method=method, headers=bearer(agency.login(who)), **kwargs)
    return response.status_code, response.get_json()


def register(agency: Agency, number: str, location: str = "杭州 一部 1 号席") -> tuple[int, Any]:
    return call(
        agency, "POST", "/api/v1/lines", "it", json={"number": number, "location": location}
    )


def listed(agency: Agency, who: str = "it") -> list[dict[str, Any]]:
    status, body = call(agency, "GET", "/api/v1/lines", who)
    assert status == 200, body
    return body["lines"]


def test_r_nte_2_it_registers_a_line_and_retires_it_and_a_retired_line_stays_listed(
    agency: Agency, staff: dict[str, str]
) -> None:
    status, line = register(agency, "0571-8690 1001")
    assert status == 201, line
    assert (line["number"], line["state"], line["registered_by"]) == (
        "057186901001",
        "active",
        staff["it"],
    )
    assert [entry["id"] for entry in listed(agency, "sup.a1")] == [line["id"]]
    path = f"/api/v1/lines/{line['id']}/retire"
    status, retired = call(agency, "POST", path, "it", json={"reason": "交换机更换"})
    assert status == 200, retired
    assert (retired["state"], retired["retire_reason"], retired["retired_by"]) == (
        "retired",
        "交换机更换",
        staff["it"],
    )
    assert [(entry["id"], entry["state"]) for entry in listed(agency)] == [(line["id"], "retired")]
    token = agency.login("auditor")
    for action in ("line.registered", "line.retired"):
        (event,) = audit_events(agency.client, token, action)
        assert (event["actor"], event["object"]) == (staff["it"], line["id"])


def test_only_it_registers_or_retires_lines_and_only_it_and_supervisors_list_them(
    agency: Agency, staff: dict[str, str]
) -> None:
    _, line = register(agency, "057186901001")
    for who in ("sup.a1", "col.a1"):
        status, body = call(
            agency, "POST", "/api/v1/lines", who, json={"number": "057186901002", "location": "x"}
        )
        assert (status, body["error"]["code"]) == (403, "role.action_denied")
        path = f"/api/v1/lines/{line['id']}/retire"
        assert call(agency, "POST", path, who, json={"reason": "r"})[0] == 403
    assert call(agency, "GET", "/api/v1/lines", "col.a1")[0] == 403
    assert [entry["state"] for entry in listed(agency)] == ["active"]


def test_a_number_registered_already_is_refused_in_any_spelling_and_changes_nothing(
    agency: Agency, staff: dict[str, str]
) -> None:
    assert register(agency, "0571-8690-1001")[0] == 201
    for spelling in ("057186901001", "0571 8690 1001"):
        status, body = register(agency, spelling, "elsewhere")
        assert (status, body["error"]["code"]) == (409, "line.duplicate")
    assert len(listed(agency)) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"number": "0571-CALL-ME", "location": "x"}, "request.invalid"),
        ({"number": "+", "location": "x"}, "request.invalid"),
        ({"number": "1" * 33, "location": "x"}, "request.invalid"),
        ({"number": "057186901001", "location": "   "}, "request.invalid"),
        ({"number": "057186901001", "location": "x" * 129}, "request.invalid"),
        ({"number": "057186901001"}, "request.invalid"),
    ],
)
def test_a_bad_line_is_refused_and_changes_nothing(
    agency: Agency, staff: dict[str, str], body: dict[str, str], code: str
) -> None:
    status, answer = call(agency, "POST", "/api/v1/lines", "it", json=body)
    assert (status, answer["error"]["code"]) == (422, code)
    assert listed(agency) == []


def test_retiring_an_unknown_or_retired_line_or_without_a_reason_is_refused(
    agency: Agency, staff: dict[str, str]
) -> None:
    _, line = register(agency, "057186901001")
    path = f"/api/v1/lines/{line['id']}/retire"
    status, body = call(
        agency, "POST", "/api/v1/lines/LN-0000-0000/retire", "it", json={"reason": "r"}
    )
    assert (status, body["error"]["code"]) == (404, "line.unknown")
    assert call(agency, "POST", path, "it", json={"reason": "  "})[0] == 422
    assert listed(agency)[0]["state"] == "active"
    assert call(agency, "POST", path, "it", json={"reason": "moved"})[0] == 200
    status, body = call(agency, "POST", path, "it", json={"reason": "again"})
    assert (status, body["error"]["code"]) == (409, "line.retired")
    assert listed(agency)[0]["retire_reason"] == "moved"
