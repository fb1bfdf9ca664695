"""Leak investigations for auditors (R-AUD-3), over view events appended through the trail."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.auditing.test_events import trail
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW, SHANGHAI


@pytest.fixture
def ids(agency: Agency) -> dict[str, str]:
    return agency.with_accounts("col.a1", "col.a2", "col.b1", "auditor")


def view(
    agency: Agency,
    account: str,
    debtor: str,
    at: datetime,
    viewer_group: str = "pg-a1",
    debtor_group: str = "pg-a1",
    **levels: str,
) -> None:
    """A debtor view as the debtor issue will record it: one event, each field's level."""
    services = agency.services
    services.clock.set(at)
    with services.sessions() as db:
        services.trail.record(
            db,
            "debtor.viewed",
            account,
            debtor,
            how="view",
            fields=levels or {"phones": "full"},
            viewer_group=viewer_group,
            object_group=debtor_group,
        )
        db.commit()
    services.clock.set(NOW)


def ask(agency: Agency, path: str, username: str = "auditor", **params: str):
    return agency.client.get(
        f"/api/v1/audit/{path}", query_string=params, headers=bearer(agency.login(username))
    )


def test_r_aud_3_who_saw_this_debtors_phone(agency: Agency, ids: dict[str, str]) -> None:
    """R-ACS-3: every view is recorded (who, when, which debtor, which fields revealed), so an
    auditor can ask who saw a debtor's phone."""
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=3), phones="full", name="masked")
    view(agency, ids["col.a2"], "D-1", NOW - timedelta(days=2), phones="masked")
    view(agency, ids["col.b1"], "D-1", NOW - timedelta(days=1), phones="full")
    view(agency, ids["col.b1"], "D-2", NOW - timedelta(days=1), phones="full")
    response = ask(agency, "who-saw", debtor="D-1", field="phones")
    assert response.status_code == 200
    reveals = response.get_json()["reveals"]
    assert [r["account"] for r in reveals] == [ids["col.a1"], ids["col.b1"]]
    assert reveals[0]["at"].startswith("2026-11-25")
    query = trail(agency)[-1]
    assert (query["action"], query["actor"]) == ("audit.queried", ids["auditor"])
    assert query["details"] == {
        "query": "who_saw",
        "filters": {"debtor": "D-1", "field": "phones", "level": "full"},
        "results": 2,
    }


def test_r_aud_3_only_auditors_investigate(agency: Agency, ids: dict[str, str]) -> None:
    response = ask(agency, "who-saw", "head.a", debtor="D-1", field="phones")
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        403,
        "role.action_denied",
    )


def test_r_aud_3_what_did_this_person_see(agency: Agency, ids: dict[str, str]) -> None:
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=3), phones="full", name="full")
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=1), phones="full")
    view(agency, ids["col.a1"], "D-2", NOW - timedelta(days=2), phones="full", address="masked")
    seen = ask(agency, "seen", account=ids["col.a1"]).get_json()["debtors"]
    assert [(d["debtor"], d["fields"]) for d in seen] == [
        ("D-1", {"name": 1, "phones": 2}),
        ("D-2", {"phones": 1}),
    ]


