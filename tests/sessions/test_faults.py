"""Sign-in and sign-out when something fails: the audit trail, the directory, the database.

Every refused sign-in is one `session.refused` event (R-ACC-5), whatever refused it; while the
trail cannot be written nothing changes and the answer is 503 `audit.unavailable`; a directory
outage is nobody's failed attempt, and sign-in works again the moment the directory is back.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, func, select, text

from audit.store import APPEND_LOCK
from govern.clock import FixedClock
from govern.sessions.models import LoginSession
from tests.auditing.test_events import trail
from tests.sessions.test_pages import csrf_token
from tests.support.agency import Agency, bearer
from tests.support.slapd import Slapd
from tests.support.staff import BY_USERNAME
from tests.training.conftest import PEOPLE, Desk

HTTPS = "https://localhost"
SAME_SITE = {"base_url": HTTPS, "headers": {"Referer": f"{HTTPS}/"}}  # as a browser posts


@contextmanager
def table_away(owner_engine: Engine, table: str) -> Iterator[None]:
    """`table` is out of reach (renamed) for the block: a real failure, no mock."""
    with owner_engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_away"))
    try:
        yield
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {table}_away RENAME TO {table}"))


def sign_in(agency: Agency, username: str, password: str, client: str = "127.0.0.1"):
    return agency.client.post(
        "/api/v1/sessions",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": client},
    )


def refusals(agency: Agency) -> list[dict]:
    return [e for e in trail(agency) if e["action"] == "session.refused"]


def open_sessions(agency: Agency) -> int:
    with agency.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(LoginSession))


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


# --- the trail cannot be written ------------------------------------------------------------


def test_r_acc_5_signing_in_while_the_trail_cannot_be_written_answers_503_and_opens_nothing(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts("col.a1")
    with table_away(owner_engine, "audit_events"):
        right = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password)
        wrong = sign_in(agency, "col.a1", "wrong")
    assert error_of(right) == (503, "audit.unavailable")
    assert error_of(wrong) == (503, "audit.unavailable")
    assert open_sessions(agency) == 0
    assert sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password).status_code == 201


def test_r_acc_5_the_sign_in_page_answers_503_while_the_trail_cannot_be_written(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    form = {"csrf_token": csrf_token(client, "/login"), "username": "col.a1"}
    with table_away(owner_engine, "audit_events"):
        response = client.post("/login", data={**form, "password": BY_USERNAME["col.a1"].password})
    assert response.status_code == 503
    assert "审计记录无法写入" in response.get_data(as_text=True)  # the page speaks Chinese
    assert "govern_session" not in response.headers.get("Set-Cookie", "")
    assert open_sessions(agency) == 0


def test_r_aud_1_a_state_change_while_the_trail_cannot_be_written_answers_503_and_changes_nothing(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts()
    token = agency.login("head.a")
    with table_away(owner_engine, "audit_events"):
        response = agency.client.post(
            "/api/v1/accounts",
            json={"employee_number": BY_USERNAME["col.a1"].number},
            headers=bearer(token),
        )
    assert error_of(response) == (503, "audit.unavailable")
    listed = agency.client.get("/api/v1/accounts", headers=bearer(token)).get_json()
    assert BY_USERNAME["col.a1"].number not in str(listed)


def test_r_aud_1_signing_out_while_the_trail_cannot_be_written_says_you_are_still_signed_in(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    with table_away(owner_engine, "audit_events"):
        response = agency.client.delete("/api/v1/sessions/current", headers=bearer(token))
    assert error_of(response) == (503, "audit.unavailable")
    assert "still signed in" in response.get_json()["error"]["message"]
    current = agency.client.get("/api/v1/sessions/current", headers=bearer(token))
    assert current.status_code == 200  # what the message said: the session is still open
    ended = agency.client.delete("/api/v1/sessions/current", headers=bearer(token))
    assert ended.status_code == 204
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401


def test_r_aud_1_signing_out_on_the_page_while_the_trail_is_unwritable_keeps_you_signed_in(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    signed_in = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "username": "col.a1",
            "password": BY_USERNAME["col.a1"].password,
        },
    )
    assert signed_in.status_code == 302
    home = client.get("/", base_url=HTTPS).get_data(as_text=True)
    token = csrf_token_in(home)
    with table_away(owner_engine, "audit_events"):
        response = client.post("/logout", data={"csrf_token": token}, **SAME_SITE)
    assert response.status_code == 503
    assert "您仍处于登录状态" in response.get_data(as_text=True)
    assert "govern_session" not in response.headers.get("Set-Cookie", "")  # cookie kept
    assert client.get("/", base_url=HTTPS).status_code == 200
    out = client.post("/logout", data={"csrf_token": token}, **SAME_SITE)
    assert out.status_code == 302 and open_sessions(agency) == 0


def csrf_token_in(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


# --- every refused sign-in is audited -------------------------------------------------------


def test_r_acc_5_refused_input_on_the_sign_in_routes_is_audited_without_what_was_typed(
    agency: Agency,
) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    before = len(refusals(agency))
    answers = [
        client.post("/api/v1/sessions", json={"username": "typed-user-1"}),  # no password
        client.post(
            "/api/v1/sessions",
            data='{"username": "typed-user-2", "password": "typed-secret-2"}',
            content_type="text/plain",
        ),
        client.post("/api/v1/sessions", json={"username": "typed\x00user", "password": "p"}),
        client.post(
            "/api/v1/sessions",
            data='{"username": "typed\\ud800user", "password": "p"}',
            content_type="application/json",
        ),
        client.post("/login", data={"username": "typed-user-3", "password": "typed-secret-3"}),
        client.post(
            "/login",
            data={"csrf_token": csrf_token(client, "/login"), "username": "typed-user-4"},
        ),
    ]
    assert all(400 <= answer.status_code < 500 for answer in answers)
    events = refusals(agency)[before:]
    assert [e["details"]["channel"] for e in events] == ["api"] * 4 + ["page"] * 2
    assert events[-1]["details"]["code"] == "login.form_invalid"
    assert all(e["object"] is None for e in events)
    everything = str(events)
    assert "typed" not in everything and "secret" not in everything


def test_r_acc_5_an_unexpected_error_while_signing_in_is_audited_as_a_refusal(
    agency: Agency, owner_engine: Engine
) -> None:
    agency.with_accounts("col.a1")
    with table_away(owner_engine, "sessions"):
        response = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password)
    assert error_of(response) == (500, "internal")
    last = refusals(agency)[-1]
    assert (last["object"], last["details"]["code"]) == (BY_USERNAME["col.a1"].number, "internal")


def test_sql_parameters_never_reach_the_server_log(
    agency: Agency, owner_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A database error while refusing a sign-in is logged with its statement, never with the
    username that was typed (its parameter)."""
    agency.with_accounts("col.a1")
    with caplog.at_level(logging.ERROR), table_away(owner_engine, "identities"):
        response = sign_in(agency, "someone.typed-this", "a-password")
    assert response.status_code == 401
    assert "identities" in caplog.text  # the database error was logged...
    assert "someone.typed-this" not in caplog.text  # ...without what was typed
    assert refusals(agency)[-1]["details"]["code"] == "login.failed"


