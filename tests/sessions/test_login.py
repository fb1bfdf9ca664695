"""Signing in with directory credentials (R-ACC-5), sessions and their end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from govern.sessions.models import LoginSession
from govern.sessions.service import token_hash
from tests.auditing.test_events import trail
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW
from tests.support.staff import BY_USERNAME


def sign_in(agency: Agency, username: str, password: str, client: str = "127.0.0.1"):
    return agency.client.post(
        "/api/v1/sessions",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": client},
    )


def me(agency: Agency, token: str):
    return agency.client.get("/api/v1/sessions/current", headers=bearer(token))


def test_r_acc_5_new_staff_sign_in_with_their_directory_credentials(agency: Agency) -> None:
    ids = agency.with_accounts("intern.a")
    response = sign_in(agency, "intern.a", BY_USERNAME["intern.a"].password)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["account_id"], body["employee_number"]) == (ids["intern.a"], "1010")
    assert me(agency, body["token"]).get_json()["name"] == "罗娟"


def test_r_acc_5_a_wrong_password_and_an_unknown_user_get_the_same_refusal(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    wrong = sign_in(agency, "col.a1", "not-the-password")
    unknown = sign_in(agency, "no.such.person", "whatever")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.get_json()
        == unknown.get_json()
        == {"error": {"code": "login.failed", "message": "Wrong username or password."}}
    )


def test_r_acc_5_staff_without_an_account_are_refused_a_session(agency: Agency) -> None:
    agency.with_accounts()
    response = sign_in(agency, "col.a2", BY_USERNAME["col.a2"].password)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "login.no_account")
    with agency.services.sessions() as db:
        assert db.scalars(select(LoginSession)).all() == []


def test_r_acc_4_someone_who_left_without_an_account_is_told_they_left(agency: Agency) -> None:
    agency.with_accounts()
    response = sign_in(agency, "left.a", BY_USERNAME["left.a"].password)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "account.departed")


def test_the_session_token_is_stored_only_as_a_hash(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    with agency.services.sessions() as db:
        stored = {s.token_hash for s in db.scalars(select(LoginSession))}
    assert token not in stored and token_hash(token) in stored


def test_r_acc_5_an_expired_session_is_refused(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    agency.services.clock.advance(hours=8)
    response = me(agency, token)
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "session.expired")


def test_signing_out_ends_the_session(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    assert (
        agency.client.delete("/api/v1/sessions/current", headers=bearer(token)).status_code == 204
    )
    response = me(agency, token)
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "session.invalid")


def test_the_api_takes_bearer_tokens_only(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    agency.client.set_cookie("govern_session", token)
    response = agency.client.get("/api/v1/sessions/current")
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "session.missing")


def test_r_acc_4_from_the_departure_instant_every_request_and_sign_in_is_refused(
    agency: Agency, directory
) -> None:

    agency.with_accounts("col.a1")
    directory.set("col.a1", "governDepartureDate", "20261128000000Z")  # today, 18:00 Shanghai
    s = agency.services
    agency.sync()
    s.clock.set(NOW.replace(hour=17))
    token = agency.login("col.a1")
    s.clock.set(NOW.replace(hour=17, minute=59, second=59))
    assert me(agency, token).status_code == 200
    s.clock.advance(seconds=1)
    response = me(agency, token)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "account.departed")
    again = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password)
    assert (again.status_code, again.get_json()["error"]["code"]) == (403, "account.departed")


def test_r_acc_6_a_revoked_accounts_session_and_sign_in_are_refused(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    agency.revoke(ids["col.a1"], "security incident")
    response = me(agency, token)
    assert response.status_code == 401  # its sessions were deleted with the revocation
    again = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password)
    assert (again.status_code, again.get_json()["error"]["code"]) == (403, "account.revoked")


def with_limits(agency: Agency, **limits: int) -> None:
    s = agency.services
    agency.app.extensions["govern"] = replace(s, settings=replace(s.settings, **limits))


def test_r_acc_5_failures_of_one_username_from_one_client_are_limited_tightly(
    agency: Agency,
) -> None:
    agency.with_accounts("col.a1", "col.a2")
    limit = agency.services.settings.login_failures_per_user_and_client
    for attempt in range(limit):
        assert sign_in(agency, "col.a1", f"guess-{attempt}", "10.0.0.1").status_code == 401
    blocked = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "10.0.0.1")
    assert (blocked.status_code, blocked.get_json()["error"]["code"]) == (429, "login.rate_limited")
    assert int(blocked.headers["Retry-After"]) > 0
    assert sign_in(agency, "col.a2", "guess", "10.0.0.1").status_code == 401  # others unaffected
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "10.0.0.2").status_code == 201
    agency.services.clock.advance(minutes=agency.services.settings.login_window_minutes)
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "10.0.0.1").status_code == 201


def test_r_acc_5_failures_of_one_username_from_anywhere_are_limited(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    limit = agency.services.settings.login_failures_per_user
    for attempt in range(limit):
        assert sign_in(agency, "col.a1", f"guess-{attempt}", f"10.0.0.{attempt}").status_code == 401
    blocked = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "10.0.1.1")
    assert (blocked.status_code, blocked.get_json()["error"]["code"]) == (429, "login.rate_limited")
    assert sign_in(agency, "col.a2", "guess", "10.0.1.1").status_code == 401  # others unaffected
    agency.services.clock.advance(minutes=agency.services.settings.login_window_minutes)
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "10.0.1.1").status_code == 201


def test_r_acc_5_a_client_trying_many_usernames_is_limited(agency: Agency) -> None:
    with_limits(agency, login_usernames_per_client=3)
    agency.with_accounts("col.a1")
    for user in ("a", "b", "c"):
        assert sign_in(agency, user, "guess", "192.0.2.7").status_code == 401
    assert sign_in(agency, "a", "guess again", "192.0.2.7").status_code == 401  # counted once
    blocked = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "192.0.2.7")
    assert (blocked.status_code, blocked.get_json()["error"]["code"]) == (429, "login.rate_limited")
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "192.0.2.8").status_code == 201


def test_r_acc_5_one_busy_office_address_is_not_locked_out_by_its_staffs_typos(
    agency: Agency,
) -> None:
    """Everyone behind the office's one address mistypes, some of them repeatedly: the
    others still sign in, and so do they once they type it right."""
    office = "203.0.113.10"
    people = ["col.a1", "col.a2", "head.a", "head.b", "intern.a"]
    agency.with_accounts("col.a1", "col.a2", "intern.a")
    per_pair = agency.services.settings.login_failures_per_user_and_client
    for username in people[:-1]:
        for attempt in range(per_pair):
            assert sign_in(agency, username, f"typo-{attempt}", office).status_code == 401
    for username in people:
        response = sign_in(agency, username, BY_USERNAME[username].password, office)
        assert response.status_code == (429 if username != "intern.a" else 201), username
    assert sign_in(agency, "intern.a", BY_USERNAME["intern.a"].password, office).status_code == 201


def test_successful_logins_do_not_use_up_the_limit(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    for _ in range(agency.services.settings.login_failures_per_user_and_client + 2):
        assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password).status_code == 201


def test_login_counters_are_shared_by_every_instance(agency: Agency, settings, another_app) -> None:
    agency.with_accounts("col.a1")
    other = another_app(settings).test_client()
    limit = settings.login_failures_per_user_and_client
    for attempt in range(limit):
        client = agency.client if attempt % 2 else other
        response = client.post(
            "/api/v1/sessions", json={"username": "col.a1", "password": f"guess-{attempt}"}
        )
        assert response.status_code == 401
    response = other.post("/api/v1/sessions", json={"username": "col.a1", "password": "x"})
    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_limit_counts_the_real_client(
    agency: Agency, settings, another_app
) -> None:
    agency.with_accounts("col.a1")
    proxied = another_app(replace(settings, proxy_hops=1, login_failures_per_user_and_client=2))
    proxied = proxied.test_client()

    def attempt(client_address: str) -> int:
        return proxied.post(
            "/api/v1/sessions",
            json={"username": "x", "password": "y"},
            headers={"X-Forwarded-For": client_address},
        ).status_code

    assert [attempt("198.51.100.1") for _ in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.2") == 401  # another client behind the same proxy


def test_r_acc_5_what_a_proxy_passes_on_that_is_no_address_is_one_client(
    agency: Agency, settings, another_app
) -> None:
    """Made-up addresses neither reach the trail nor each get a limit of their own."""
    proxied = another_app(replace(settings, proxy_hops=1, login_failures_per_user_and_client=2))
    proxied = proxied.test_client()
    statuses = [
        proxied.post(
            "/api/v1/sessions",
            json={"username": "x", "password": "y"},
            headers={"X-Forwarded-For": forged},
        ).status_code
        for forged in ("garbage\u00e9", "not-an-ip", "999.1.1.1")
    ]
    assert statuses == [401, 401, 429]
    refused = [e for e in trail(agency) if e["action"] == "session.refused"]
    assert {event["client"] for event in refused} == {"invalid"}


@pytest.mark.parametrize("password", ["col.a1-secret\x07", "\ue000", "\u0085pass", "\U000e0001x"])
def test_r_acc_5_a_password_no_bind_may_carry_is_a_wrong_password_not_a_directory_outage(
    agency: Agency, password: str
) -> None:
    """A control, private-use or tag character in a password (found by fuzzing: it was a 503
    `directory.unavailable`) is refused as any wrong password is."""
    agency.with_accounts("col.a1")
    refused = sign_in(agency, "col.a1", password)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (401, "login.failed")
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password).status_code == 201


def test_r_acc_5_other_spellings_of_a_username_share_its_limit(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    for attempt in range(agency.services.settings.login_failures_per_user_and_client):
        assert sign_in(agency, "col.a1", f"guess-{attempt}", "10.0.2.1").status_code == 401
    for spelling in ("COL.A1", "ｃｏｌ.ａ１", "ＣＯＬ．Ａ１"):  # noqa: RUF001 (full-width on purpose)
        blocked = sign_in(agency, spelling, BY_USERNAME["col.a1"].password, "10.0.2.1")
        assert blocked.status_code == 429, spelling
