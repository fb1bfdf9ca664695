"""Accounts unused for 90 days are suspended; the owner's head reactivates them with a reason
(unlike a revocation)."""

from __future__ import annotations

from govern.deprovision.service import suspend_inactive
from tests.support.agency import Agency, bearer


def sweep(agency: Agency, dry_run: bool = False) -> list[str]:
    s = agency.services
    with s.sessions() as db:
        return suspend_inactive(db, s.context(), dry_run=dry_run)


def test_r_acc_2_an_account_unused_for_90_days_is_suspended_and_reactivated_under_its_id(
    agency: Agency,
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2")
    agency.login("col.a1")  # col.a1 signs in today, then not again
    agency.services.clock.advance(days=89)
    for who in ("gm", "head.a", "head.b", "col.a2"):
        agency.login(who)
    assert sweep(agency) == []
    agency.services.clock.advance(days=2)  # 91 days since col.a1 signed in
    assert sweep(agency, dry_run=True) == [ids["col.a1"]]  # named, not suspended
    assert agency.account(ids["col.a1"]).state == "active"
    assert sweep(agency) == [ids["col.a1"]]
    assert agency.account(ids["col.a1"]).state == "suspended"
    assert sweep(agency) == []  # suspended once

    path = f"/api/v1/accounts/{ids['col.a1']}/reactivation"
    for who, expected in (("col.a2", 403), ("head.b", 403)):
        response = agency.client.post(
            path, json={"reason": "back from leave"}, headers=bearer(agency.login(who))
        )
        assert response.status_code == expected, who
    response = agency.client.post(
        path, json={"reason": "back from leave"}, headers=bearer(agency.login("head.a"))
    )
    body = response.get_json()
    assert (response.status_code, body["id"], body["state"]) == (200, ids["col.a1"], "active")
    assert body["history"][-1]["reason"] == "back from leave"
    assert sweep(agency) == []  # reactivation counts as use: the next sweep leaves it


def test_r_acc_2_a_revoked_account_is_never_reactivated(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    agency.revoke(ids["col.a1"])
    response = agency.client.post(
        f"/api/v1/accounts/{ids['col.a1']}/reactivation",
        json={"reason": "oops"},
        headers=bearer(agency.login("head.a")),
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "account.revoked")
