"""Issuing accounts through the HTTP API (R-ACC-1, R-ACC-2, R-ACC-3, R-STF-2)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from govern.accounts.models import Account
from govern.directory.models import Identity
from tests.support.agency import Agency, bearer
from tests.support.staff import LiveDirectory


def issue(agency: Agency, token: str, employee_number: object) -> tuple[int, dict]:
    response = agency.client.post(
        "/api/v1/accounts", json={"employee_number": employee_number}, headers=bearer(token)
    )
    return response.status_code, response.get_json()


def account_count(agency: Agency, employee_number: str | None = None) -> int:
    query = select(func.count()).select_from(Account)
    if employee_number:
        query = query.where(Account.employee_number == employee_number)
    with agency.services.sessions() as db:
        return db.scalar(query)


def test_r_acc_1_the_head_of_the_department_issues_its_staff_accounts(agency: Agency) -> None:
    agency.with_accounts()
    status, body = issue(agency, agency.login("head.a"), "1004")
    assert status == 201
    assert (body["employee_number"], body["department"], body["state"]) == (
        "1004",
        "dept-a",
        "active",
    )
    assert body["roles"] == ["collector"]
    assert body["history"][0]["to_state"] == "active"
    assert body["issued_by"] == body["history"][0]["actor"]


def test_r_acc_1_a_head_cannot_issue_for_another_department(agency: Agency) -> None:
    agency.with_accounts()
    status, body = issue(agency, agency.login("head.b"), "1004")
    assert (status, body["error"]["code"]) == (403, "issuer.not_department_head")
    assert account_count(agency, "1004") == 0


def test_r_acc_1_department_heads_get_theirs_from_the_general_manager(agency: Agency) -> None:
    gm = agency.bootstrap()
    assert agency.account(gm).state == "active"
    gm_token = agency.login("gm")
    assert issue(agency, gm_token, "1002")[0] == 201
    status, body = issue(agency, agency.login("head.a"), "1003")
    assert (status, body["error"]["code"]) == (403, "issuer.not_general_manager")


def test_r_acc_1_the_general_manager_issues_where_no_head_is_active(agency: Agency) -> None:
    agency.with_accounts()
    gm_token = agency.login("gm")
    assert issue(agency, gm_token, "1012")[0] == 201  # operations has no head
    status, body = issue(agency, gm_token, "1004")  # dept-a has one
    assert (status, body["error"]["code"]) == (403, "issuer.not_department_head")


def test_r_acc_1_collectors_issue_nothing(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    status, body = issue(agency, agency.login("col.a1"), "1005")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")


def test_nobody_issues_their_own_account(agency: Agency) -> None:
    agency.with_accounts()
    status, body = issue(agency, agency.login("head.a"), "1002")
    assert (status, body["error"]["code"]) == (403, "self.approval")


def test_r_acc_3_issuing_twice_returns_the_same_account(agency: Agency) -> None:
    agency.with_accounts()
    token = agency.login("head.a")
    first_status, first = issue(agency, token, "1004")
    second_status, second = issue(agency, token, "1004")
    assert (first_status, second_status) == (201, 200)
    assert first["id"] == second["id"]
    assert account_count(agency, "1004") == 1


def test_r_acc_3_two_requests_issuing_at_once_make_one_account(agency: Agency) -> None:
    agency.with_accounts()
    token = agency.login("head.a")
    results: list[tuple[int, dict]] = []
    barrier = threading.Barrier(2)

    def race() -> None:
        client = agency.app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/accounts", json={"employee_number": "1005"}, headers=bearer(token)
        )
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200, 201]
    assert len({body["id"] for _, body in results}) == 1
    assert account_count(agency, "1005") == 1


def test_r_stf_2_an_unknown_person_gets_no_account_and_no_identity(agency: Agency) -> None:
    agency.with_accounts()
    status, body = issue(agency, agency.login("head.a"), "9999")
    assert (status, body["error"]["code"]) == (404, "identity.unknown")
    with agency.services.sessions() as db:
        assert db.get(Identity, "9999") is None
    assert account_count(agency, "9999") == 0


def test_r_acc_4_a_departed_person_gets_no_account(agency: Agency) -> None:
    agency.with_accounts()
    status, body = issue(agency, agency.login("head.a"), "1011")
    assert (status, body["error"]["code"]) == (409, "identity.departed")
    assert account_count(agency, "1011") == 0


def test_malformed_bodies_are_refused_and_change_nothing(agency: Agency) -> None:
    agency.with_accounts()
    token = agency.login("head.a")
    before = account_count(agency)
    for body in (
        {},
        {"employee_number": ""},
        {"employee_number": 1004},
        {"employee_number": "10 04; drop"},
        {"employee_number": "1004", "extra": 1},
    ):
        response = agency.client.post("/api/v1/accounts", json=body, headers=bearer(token))
        assert response.status_code == 422, body
        assert response.get_json()["error"]["code"] == "request.invalid"
    response = agency.client.post(
        "/api/v1/accounts", data="{not json", content_type="application/json", headers=bearer(token)
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "request.malformed"
    assert account_count(agency) == before


def test_r_acc_2_the_account_id_survives_changes_of_uid_name_and_department(
    agency: Agency, directory: LiveDirectory
) -> None:

    account_id = agency.with_accounts("col.a1")["col.a1"]
    directory.set("col.a1", "cn", "马超然")
    directory.set("col.a1", "departmentNumber", "dept-b")
    directory.rename("col.a1", "col.a1.renamed")
    agency.sync()
    response = agency.client.get(
        f"/api/v1/accounts/{account_id}", headers=bearer(agency.login("gm"))
    )
    body = response.get_json()
    assert (body["id"], body["username"], body["name"], body["department"]) == (
        account_id,
        "col.a1.renamed",
        "马超然",
        "dept-b",
    )
    token = agency.login("col.a1.renamed", "col.a1-secret")
    me = agency.client.get("/api/v1/sessions/current", headers=bearer(token)).get_json()
    assert me["account_id"] == account_id


def test_r_acc_2_a_revoked_account_is_never_revived_nor_its_id_reused(
    agency: Agency, directory: LiveDirectory
) -> None:

    old_id = agency.with_accounts("col.a1")["col.a1"]
    s = agency.services
    agency.revoke(old_id, "left the company")
    token = agency.login("head.a")
    status, body = issue(agency, token, "1004")
    assert (status, body["error"]["code"]) == (409, "account.revoked")
    # Re-hired: the directory shows a hire date after the revocation.
    s.clock.advance(days=3)
    rehired = (s.clock.now() + timedelta(days=1)).strftime("%Y%m%d000000Z")
    directory.set("col.a1", "governHireDate", rehired)
    agency.sync()
    status, body = issue(agency, agency.login("head.a"), "1004")
    assert status == 201
    assert body["id"] != old_id
    assert agency.account(old_id).state == "revoked"
    assert account_count(agency, "1004") == 2


def test_r_acc_3_the_database_itself_refuses_a_second_live_account(agency: Agency) -> None:
    """One person, one live account is held by a unique index, not only by code."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    ids = agency.with_accounts("col.a1")
    first = agency.account(ids["col.a1"])
    with agency.services.sessions() as db:
        db.add(
            Account(
                id="GV-TEST-0001",
                employee_number="1004",
                state="suspended",
                issued_by="test",
                issued_at=first.issued_at,
            )
        )
        with pytest.raises(IntegrityError):
            db.commit()
        db.rollback()
        db.add(
            Account(
                id="GV-TEST-0002",
                employee_number="1004",
                state="revoked",
                issued_by="test",
                issued_at=first.issued_at,
                revoked_at=first.issued_at,
            )
        )
        db.commit()  # revoked rows may be many: they are history


def awaiting(agency: Agency, username: str) -> list[str]:
    response = agency.client.get(
        "/api/v1/accounts/awaiting", headers=bearer(agency.login(username))
    )
    assert response.status_code == 200, response.get_json()
    return [person["employee_number"] for person in response.get_json()["people"]]


def test_r_acc_1_each_issuer_is_offered_exactly_whom_they_issue_for(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    assert awaiting(agency, "head.a") == ["1005", "1010", "1015"]  # not 1011, who left
    assert awaiting(agency, "head.b") == ["1006"]
    offered = awaiting(agency, "gm")
    assert "1012" in offered and not {"1001", "1004", "1005", "1006"} & set(offered)
    status, _ = issue(agency, agency.login("head.a"), "1005")
    assert status == 201 and "1005" not in awaiting(agency, "head.a")


def test_r_acc_2_someone_revoked_and_not_rehired_is_not_offered(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    agency.revoke(ids["col.a1"], "dismissed")
    assert "1004" not in awaiting(agency, "head.a")


def test_collectors_are_not_offered_anyone(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    response = agency.client.get(
        "/api/v1/accounts/awaiting", headers=bearer(agency.login("col.a1"))
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        403,
        "role.action_denied",
    )