def test_r_aud_3_leak_triage_puts_the_likely_source_on_top(
    agency: Agency, ids: dict[str, str]
) -> None:
    day = NOW - timedelta(days=10)
    for n in range(1, 5):
        view(agency, ids["col.a1"], f"D-{n}", day + timedelta(hours=n))
    for n in (1, 2):
        view(agency, ids["col.a2"], f"D-{n}", day)
    view(agency, ids["col.b1"], "D-5", day, phones="full", name="full")
    view(agency, ids["col.b1"], "D-9", day)  # not leaked
    token = agency.login("auditor")
    response = agency.client.post(
        "/api/v1/audit/investigations",
        headers=bearer(token),
        json={"debtor_ids": ["D-1", "D-2", "D-3", "D-4", "D-5"], "fields": ["phones"]},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert [(r["account"], r["debtors"]) for r in body["ranking"]] == [
        (ids["col.a1"], 4),
        (ids["col.a2"], 2),
        (ids["col.b1"], 1),
    ]
    assert body["ranking"][0]["first"] < body["ranking"][0]["last"]
    again = agency.client.get(f"/api/v1/audit/investigations/{body['id']}", headers=bearer(token))
    assert again.get_json()["ranking"] == body["ranking"]
    close = f"/api/v1/audit/investigations/{body['id']}/close"
    assert agency.client.post(close, headers=bearer(token)).status_code == 200
    assert agency.client.post(close, headers=bearer(token)).status_code == 409


def test_r_aud_3_unusual_access(agency: Agency, ids: dict[str, str], directory) -> None:
    services = agency.services
    agency.app.extensions["govern"] = replace(
        services, settings=replace(services.settings, bulk_views_per_hour=3)
    )
    morning = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    for n in range(5):  # five debtors in one hour
        view(agency, ids["col.a1"], f"D-{n}", morning + timedelta(minutes=n))
    view(agency, ids["col.a2"], "D-7", datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI))
    view(agency, ids["col.b1"], "D-8", morning, viewer_group="pg-b1", debtor_group="pg-a1")
    directory.set("col.a2", "governDepartureDate", "20261215000000Z")
    agency.sync()
    for day in range(10):  # a spike in the 30 days before departure
        view(
            agency, ids["col.a2"], f"D-{day}", datetime(2026, 11, 21 + day % 5, 11, tzinfo=SHANGHAI)
        )
    found = ask(
        agency,
        "unusual",
        **{"from": "2026-11-01T00:00:00+08:00", "to": "2026-12-31T00:00:00+08:00"},
    ).get_json()
    assert [(b["account"], b["debtors"]) for b in found["bulk"]] == [(ids["col.a1"], 5)]
    assert [v["actor"] for v in found["off_hours"]] == [ids["col.a2"]]
    assert [v["actor"] for v in found["outside_group"]] == [ids["col.b1"]]
    assert [s["account"] for s in found["before_departure"]] == [ids["col.a2"]]


def test_events_page_by_filter_and_export_as_csv(agency: Agency, ids: dict[str, str]) -> None:
    for n in range(5):
        view(agency, ids["col.a1"], "D-1", NOW - timedelta(hours=n + 1))
    view(agency, ids["col.a2"], "D-2", NOW - timedelta(hours=1))
    first = ask(agency, "events", debtor="D-1", field="phones", limit="3").get_json()
    assert len(first["events"]) == 3 and first["next_after"] == first["events"][-1]["seq"]
    rest = ask(
        agency, "events", debtor="D-1", field="phones", limit="3", after=str(first["next_after"])
    ).get_json()
    assert len(rest["events"]) == 2 and rest["next_after"] is None
    response = ask(agency, "events", action="debtor.viewed", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 6 and {r["object"] for r in rows} == {"D-1", "D-2"}


def test_bad_investigation_requests_change_nothing(agency: Agency, ids: dict[str, str]) -> None:
    before = len(trail(agency))
    wrong_window = ask(
        agency,
        "seen",
        account="x",
        **{"from": "2026-11-28T00:00:00+00:00", "to": "2026-11-01T00:00:00+00:00"},
    )
    assert (wrong_window.status_code, wrong_window.get_json()["error"]["code"]) == (
        400,
        "window.invalid",
    )
    missing = ask(agency, "who-saw", debtor="D-1")
    assert missing.status_code == 422 and "field" in missing.get_json()["error"]["fields"]
    naive = ask(agency, "seen", account="x", **{"from": "2026-11-01T00:00:00"})
    assert naive.status_code == 422
    actions = [e["action"] for e in trail(agency)[before:]]
    assert "audit.queried" not in actions


def test_the_console_investigates_with_a_progress_bar_and_is_audited(
    agency: Agency, ids: dict[str, str], tmp_path
) -> None:
    from govern.cli import cli

    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=1))
    view(agency, ids["col.a2"], "D-1", NOW - timedelta(days=1), phones="masked")
    leaked = tmp_path / "leaked.txt"
    leaked.write_text("D-1\nD-2\n\n")
    result = agency.app.test_cli_runner().invoke(
        cli, ["audit", "investigate", "--debtors", str(leaked), "--field", "phones"]
    )
    assert result.exit_code == 0, result.output
    assert "debtors checked" in result.stderr
    body = json.loads(result.stdout)
    assert [r["account"] for r in body["ranking"]] == [ids["col.a1"]]
    who = agency.app.test_cli_runner().invoke(cli, ["audit", "who-saw", "D-1", "phones"])
    assert [r["account"] for r in json.loads(who.stdout)] == [ids["col.a1"]]
    queried = [e for e in trail(agency) if e["action"] == "audit.queried"]
    assert [e["actor"].startswith("operator:") for e in queried] == [True, True]
    naive = agency.app.test_cli_runner().invoke(
        cli, ["audit", "seen", ids["col.a1"], "--from", "2026-11-01T00:00:00"]
    )
    assert naive.exit_code == 2 and "needs a zone" in naive.output


