"""Accounts end at the departure instant, on schedule, at start-up and by sweep, exactly once
(R-ACC-4, R-ACC-6, R-ACC-2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Flask
from sqlalchemy import select

from audit.store import events
from govern.cli import cli
from govern.config import Settings
from govern.deprovision.service import revoke_due
from tests.support.agency import Agency, bearer
from tests.support.slapd import WRITER_DN, Slapd


def sweep(agency: Agency):  # type: ignore[no-untyped-def]
    s = agency.services
    with s.sessions() as db:
        return revoke_due(db, s.context())


def set_date(agency: Agency, who: str, number: str, day: str) -> tuple[int, dict]:
    response = agency.client.put(
        f"/api/v1/staff/{number}/departure", json={"date": day}, headers=bearer(agency.login(who))
    )
    return response.status_code, response.get_json()


def test_r_acc_4_an_account_is_revoked_at_its_departure_instant_with_its_session(
    agency: Agency,
) -> None:
    ids = agency.with_accounts("col.a1", "it")
    clock = agency.services.clock
    # NOW is 2026-11-28 10:00 in Shanghai; departures take effect at 18:00 (GOVERN_REVOKE_AT).
    status, body = set_date(agency, "it", "1004", "2026-11-28")
    assert (status, body["state"], body["instant"]) == (
        200,
        "scheduled",
        "2026-11-28T10:00:00+00:00",
    )
    token = agency.login("col.a1")
    clock.set(clock.now().replace(hour=9, minute=59, second=59))  # one second before, UTC
    assert sweep(agency).revoked == []
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 200
    clock.advance(seconds=1)
    assert sweep(agency).revoked == [ids["col.a1"]]
    assert agency.account(ids["col.a1"]).state == "revoked"
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401
    assert sweep(agency).revoked == []  # idempotent
    response = agency.client.get(
        "/api/v1/departures?from=2026-11-01&to=2026-11-30", headers=bearer(agency.login("it"))
    )
    mine = next(d for d in response.get_json()["departures"] if d["employee_number"] == "1004")
    assert (mine["state"], mine["due_at"], mine["revoked_at"]) == (
        "revoked",
        "2026-11-28T10:00:00+00:00",
        "2026-11-28T10:00:00+00:00",
    )


def test_r_acc_4_a_back_dated_departure_revokes_at_once_and_records_the_lag(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1", "hr")
    status, body = set_date(agency, "hr", "1004", "2026-11-20")
    assert (status, body["state"]) == (200, "revoked")
    assert body["due_at"] == "2026-11-20T10:00:00+00:00"
    assert body["revoked_at"] == "2026-11-28T02:00:00+00:00"  # eight days late, and shown
    assert agency.account(ids["col.a1"]).state == "revoked"


def test_departure_dates_are_checked_and_a_bad_one_changes_nothing(agency: Agency) -> None:
    agency.with_accounts("col.a1", "it")
    token = agency.login("it")
    for path, body, expected in (
        ("/api/v1/staff/1004/departure", {"date": "2026-13-01"}, (422, "request.invalid")),
        ("/api/v1/staff/1004/departure", {"date": "2023-12-31"}, (400, "departure.before_hire")),
        ("/api/v1/staff/9999/departure", {"date": "2026-12-31"}, (404, "identity.unknown")),
    ):
        response = agency.client.put(path, json=body, headers=bearer(token))
        assert (response.status_code, response.get_json()["error"]["code"]) == expected
    response = agency.client.put(
        "/api/v1/staff/1004/departure",
        json={"date": "2026-12-31"},
        headers=bearer(agency.login("col.a1")),
    )
    assert response.status_code == 403
    response = agency.client.put(
        "/api/v1/staff/1008/departure", json={"date": "2026-12-31"}, headers=bearer(token)
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "departure.own")
    listed = agency.client.get(
        "/api/v1/departures?from=2026-01-01&to=2027-12-31", headers=bearer(token)
    ).get_json()["departures"]
    assert [d["employee_number"] for d in listed] == ["1011"]  # only the directory's leaver


def test_r_acc_4_the_earlier_of_directory_and_override_counts_and_a_conflict_is_shown(
    agency: Agency, directory: object
) -> None:
    agency.with_accounts("col.a1", "it")
    directory.set("col.a1", "governDepartureDate", "20261231000000Z")  # type: ignore[attr-defined]
    agency.sync()
    _, body = set_date(agency, "it", "1004", "2026-12-15")
    assert (body["directory_date"], body["override"], body["effective"], body["conflict"]) == (
        "2026-12-31",
        "2026-12-15",
        "2026-12-15",
        True,
    )
    directory.set("col.a1", "governDepartureDate", "20270131000000Z")  # type: ignore[attr-defined]
    agency.sync()  # the sync never changes Govern's date
    listed = agency.client.get(
        "/api/v1/departures?from=2026-12-01&to=2026-12-31", headers=bearer(agency.login("it"))
    ).get_json()["departures"]
    assert [(d["employee_number"], d["effective"]) for d in listed] == [("1004", "2026-12-15")]


def test_r_acc_2_a_rehired_person_gets_a_new_account_and_the_old_id_stays_retired(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "it")
    set_date(agency, "it", "1004", "2026-11-20")
    assert agency.account(ids["col.a1"]).state == "revoked"
    agency.services.clock.advance(days=3)  # Govern's date of the old employment stays
    directory.set("col.a1", "governHireDate", "20261201000000Z")  # type: ignore[attr-defined]
    agency.sync()
    again = agency.issue("col.a1", "head.a")
    assert again != ids["col.a1"]
    assert agency.account(ids["col.a1"]).state == "revoked"


def test_r_acc_4_the_directory_entry_is_locked_when_govern_may_write_there(
    agency: Agency, another_app: Callable[[Settings], Flask], slapd: Slapd
) -> None:
    """With a writer account configured, a departed person's entry gets ppolicy's permanent
    lock: the directory itself refuses their password, whatever asks."""
    ids = agency.with_accounts("col.a1", "it")
    writer = replace(
        agency.services.settings,
        ldap_writer_dn=WRITER_DN,
        ldap_writer_password=slapd.writer_password,
    )
    app = another_app(writer)
    with_writer = Agency(app, app.test_client())
    assert with_writer.services.directory.authenticate("col.a1", "col.a1-secret") == "1004"
    status, body = set_date(with_writer, "it", "1004", "2026-11-20")
    assert (status, body["state"]) == (200, "revoked")
    assert with_writer.services.directory.authenticate("col.a1", "col.a1-secret") is None
    assert agency.services.directory.authenticate("col.a2", "col.a2-secret") == "1005"
    s = agency.services
    with s.engine.connect() as connection:
        locked = (
            connection.execute(
                select(events.c.object).where(events.c.action == "directory.entry_locked")
            )
            .scalars()
            .all()
        )
    assert locked == [ids["col.a1"]]


def test_without_a_writer_the_directory_is_left_alone(agency: Agency) -> None:
    agency.with_accounts("col.a1", "it")
    set_date(agency, "it", "1004", "2026-11-20")
    assert agency.services.directory.authenticate("col.a1", "col.a1-secret") == "1004"


def test_r_acc_4_a_failed_directory_lock_is_shown_and_retried_by_the_next_sweep(
    agency: Agency, another_app: Callable[[Settings], Flask], slapd: Slapd
) -> None:
    agency.with_accounts("col.a1", "it")
    wrong = replace(agency.services.settings, ldap_writer_dn=WRITER_DN, ldap_writer_password="no")
    app = another_app(wrong)
    broken = Agency(app, app.test_client())
    status, body = set_date(broken, "it", "1004", "2026-11-20")
    assert (status, body["state"], body["last_error"]) == (
        200,
        "revoked",
        "directory.disable_failed",
    )
    assert agency.services.directory.authenticate("col.a1", "col.a1-secret") == "1004"
    right = replace(wrong, ldap_writer_password=slapd.writer_password)
    fixed = another_app(right).extensions["govern"]
    with fixed.sessions() as db:
        revoke_due(db, fixed.context(), directory=fixed.directory)
    assert agency.services.directory.authenticate("col.a1", "col.a1-secret") is None


def test_r_acc_4_govern_deprovision_run_lists_what_is_due_then_revokes_it(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1", "it")
    runner = agency.app.test_cli_runner()
    dry = runner.invoke(cli, ["deprovision", "run", "--dry-run"])
    assert (dry.exit_code, dry.output) == (0, "0 due (dry run, nothing changed)\n")
    set_date(agency, "it", "1004", "2026-11-28")
    agency.services.clock.set(agency.services.clock.now().replace(hour=10))  # 18:00 Shanghai
    dry = runner.invoke(cli, ["deprovision", "run", "--dry-run"])
    assert dry.output == f"1 due (dry run, nothing changed)\n  {ids['col.a1']}\n"
    assert agency.account(ids["col.a1"]).state == "active"
    done = runner.invoke(cli, ["deprovision", "run"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("1 revoked, 0 failed; 0 accounts unused for 90 days suspended")
    assert agency.account(ids["col.a1"]).state == "revoked"