# --- the directory is out -------------------------------------------------------------------


def test_r_acc_5_a_directory_outage_does_not_count_against_the_sign_in_limits(
    outage_agency: Agency, own_slapd: Slapd
) -> None:
    agency = outage_agency
    agency.with_accounts("col.a1")
    settings = agency.services.settings
    tries = max(settings.login_failures_per_user, settings.login_usernames_per_client) + 1
    own_slapd.stop()
    try:
        answers = [
            error_of(sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "203.0.113.10"))
            for _ in range(tries)
        ]
    finally:
        own_slapd.start()
    assert answers == [(503, "directory.unavailable")] * tries
    events = refusals(agency)[-tries:]
    assert [e["details"]["code"] for e in events] == ["directory.unavailable"] * tries
    back = sign_in(agency, "col.a1", BY_USERNAME["col.a1"].password, "203.0.113.10")
    assert back.status_code == 201  # at once: no lock-out, no wait for the directory


def test_r_acc_5_sign_in_works_again_the_moment_the_directory_is_back(
    outage_agency: Agency, own_slapd: Slapd
) -> None:
    agency = outage_agency
    agency.with_accounts("col.a1", "col.a2")
    own_slapd.stop()
    try:
        assert error_of(sign_in(agency, "col.a1", "x")) == (503, "directory.unavailable")
    finally:
        own_slapd.start()
    for username in ("col.a1", "col.a2"):
        assert sign_in(agency, username, BY_USERNAME[username].password).status_code == 201