def test_night_shift_work_hours_wrap_past_midnight(agency: Agency, ids: dict[str, str]) -> None:
    from datetime import time

    services = agency.services
    agency.app.extensions["govern"] = replace(
        services, settings=replace(services.settings, work_hours=(time(22), time(6)))
    )
    view(agency, ids["col.a1"], "D-1", datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI))
    view(agency, ids["col.a2"], "D-2", datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI))
    found = ask(agency, "unusual", **{"from": "2026-11-19T00:00:00+08:00"}).get_json()
    assert [v["actor"] for v in found["off_hours"]] == [ids["col.a2"]]


def test_r_aud_3_views_per_hour_beside_the_groups_usual(
    agency: Agency, ids: dict[str, str]
) -> None:
    hour = NOW.replace(minute=0) - timedelta(hours=3)
    for n in range(6):
        view(agency, ids["col.a1"], f"D-{n}", hour + timedelta(minutes=n))
    view(agency, ids["col.a2"], "D-1", hour)
    view(agency, ids["col.a2"], "D-2", hour + timedelta(hours=1))
    view(agency, ids["col.b1"], "D-1", hour, viewer_group="pg-b1")  # another group
    response = ask(agency, "views-per-hour", account=ids["col.a1"])
    assert response.status_code == 200
    body = response.get_json()
    assert (body["group"], body["peers"], len(body["hours"])) == ("pg-a1", 1, 7 * 24)
    busy = {h["hour"]: (h["views"], h["usual"]) for h in body["hours"] if h["views"] or h["usual"]}
    assert busy == {
        hour.astimezone(UTC).isoformat(): (6, 1.0),
        (hour + timedelta(hours=1)).astimezone(UTC).isoformat(): (0, 1.0),
    }
    query = trail(agency)[-1]
    assert query["details"] == {
        "query": "views_per_hour",
        "filters": {"account": ids["col.a1"]},
        "results": 6,
    }
    too_long = ask(
        agency, "views-per-hour", account=ids["col.a1"], **{"from": "2026-09-01T00:00:00+08:00"}
    )
    assert (too_long.status_code, too_long.get_json()["error"]["code"]) == (400, "window.too_long")


def test_r_aud_3_a_leak_naming_a_field_the_policy_lacks_is_refused_not_cleared(
    agency: Agency, ids: dict[str, str]
) -> None:
    """A misspelt leaked field would rank nobody: a false all-clear. It is refused."""
    token = agency.login("auditor")
    response = agency.client.post(
        "/api/v1/audit/investigations",
        headers=bearer(token),
        json={"debtor_ids": ["D-1"], "fields": ["phone"]},
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "field.unknown")
