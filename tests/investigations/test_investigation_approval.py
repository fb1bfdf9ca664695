"""Investigations that open debtors' fields: a case reference and a justification, a bounded
scope, a second person's approval (four eyes), an expiry; query-only investigations need none
of it (R-ACS-3, R-AUD-3)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from govern.accounts import repository as accounts
from govern.accounts.service import issue_account
from govern.actor import Actor
from tests.support.clock import NOW
from tests.support.floor import Floor
from tests.support.staff import BY_USERNAME, Person

#: A second auditor, in the test's own directory only.
SECOND = Person("1017", "auditor.b", "钱明", "operations", groups=("govern-auditors",))
CASE = "CASE-2026-031"
WHY = "complaint of a leaked phone number, ticket 4411"


@pytest.fixture
def desk(floor: Floor, directory) -> Floor:
    """The floor with a second auditor (certified like the first)."""
    directory.add(SECOND)
    directory.add_to_group("govern-auditors", SECOND.username)
    floor.agency.sync()
    s = floor.agency.services
    with s.sessions() as db:
        gm = accounts.identity(db, BY_USERNAME["gm"].number)
        account, _ = issue_account(
            db, s.context(), Actor(accounts.staff_of(gm), floor.ids["gm"]), SECOND.number
        )
        floor.ids[SECOND.username] = account.id
    return floor


def call(desk: Floor, who: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    password = SECOND.password if who == SECOND.username else None
    token = desk.agency.login(who, password)
    response = desk.agency.client.open(
        path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    return response.status_code, response.get_json()


def ask(desk: Floor, cases: list[str], who: str = "auditor", **body: Any) -> tuple[int, Any]:
    """An investigation of `cases` asking to open their phones (unless told otherwise)."""
    asked = {
        "debtor_ids": [desk.debtors[c] for c in cases],
        "fields": ["phones"],
        "open_fields": True,
        "case_reference": CASE,
        "justification": WHY,
        **body,
    }
    return call(desk, who, "POST", "/api/v1/audit/investigations", json=asked)


def decide(desk: Floor, who: str, investigation: str, verb: str, **body: Any) -> tuple[int, Any]:
    return call(
        desk, who, "POST", f"/api/v1/audit/investigations/{investigation}/{verb}", json=body
    )


def look(desk: Floor, who: str, case: str, investigation: str) -> tuple[int, Any]:
    path = f"/api/v1/debtors/{desk.debtors[case]}"
    return call(desk, who, "GET", path, query_string={"investigation": investigation})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def code(answer: tuple[int, Any]) -> tuple[int, str]:
    return answer[0], answer[1]["error"]["code"]


def test_r_acs_3_a_request_alone_opens_nothing(desk: Floor) -> None:
    status, asked = ask(desk, ["C-001"])
    assert (status, asked["field_access"], asked["case_reference"]) == (201, "pending", CASE)
    assert asked["ranking"] == []  # its leak triage answers at once
    assert code(look(desk, "auditor", "C-001", asked["id"])) == (403, "investigation.not_approved")
    [requested] = desk.events("audit.investigation_requested")
    assert (requested["actor"], requested["object"]) == (desk.ids["auditor"], asked["id"])
    assert requested["details"]["case_reference"] == CASE
    assert WHY not in str(requested)  # the words stay in the request, not in the trail


def test_r_acs_3_nobody_approves_their_own_request(desk: Floor) -> None:
    _, asked = ask(desk, ["C-001"])
    assert code(decide(desk, "auditor", asked["id"], "approve")) == (
        403,
        "investigation.own_request",
    )
    assert code(decide(desk, "auditor", asked["id"], "refuse")) == (
        403,
        "investigation.own_request",
    )
    denied = desk.events("access.denied")
    assert [e["details"]["code"] for e in denied] == ["investigation.own_request"] * 2
    assert code(look(desk, "auditor", "C-001", asked["id"])) == (403, "investigation.not_approved")
    _, pending = call(desk, "auditor", "GET", "/api/v1/audit/investigations/pending")
    assert [p["id"] for p in pending["investigations"]] == [asked["id"]]


def test_r_acs_3_four_eyes_are_two_people_not_two_accounts(desk: Floor, directory) -> None:
    """Re-hired, the requester has a new account id: still the requester, who cannot approve
    (nor refuse) the request filed under the old account; another person can."""
    _, asked = ask(desk, ["C-001"])
    rehire(desk, directory, "auditor")
    assert code(decide(desk, "auditor", asked["id"], "approve")) == (
        403,
        "investigation.own_request",
    )
    assert code(decide(desk, "auditor", asked["id"], "refuse")) == (
        403,
        "investigation.own_request",
    )
    status, approved = decide(desk, SECOND.username, asked["id"], "approve")
    assert (status, approved["field_access"]) == (200, "approved")
    status, shown = look(desk, "auditor", "C-001", asked["id"])  # the person who asked
    assert (status, shown["reach"]) == (200, "investigation")


def rehire(desk: Floor, directory, username: str) -> str:
    """`username` leaves (their account revoked) and is hired again: a new account id."""
    agency, person = desk.agency, BY_USERNAME[username]
    agency.revoke(desk.ids[username])
    s = agency.services
    s.clock.advance(days=3)
    directory.set(username, "governHireDate", s.clock.now().strftime("%Y%m%d000000Z"))
    agency.sync()
    with s.sessions() as db:
        gm = accounts.identity(db, BY_USERNAME["gm"].number)
        account, _ = issue_account(
            db, s.context(), Actor(accounts.staff_of(gm), desk.ids["gm"]), person.number
        )
    assert account.id != desk.ids[username]
    desk.ids[username] = account.id
    return account.id


def test_r_acs_3_a_second_auditor_approves_and_the_fields_open_to_the_requester(
    desk: Floor,
) -> None:
    _, asked = ask(desk, ["C-001"])
    status, pending = call(desk, SECOND.username, "GET", "/api/v1/audit/investigations/pending")
    assert [(p["id"], p["justification"]) for p in pending["investigations"]] == [
        (asked["id"], WHY)
    ]
    status, approved = decide(desk, SECOND.username, asked["id"], "approve")
    assert (status, approved["field_access"], approved["decided_by"]) == (
        200,
        "approved",
        desk.ids[SECOND.username],
    )
    assert at(approved["expires_at"]) == NOW + timedelta(hours=72)  # the default
    status, shown = look(desk, "auditor", "C-001", asked["id"])
    assert (status, shown["fields"]["phones"], shown["reach"]) == (
        200,
        ["13812345678"],
        "investigation",
    )
    assert "name" in {w["field"] for w in shown["withheld"]}  # only the fields it names
    assert code(look(desk, "auditor", "C-002", asked["id"])) == (403, "investigation.not_covering")
    assert code(look(desk, SECOND.username, "C-001", asked["id"])) == (
        403,
        "investigation.not_yours",
    )
    assert code(decide(desk, SECOND.username, asked["id"], "approve")) == (
        409,
        "investigation.not_pending",
    )
    [event] = desk.events("audit.investigation_approved")
    assert (event["actor"], event["object"], event["details"]["requester"]) == (
        desk.ids[SECOND.username],
        asked["id"],
        desk.ids["auditor"],
    )
    call(desk, "auditor", "POST", f"/api/v1/audit/investigations/{asked['id']}/close")
    assert code(look(desk, "auditor", "C-001", asked["id"])) == (403, "investigation.not_covering")


def test_r_acs_3_the_general_manager_approves_for_fewer_hours(desk: Floor) -> None:
    _, asked = ask(desk, ["C-001", "C-004"], hours=24)
    status, approved = decide(desk, "gm", asked["id"], "approve", hours=4)
    assert (status, at(approved["expires_at"])) == (200, NOW + timedelta(hours=4))
    status, shown = look(desk, "auditor", "C-004", asked["id"])
    assert (status, shown["fields"]["phones"]) == (200, ["18633334444"])
    assert code(call(desk, "col.a1", "GET", "/api/v1/audit/investigations/pending")) == (
        403,
        "role.action_denied",
    )


def test_r_acs_3_a_refused_request_never_opens(desk: Floor) -> None:
    _, asked = ask(desk, ["C-001"])
    status, refused = decide(desk, SECOND.username, asked["id"], "refuse", reason="  no case  ")
    assert (status, refused["field_access"], refused["refusal"]) == (200, "refused", "no case")
    assert code(look(desk, "auditor", "C-001", asked["id"])) == (403, "investigation.not_approved")
    assert code(decide(desk, "gm", asked["id"], "approve")) == (409, "investigation.not_pending")
    [event] = desk.events("audit.investigation_refused")
    assert (event["actor"], event["object"]) == (desk.ids[SECOND.username], asked["id"])
    assert "no case" not in str(event)
    _, pending = call(desk, "gm", "GET", "/api/v1/audit/investigations/pending")
    assert pending["investigations"] == []


def test_r_acs_3_more_debtors_or_hours_than_allowed_is_422_and_changes_nothing(
    desk: Floor,
) -> None:
    services = desk.agency.app.extensions["govern"]
    desk.agency.app.extensions["govern"] = replace(
        services, settings=replace(services.settings, investigation_max_debtors=2)
    )
    assert code(ask(desk, ["C-001", "C-002", "C-003"])) == (422, "investigation.too_many_debtors")
    assert ask(desk, ["C-001", "C-002", "C-001"])[0] == 201  # the same debtor counts once
    assert code(ask(desk, ["C-001"], hours=169)) == (422, "investigation.too_long")
    _, pending = call(desk, "gm", "GET", "/api/v1/audit/investigations/pending")
    [kept] = pending["investigations"]
    assert code(decide(desk, "gm", kept["id"], "approve", hours=200)) == (
        422,
        "investigation.too_long",
    )
    assert len(desk.events("audit.investigation_requested")) == 1
    assert desk.events("audit.investigation_approved") == []


def test_r_acs_3_the_default_scope_is_a_thousand_debtors(desk: Floor) -> None:
    asked = {
        "debtor_ids": [f"DB-{n:04d}-0000" for n in range(1001)],
        "open_fields": True,
        "case_reference": CASE,
        "justification": WHY,
    }
    status, body = call(desk, "auditor", "POST", "/api/v1/audit/investigations", json=asked)
    assert (status, body["error"]["code"]) == (422, "investigation.too_many_debtors")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"justification": " " * 40}, "justification.too_short"),
        ({"justification": "   too short   "}, "justification.too_short"),
        ({"justification": None}, "request.invalid"),
        ({"case_reference": "  "}, "request.invalid"),
        ({"case_reference": None}, "request.invalid"),
    ],
)
def test_r_acs_3_a_blank_or_missing_justification_or_case_is_422(
    desk: Floor, body: dict[str, Any], code: str
) -> None:
    """None: left out altogether."""
    asked = {
        "debtor_ids": [desk.debtors["C-001"]],
        "open_fields": True,
        "case_reference": CASE,
        "justification": WHY,
        **body,
    }
    status, answer = call(
        desk,
        "auditor",
        "POST",
        "/api/v1/audit/investigations",
        json={k: v for k, v in asked.items() if v is not None},
    )
    assert (status, answer["error"]["code"]) == (422, code)
    if code == "request.invalid":
        assert set(answer["error"]["fields"]) == set(body)
    assert desk.events("audit.investigation_requested") == []


def test_r_acs_3_a_justification_is_kept_trimmed(desk: Floor) -> None:
    status, asked = ask(desk, ["C-001"], justification=f"\n  {WHY}  \t")
    assert (status, asked["justification"]) == (201, WHY)


def test_r_acs_3_after_its_expiry_nothing_opens_and_the_use_is_recorded(desk: Floor) -> None:
    _, asked = ask(desk, ["C-001"], hours=2)
    decide(desk, SECOND.username, asked["id"], "approve")
    assert look(desk, "auditor", "C-001", asked["id"])[0] == 200
    desk.clock.advance(hours=2)
    assert code(look(desk, "auditor", "C-001", asked["id"])) == (403, "investigation.expired")
    [used] = desk.events("audit.investigation_expired_use")
    assert (used["actor"], used["object"], used["details"]["debtor"]) == (
        desk.ids["auditor"],
        asked["id"],
        desk.debtors["C-001"],
    )


def test_r_aud_3_query_only_investigations_need_none_of_it_and_open_nothing(
    desk: Floor,
) -> None:
    many = [desk.debtors["C-001"], *(f"DB-{n:04d}-0000" for n in range(1500))]
    status, opened = call(
        desk, "auditor", "POST", "/api/v1/audit/investigations", json={"debtor_ids": many}
    )
    assert (status, opened["field_access"], opened["ranking"]) == (201, None, [])
    assert code(look(desk, "auditor", "C-001", opened["id"])) == (403, "investigation.query_only")
    status, _ = call(desk, "auditor", "GET", f"/api/v1/audit/investigations/{opened['id']}")
    assert status == 200
    status, body = call(
        desk,
        "auditor",
        "POST",
        "/api/v1/audit/investigations",
        json={"debtor_ids": many[:1], "justification": WHY},
    )
    assert (status, list(body["error"]["fields"])) == (422, ["open_fields"])


def test_r_aud_3_reads_inside_an_investigation_show_in_unusual_access(desk: Floor) -> None:
    _, asked = ask(desk, ["C-001"])
    decide(desk, SECOND.username, asked["id"], "approve")
    look(desk, "auditor", "C-001", asked["id"])
    _, unusual = call(
        desk,
        "auditor",
        "GET",
        "/api/v1/audit/unusual",
        query_string={"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    )
    assert [
        (e["actor"], e["object"], e["details"]["investigation"], e["details"]["fields"]["phones"])
        for e in unusual["investigation"]
    ] == [(desk.ids["auditor"], desk.debtors["C-001"], asked["id"], "full")]
    assert unusual["break_glass"] == []


def test_r_acs_1_auditors_need_the_fields_certifications_inside_an_investigation(
    desk: Floor,
) -> None:
    """The policy says so (fields.toml, [investigation] requires_certifications = true):
    the second auditor holds no certification, so an approved investigation opens nothing."""
    _, asked = ask(desk, ["C-001"], who=SECOND.username)
    decide(desk, "auditor", asked["id"], "approve")
    status, shown = look(desk, SECOND.username, "C-001", asked["id"])
    assert status == 200 and "phones" not in shown["fields"]
    assert {w["field"]: w["reason"] for w in shown["withheld"]}["phones"] == (
        "training.system-use.missing"
    )


def test_r_acs_1_a_policy_may_exempt_auditors_inside_investigations(
    desk: Floor, tmp_path: Path
) -> None:
    services = desk.agency.app.extensions["govern"]
    policies = tmp_path / "policies"
    shutil.copytree(services.settings.policies_dir, policies)
    rules = policies / "access" / "fields.toml"
    rules.write_text(
        rules.read_text().replace(
            "requires_certifications = true", "requires_certifications = false"
        )
    )
    desk.agency.app.extensions["govern"] = replace(
        services, settings=replace(services.settings, policies_dir=policies)
    )
    _, asked = ask(desk, ["C-001"], who=SECOND.username)
    decide(desk, "auditor", asked["id"], "approve")
    status, shown = look(desk, SECOND.username, "C-001", asked["id"])
    assert (status, shown["fields"]["phones"]) == (200, ["13812345678"])
