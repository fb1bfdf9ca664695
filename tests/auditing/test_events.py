"""Govern's events in the trail (R-AUD-1): one per login, refusal, logout, issue, change, denial."""

from __future__ import annotations

import threading

from sqlalchemy import select

from audit import store
from audit.entry import decode
from tests.support.agency import Agency, bearer


def trail(agency: Agency) -> list[dict]:
    with agency.services.engine.connect() as connection:
        entries = connection.scalars(select(store.events.c.entry).order_by(store.events.c.seq))
        return [decode(bytes(entry)) for entry in entries]


def test_r_aud_1_account_changes_and_sessions_are_in_the_trail(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    agency.client.delete("/api/v1/sessions/current", headers=bearer(token))
    agency.revoke(ids["col.a1"])
    actions = [(e["action"], e["actor"], e["object"]) for e in trail(agency)]
    assert actions == [
        ("directory.synced", None, actions[0][2]),
        ("account.issued", "operator:test", ids["gm"]),
        ("account.issued", ids["gm"], ids["head.a"]),
        ("account.issued", ids["gm"], ids["head.b"]),
        ("account.issued", ids["head.a"], ids["col.a1"]),
        ("session.opened", ids["col.a1"], ids["col.a1"]),
        ("session.closed", ids["col.a1"], ids["col.a1"]),
        ("account.revoked", "operator:test", ids["col.a1"]),
    ]
    assert [e["seq"] for e in trail(agency)] == list(range(1, 9))


def test_r_aud_1_refused_logins_name_the_account_never_the_words_typed(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    for username, password in (("col.a1", "wrong-guess"), ("my-secret-password", "x")):
        response = agency.client.post(
            "/api/v1/sessions", json={"username": username, "password": password}
        )
        assert response.status_code == 401
    refused = [e for e in trail(agency) if e["action"] == "session.refused"]
    assert [(e["object"], e["details"]["code"]) for e in refused] == [
        ("1004", "login.failed"),
        (None, "login.failed"),
    ]
    everything = str(trail(agency))
    assert "wrong-guess" not in everything and "my-secret-password" not in everything


def test_r_aud_1_a_denial_is_one_event_with_its_reason(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    response = agency.client.post(
        "/api/v1/accounts",
        json={"employee_number": "1005"},
        headers={**bearer(agency.login("col.a1")), "X-Request-Id": "req-42"},
    )
    assert response.status_code == 403 and response.headers["X-Request-Id"] == "req-42"
    denial = trail(agency)[-1]
    assert (denial["action"], denial["actor"], denial["details"]["code"]) == (
        "access.denied",
        ids["col.a1"],
        "role.action_denied",
    )
    assert (denial["request_id"], denial["client"]) == ("req-42", "127.0.0.1")


def test_r_aud_1_the_loser_of_an_issuing_race_leaves_no_event(agency: Agency) -> None:
    agency.with_accounts()
    token = agency.login("head.a")
    barrier = threading.Barrier(2)

    def issue() -> None:
        client = agency.app.test_client()
        barrier.wait()
        client.post("/api/v1/accounts", json={"employee_number": "1005"}, headers=bearer(token))

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    issued = [
        e
        for e in trail(agency)
        if e["action"] == "account.issued" and e["details"].get("employee") == "1005"
    ]
    assert len(issued) == 1
    assert [e["seq"] for e in trail(agency)] == list(range(1, len(trail(agency)) + 1))


def test_r_aud_1_an_applied_sync_names_ids_and_attributes_only(agency: Agency, directory) -> None:
    directory.set("col.a2", "cn", "胡静静")
    agency.sync()
    synced = trail(agency)[-1]
    assert synced["action"] == "directory.synced"
    assert synced["details"]["changed"] == {"1005": ["name"]}
    assert "胡静静" not in str(synced)


def test_r_aud_2_a_start_after_a_crash_anchors_what_was_left_unanchored(agency: Agency) -> None:
    from audit.verify import verify_trail

    agency.with_accounts("col.a1")  # events appended, no checkpoint yet: as after a crash
    trail_ = agency.services.trail

    def report():
        with trail_.engine.connect() as connection:
            return verify_trail(connection, trail_.signer.public_key, trail_.copy.read())

    assert report().unanchored == len(trail(agency))
    trail_.start()
    trail_.stop()
    after = report()
    assert after.ok and after.unanchored == 0
    assert [c.tree_size for c in trail_.copy.read()] == [len(trail(agency))]


def test_r_aud_1_a_denial_that_cannot_be_recorded_answers_503(agency: Agency, owner_engine) -> None:
    """Nothing is lost: when the trail cannot take the denial, the answer says so."""
    from sqlalchemy import text

    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    with owner_engine.begin() as connection:  # the trail's table is out of reach for a moment
        connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        response = agency.client.post(
            "/api/v1/accounts", json={"employee_number": "1005"}, headers=bearer(token)
        )
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        503,
        "audit.unavailable",
    )