# --- refusals answered with 409 -------------------------------------------------------------


def test_r_aud_1_a_conflict_refusal_is_audited_like_a_denial(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    agency.revoke(ids["col.a1"])
    response = agency.client.post(
        f"/api/v1/accounts/{ids['col.a1']}/reactivation",
        json={"reason": "back from leave"},
        headers=bearer(agency.login("head.a")),
    )
    assert error_of(response) == (409, "account.revoked")
    denial = trail(agency)[-1]
    assert (denial["action"], denial["actor"], denial["details"]["code"]) == (
        "access.denied",
        ids["head.a"],
        "account.revoked",
    )


@pytest.mark.postgresql_only
def test_r_aud_1_a_state_change_waits_for_the_trails_lock_only_so_long(
    agency: Agency, owner_engine: Engine
) -> None:
    """Someone holds the trail's append lock: a state change is refused with 503 after the
    trail's lock wait, instead of holding its request for as long as the lock is held."""
    agency.with_accounts()
    token = agency.login("head.a")
    agency.services.trail.lock_seconds = 0.5
    with owner_engine.connect() as holder:
        held = holder.begin()
        holder.execute(select(func.pg_advisory_xact_lock(APPEND_LOCK)))
        release = threading.Timer(5, held.rollback)  # were the wait unbounded: 5 s, then 201
        release.start()
        started = time.monotonic()
        response = agency.client.post(
            "/api/v1/accounts",
            json={"employee_number": BY_USERNAME["col.a1"].number},
            headers=bearer(token),
        )
        waited = time.monotonic() - started
        release.cancel()
    assert error_of(response) == (503, "audit.unavailable")
    assert waited < 5
    again = agency.client.post(
        "/api/v1/accounts",
        json={"employee_number": BY_USERNAME["col.a1"].number},
        headers=bearer(token),
    )
    assert again.status_code == 201


@pytest.mark.postgresql_only
def test_r_aud_1_the_trails_lock_wait_ends_with_the_append(
    agency: Agency, owner_engine: Engine
) -> None:
    """The trail's short lock wait covers its own lock only: a suspension that, after its
    event is appended, waits longer than that for a session row someone else holds, waits
    for it and succeeds, instead of ending in a 500 (lock_timeout, 55P03)."""
    ids = agency.with_accounts("col.a1", "it")
    signed_in, it = agency.login("col.a1"), agency.login("it")
    agency.services.trail.lock_seconds = 0.3
    with owner_engine.connect() as holder:
        held = holder.begin()
        holder.execute(
            select(LoginSession.token_hash)
            .where(LoginSession.account_id == ids["col.a1"])
            .with_for_update()
        ).all()
        release = threading.Timer(1.5, held.rollback)  # five times the trail's wait
        release.start()
        started = time.monotonic()
        response = agency.client.post(
            f"/api/v1/accounts/{ids['col.a1']}/suspension",
            json={"kind": "security", "reason": "suspected data leak"},
            headers=bearer(it),
        )
        waited = time.monotonic() - started
        release.join()
    assert (response.status_code, response.get_json()["state"]) == (200, "suspended")
    assert waited >= 1.0
    current = agency.client.get("/api/v1/sessions/current", headers=bearer(signed_in))
    assert current.status_code == 401
    events = [e["action"] for e in trail(agency)]
    assert events.count("account.suspended") == 1


def test_r_aud_1_an_exam_result_refused_while_an_hr_case_is_open_is_audited(
    agency: Agency, clock: FixedClock
) -> None:
    desk = Desk(agency, clock, agency.with_accounts(*PEOPLE))
    desk.result("CMP-CONDUCT", "col.a1", 60)
    assert desk.result("CMP-CONDUCT", "col.a1", 75)[1]["next_step"] == "hr_case_open"
    status, body = desk.result("CMP-CONDUCT", "col.a1", 95)
    assert (status, body["error"]["code"]) == (409, "exam.hr_case_open")
    denial = trail(agency)[-1]
    assert (denial["action"], denial["actor"], denial["details"]["code"]) == (
        "access.denied",
        desk.ids["trainer"],
        "exam.hr_case_open",
    )
    assert len(desk.events("exam.result.recorded")) == 2  # the refused result was not kept
