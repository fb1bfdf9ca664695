"""Viewing debtor data: field by field, by role, project group and training; every look
recorded before anything leaves (R-ACS-1, R-ACS-2, R-ACS-3, R-ACC-6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import Flask
from sqlalchemy import Engine, event, text

from govern.accounts.service import reactivate_account, suspend_account
from govern.actor import Actor, Staff
from govern.config import Settings
from tests.support.agency import Agency, bearer
from tests.support.floor import Floor


def withheld(body: dict) -> dict[str, str]:
    return {w["field"]: w["reason"] for w in body["withheld"]}


def test_r_acs_1_an_intern_sees_no_phone_until_trained_then_sees_it(floor: Floor) -> None:
    status, body = floor.view("intern.a", "C-001")
    assert status == 200
    assert "phones" not in body["fields"]
    assert withheld(body)["phones"] == "training.system-use.missing"
    assert withheld(body)["name"] == "training.system-use.missing"
    assert body["fields"]["project_group"] == "pg-a1"  # needs no training

    floor.certify("intern.a")
    status, body = floor.view("intern.a", "C-001")
    assert (body["fields"]["phones"], body["levels"]["phones"]) == (["138****5678"], "masked")
    status, body = floor.reveal("intern.a", "C-001", ["phones"])
    assert (status, body["fields"]["phones"]) == (200, ["13812345678"])


def test_r_acs_2_a_collector_sees_each_field_at_the_most_their_role_gets(floor: Floor) -> None:
    status, body = floor.view("col.a1", "C-001")
    assert status == 200
    assert body["fields"]["name"] == "张三"
    assert body["fields"]["id_number"] == "1101**********" + body["fields"]["id_number"][-4:]
    assert body["fields"]["address"] == "浙江省杭州市****"
    assert body["fields"]["emergency_contacts"] == [
        {"name": "李*", "relation": "朋友", "phone": "137****2222"}
    ]
    assert body["levels"] == {
        "name": "full",
        "phones": "masked",
        "id_number": "masked",
        "address": "masked",
        "family": "masked",
        "employer": "full",
        "emergency_contacts": "masked",
        "client": "full",
        "amount_owed": "full",
        "days_overdue": "full",
        "project_group": "full",
    }
    assert body["fields"]["amount_owed"] == "12800.50"
    assert body["withheld"] == []


def test_r_acs_2_a_collector_of_another_project_group_sees_nothing(floor: Floor) -> None:
    status, body = floor.view("col.a2", "C-001")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    assert "fields" not in body
    denial = floor.events("access.denied")[-1]
    assert (denial["actor"], denial["object"], denial["details"]["code"]) == (
        floor.ids["col.a2"],
        floor.debtors["C-001"],
        "debtor.not_assigned",
    )


def test_r_acs_2_roles_without_policy_lines_get_nothing(floor: Floor) -> None:
    status, body = floor.view("hr", "C-001")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")


def test_r_acs_3_every_view_is_recorded_with_the_fields_revealed_and_how(floor: Floor) -> None:
    floor.view("col.a1", "C-001")
    floor.reveal("col.a1", "C-001", ["phones"], "debtor_request")
    viewed, revealed = floor.events("debtor.viewed"), floor.events("debtor.revealed")
    assert len(viewed) == 1 and len(revealed) == 1
    details = viewed[0]["details"]
    assert viewed[0]["actor"] == floor.ids["col.a1"]
    assert viewed[0]["object"] == floor.debtors["C-001"]
    assert (details["viewer_group"], details["object_group"], details["reach"]) == (
        "pg-a1",
        "pg-a1",
        "project_group",
    )
    assert details["fields"]["name"] == "full"
    assert details["fields"]["phones"] == "masked"
    assert revealed[0]["details"]["fields"] == {"phones": "full"}
    assert revealed[0]["details"]["purpose"] == "debtor_request"
    assert viewed[0]["request_id"] and viewed[0]["client"]
    text_of_trail = str(viewed + revealed)
    assert "张三" not in text_of_trail and "13812345678" not in text_of_trail

    status, body = floor.call(
        "GET",
        "/api/v1/audit/who-saw",
        "auditor",
        query_string={
            "debtor": floor.debtors["C-001"],
            "field": "phones",
            "from": "2025-01-01T00:00:00Z",
            "to": "2030-01-01T00:00:00Z",
        },
    )
    assert status == 200
    assert [row["account"] for row in body["reveals"]] == [floor.ids["col.a1"]]


def test_r_acs_3_when_the_trail_cannot_record_the_view_nothing_is_shown(
    floor: Floor, owner_engine: Engine
) -> None:
    token = floor.agency.login("col.a1")
    with owner_engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        response = floor.agency.client.get(
            f"/api/v1/debtors/{floor.debtors['C-001']}", headers=bearer(token)
        )
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    body = response.get_json()
    assert (response.status_code, body["error"]["code"]) == (503, "audit.unavailable")
    assert "张三" not in response.get_data(as_text=True)


def test_r_acc_6_a_revoked_accounts_open_session_is_refused_on_its_next_request(
    floor: Floor,
) -> None:
    token = floor.agency.login("col.a1")
    path = f"/api/v1/debtors/{floor.debtors['C-001']}"
    assert floor.agency.client.get(path, headers=bearer(token)).status_code == 200
    floor.agency.revoke(floor.ids["col.a1"])
    response = floor.agency.client.get(path, headers=bearer(token))
    assert response.status_code == 401
    assert "张三" not in response.get_data(as_text=True)


def test_r_acc_6_a_suspended_account_is_refused_at_once_and_served_again_when_reinstated(
    floor: Floor,
) -> None:
    token = floor.agency.login("col.a1")
    path = f"/api/v1/debtors/{floor.debtors['C-001']}"
    s = floor.agency.services
    with s.sessions() as db:
        suspend_account(
            db, s.context(), floor.ids["col.a1"], "operator:test", "on leave", "security"
        )
    assert floor.agency.client.get(path, headers=bearer(token)).status_code == 401
    it = Staff("console", "", frozenset({"it"}))
    with s.sessions() as db:
        reactivate_account(db, s.context(), Actor(it, "operator:test"), floor.ids["col.a1"], "back")
    assert floor.view("col.a1", "C-001")[0] == 200  # signed in afresh


def test_r_acc_6_a_certification_recorded_through_one_instance_counts_at_the_next_view_of_another(
    floor: Floor, another_app: Callable[[Settings], Flask]
) -> None:
    """The other instance has just decided for the intern, their training record kept."""
    other = another_app(floor.agency.services.settings)
    elsewhere = Floor(Agency(other, other.test_client()), floor.clock, floor.ids, floor.debtors)
    status, body = elsewhere.view("intern.a", "C-001")
    assert (status, withheld(body)["phones"]) == (200, "training.system-use.missing")
    floor.certify("intern.a")
    status, body = elsewhere.view("intern.a", "C-001")
    assert (status, body["fields"]["phones"]) == (200, ["138****5678"])


def test_r_acs_1_a_viewers_training_record_is_read_again_only_once_it_has_grown(
    floor: Floor,
) -> None:
    """Every view checks how many entries the record holds (with the policy version); the
    record itself is read when the process has none kept or it has grown."""
    token = floor.agency.login("intern.a")
    path = f"/api/v1/debtors/{floor.debtors['C-001']}"

    def records_read() -> tuple[int, dict]:
        read = [0]

        def count(_c: object, _k: object, sql: str, *_: object) -> None:
            read[0] += "UNION ALL" in sql.upper() and "agreement_signatures" in sql

        event.listen(floor.agency.services.engine, "before_cursor_execute", count)
        try:
            response = floor.agency.client.get(path, headers=bearer(token))
        finally:
            event.remove(floor.agency.services.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return read[0], withheld(response.get_json())

    (first, before), (again, same) = records_read(), records_read()
    assert (first, again, same) == (1, 0, before)
    floor.certify("intern.a")
    read, refused = records_read()
    assert (read, "phones" in refused) == (1, False)
    assert records_read()[0] == 0


def test_r_acc_6_a_lapsed_certification_changes_the_next_decision_of_every_instance(
    floor: Floor, another_app: Callable[[Settings], Flask]
) -> None:
    """Another instance, with yearly recertification, a year on: the passes have lapsed."""
    yearly = another_app(replace(floor.agency.services.settings, recertify_days=365))
    elsewhere = Floor(Agency(yearly, yearly.test_client()), floor.clock, floor.ids, floor.debtors)
    assert elsewhere.view("col.a1", "C-001")[1]["fields"]["name"] == "张三"
    floor.clock.advance(days=366)
    status, body = elsewhere.view("col.a1", "C-001")
    assert status == 200
    assert withheld(body)["name"] == "training.system-use.missing"
    assert "name" not in body["fields"]
