"""The leak report (issue 18, item 3; PIPL Art. 57): its facts checked against a trail the test
writes, each inclusion proof checked offline with the public key alone, the 4-hour clock by the
injected clock, the PDF and the affected debtors' CSV, and every production audited."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, text

from audit import store
from audit.entry import Record, decode
from audit.offline import verify_proof
from govern.access.policy import access_policy
from govern.auditing.trail import public_half
from govern.directory.models import Identity
from govern.errors import ConfigError
from govern.investigations import leak_report, rules
from govern.investigations.categories import categories, category_of
from govern.investigations.exposure import shown
from tests.auditing.test_cli import offline
from tests.auditing.test_events import trail
from tests.investigations.test_investigations import view
from tests.investigations.test_pages import post
from tests.investigations.test_query_timeout import limit_queries
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW
from tests.support.database import as_owner_without_triggers
from tests.support.floor import Floor
from tests.support.notes import plain_note
from tests.support.pages import HTTPS, page_session, wait_for

ENGLISH = {"Accept-Language": "en"}

START, END = NOW - timedelta(days=5), NOW
POLICIES = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture
def ids(agency: Agency) -> dict[str, str]:
    return agency.with_accounts("col.a1", "col.a2", "col.b1", "auditor")


@pytest.fixture
def token(agency: Agency, ids: dict[str, str]) -> str:
    return agency.login("auditor")


def written(agency: Agency, ids: dict[str, str]) -> None:
    """Views by several accounts, in the window and out of it, of leaked debtors and others."""
    a1, a2, b1 = ids["col.a1"], ids["col.a2"], ids["col.b1"]
    view(agency, a1, "D-1", NOW - timedelta(days=3), phones="full", name="masked")
    view(agency, a2, "D-1", NOW - timedelta(days=2), phones="masked")  # masked only
    view(agency, a1, "D-2", NOW - timedelta(days=2), name="full", id_number="full")
    view(agency, b1, "D-3", NOW - timedelta(days=1), family="full", amount_owed="full")
    view(agency, b1, "D-1", NOW - timedelta(days=7), phones="full")  # before the window
    view(agency, a2, "D-9", NOW - timedelta(days=1), phones="full")  # not a leaked debtor
    agency.revoke(b1)


def opened(agency: Agency, token: str, **scope: Any) -> str:
    body = {"from": START.isoformat(), "to": END.isoformat(), **scope}
    response = agency.client.post("/api/v1/audit/investigations", headers=bearer(token), json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def reported(agency: Agency, token: str, investigation: str, **body: str):
    return agency.client.post(
        f"/api/v1/audit/investigations/{investigation}/report", headers=bearer(token), json=body
    )


@pytest.fixture
def leak(agency: Agency, ids: dict[str, str], token: str) -> str:
    """Leaked D-1, D-2, D-3: the trail written, the investigation opened, a checkpoint signed,
    then one more view in the window that no checkpoint signs yet."""
    written(agency, ids)
    investigation = opened(agency, token, debtor_ids=["D-1", "D-2", "D-3"])
    agency.services.trail.checkpoint_now()  # none when the committer just signed one
    view(agency, ids["col.a2"], "D-2", NOW - timedelta(hours=2), employer="full")
    return investigation


def test_leak_report_names_whose_data_which_categories_to_whom_and_when(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    a1, a2, b1 = ids["col.a1"], ids["col.a2"], ids["col.b1"]
    response = reported(agency, token, leak)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert [
        (e["account"], e["debtor"], e["fields"], e["categories"], e["masked"])
        for e in report["exposures"]
    ] == [
        (a1, "D-1", ["phones"], ["contact"], ["name"]),
        (a2, "D-1", [], [], ["phones"]),
        (a1, "D-2", ["id_number", "name"], ["identity"], []),
        (b1, "D-3", ["amount_owed", "family"], ["family", "financial"], []),
        (a2, "D-2", ["employer"], ["employer"], []),
    ]
    assert [e["at"] for e in report["exposures"]] == [
        (NOW - delta).astimezone(UTC).isoformat()
        for delta in (
            timedelta(days=3),
            timedelta(days=2),
            timedelta(days=2),
            timedelta(days=1),
            timedelta(hours=2),
        )
    ]
    assert [
        (d["debtor"], d["categories"], d["fields"], d["accounts"]) for d in report["debtors"]
    ] == [
        ("D-1", ["contact"], ["phones"], [a1]),
        ("D-2", ["employer", "identity"], ["employer", "id_number", "name"], sorted([a1, a2])),
        ("D-3", ["family", "financial"], ["amount_owed", "family"], [b1]),
    ]
    assert [
        (d["masked"], d["masked_categories"], d["masked_accounts"]) for d in report["debtors"]
    ] == [
        (["name"], ["identity"], [a2]),  # a2 was shown D-1's phone masked only
        ([], [], []),
        ([], [], []),
    ]
    assert [
        (c["category"], c["fields"], c["debtors"], c["masked"], c["masked_debtors"])
        for c in report["categories"]
    ] == [
        ("identity", ["id_number", "name"], 1, [], 1),  # D-1's name: masked only
        ("contact", ["phones"], 1, [], 0),
        ("family", ["family"], 1, [], 0),
        ("employer", ["employer"], 1, [], 0),
        ("financial", ["amount_owed"], 1, [], 0),
    ]
    accounts = {
        a["account"]: (a["state"], a["debtors"], a["masked_debtors"], a["events"])
        for a in report["accounts"]
    }
    assert accounts == {
        a1: ("active", 2, 0, 2),
        a2: ("active", 1, 1, 2),
        b1: ("revoked", 1, 0, 1),
    }


def test_each_exposure_is_proven_in_the_signed_checkpoint_or_listed_as_not_anchored(
    agency: Agency, token: str, leak: str
) -> None:
    report = reported(agency, token, leak).get_json()
    public = public_half(agency.services.settings.audit_key_file)
    anchored, late = report["exposures"][:-1], report["exposures"][-1]
    for exposure in anchored:
        proof = exposure["proof"]
        assert "checkpoint" not in proof and "public_key" not in proof  # once, at the top
        assert verify_proof(document(report, proof), pinned_key=public) == []
        entry = decode(proof["entry"].encode())
        assert (entry["seq"], entry["actor"], entry["object"]) == (
            exposure["seq"],
            exposure["account"],
            exposure["debtor"],
        )
        assert proof["tree_size"] == report["checkpoint"]["tree_size"]
    assert late["proof"] is None
    assert report["not_anchored"] == [late["seq"]]
    assert late["seq"] > report["checkpoint"]["tree_size"]
    tampered = {
        **anchored[0]["proof"],
        "entry": anchored[0]["proof"]["entry"].replace("D-1", "D-7"),
    }
    assert verify_proof(document(report, tampered), pinned_key=public) != []


def test_each_exposure_s_facts_come_from_its_proven_entry_not_the_index(
    agency: Agency, ids: dict[str, str], token: str, leak: str, owner_engine: Engine
) -> None:
    """The searchable columns are not in the signed hash: one changed to name another
    account is caught, and the report says who the signed entry names."""
    a1, a2 = ids["col.a1"], ids["col.a2"]
    first = reported(agency, token, leak).get_json()
    seq = first["exposures"][0]["seq"]
    assert (first["index_differs"], first["exposures"][0]["index_differs"]) == ([], False)
    assert "no proof shows that the trail holds no other exposure" in first["completeness"]
    as_owner_without_triggers(
        owner_engine,
        lambda c: c.execute(
            text("UPDATE audit_events SET actor = :a WHERE seq = :s"), {"a": a2, "s": seq}
        ),
    )
    report = reported(agency, token, leak).get_json()
    [changed] = [e for e in report["exposures"] if e["seq"] == seq]
    assert (changed["account"], changed["index_differs"]) == (a1, True)
    assert report["index_differs"] == [seq]


def test_list_views_and_reads_under_this_investigation_are_told_apart(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    """A caseload list that showed a leaked debtor is labelled `list`, a record `record`, each
    with its reach; the investigator's own read under this investigation is no exposure."""
    services = agency.services
    for action, actor, extra in (
        ("debtor.listed", ids["col.a2"], {"reach": "project_group"}),
        ("debtor.viewed", ids["auditor"], {"reach": "investigation", "investigation": leak}),
    ):
        services.clock.set(NOW - timedelta(hours=1))
        with services.sessions() as db:
            services.trail.record(db, action, actor, "D-3", fields={"phones": "full"}, **extra)
            db.commit()
    services.clock.set(NOW)
    services.trail.checkpoint_now()
    report = reported(agency, token, leak).get_json()
    shown = [(e["account"], e["view"], e["reach"]) for e in report["exposures"] if e["proof"]]
    assert (ids["col.a2"], "list", "project_group") in shown
    assert (ids["col.a1"], "record", None) in shown  # the test's views name no reach
    assert ids["auditor"] not in {e["account"] for e in report["exposures"]}
    assert len(report["investigation_reads"]) == 1


def test_a_report_whose_audit_event_cannot_be_written_is_not_served(
    agency: Agency, token: str, leak: str, owner_engine: Engine
) -> None:
    """The trail refuses new events (reads still work): the report is not answered."""
    with owner_engine.begin() as connection:
        for statement in refuse_new_events(connection.dialect.name):
            connection.exec_driver_sql(statement)
    try:
        for wanted in ("json", "csv", "pdf"):
            response = reported(agency, token, leak, format=wanted)
            assert (response.status_code, response.get_json()["error"]["code"]) == (
                503,
                "audit.unavailable",
            )
            assert "D-1" not in response.get_data(as_text=True)
    finally:
        with owner_engine.begin() as connection:
            connection.exec_driver_sql(
                "DROP TRIGGER refuse_new_events ON audit_events"
                if connection.dialect.name == "postgresql"
                else "DROP TRIGGER refuse_new_events"
            )


def refuse_new_events(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION refuse_new_events() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RAISE EXCEPTION 'no new events'; END $$",
            "CREATE TRIGGER refuse_new_events BEFORE INSERT ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION refuse_new_events()",
        ]
    return [
        "CREATE TRIGGER refuse_new_events BEFORE INSERT ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'no new events'); END"
    ]


def test_the_documented_offline_check_of_a_proof_passes_and_fails_as_it_says(
    agency: Agency, token: str, leak: str, tmp_path: Path
) -> None:
    """governance.md's steps: an exposure's proof with the report's checkpoint and key, in a
    file, checked by scripts/verify_bundle.py --proof with the pinned public key alone."""
    report = reported(agency, token, leak).get_json()
    key = tmp_path / "service_public_key.pem"
    key.write_bytes(public_half(agency.services.settings.audit_key_file))
    proof = report["exposures"][0]["proof"]
    good, bad = tmp_path / "proof.json", tmp_path / "forged.json"
    good.write_text(json.dumps(document(report, proof)))
    forged = {**proof, "entry": proof["entry"].replace("D-1", "D-7")}
    bad.write_text(json.dumps(document(report, forged)))
    assert offline("--proof", str(good), "--key", str(key)).returncode == 0
    assert offline("--proof", str(bad), "--key", str(key)).returncode != 0


def document(report: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """An exposure's proof as the document `verify_bundle.py --proof` checks: with the
    report's checkpoint and public key (what docs/governance.md's `jq` line makes)."""
    return {**proof, "checkpoint": report["checkpoint"], "public_key": report["public_key"]}


def test_a_report_past_its_cap_of_events_is_refused_asking_to_narrow_it(
    agency: Agency, token: str, leak: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leak_report, "MAX_EVENTS", 4)  # the leak holds 5
    response = reported(agency, token, leak)
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        422,
        "report.too_many_events",
    )
    assert not [e for e in trail(agency) if e["action"] == "audit.leak_reported"]
    monkeypatch.setattr(leak_report, "MAX_EVENTS", 5)
    assert reported(agency, token, leak).status_code == 200


def test_a_report_past_the_time_limit_answers_503_and_is_audited(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    """A suspect's many views, each to be proven: the proofs too are held to the limit."""
    views = [
        Record("debtor.viewed", ids["col.a1"], f"D-{n}", {"fields": {"phones": "full"}})
        for n in range(1500)
    ]
    with agency.services.engine.begin() as connection:
        store.append(connection, views, NOW - timedelta(days=1))
    suspected = opened(agency, token, suspect=ids["col.a1"])
    agency.services.trail.checkpoint_now()
    limit_queries(agency, 0.000_001)
    stopped = reported(agency, token, suspected)
    assert (stopped.status_code, stopped.get_json()["error"]["code"]) == (
        503,
        "audit.query_timeout",
    )
    last = trail(agency)[-1]
    assert (last["action"], last["actor"], last["details"]["query"]) == (
        "audit.queried",
        ids["auditor"],
        "leak_report",
    )
    assert last["details"]["timed_out"] is True


def test_reporting_clock_runs_four_hours_from_the_opening(
    agency: Agency, token: str, leak: str
) -> None:
    clock = agency.services.clock
    clock.set(NOW + timedelta(hours=1, minutes=30))
    before = reported(agency, token, leak, grade="relatively_major").get_json()["clock"]
    assert (before["deadline"], before["state"], before["due"]) == (
        (NOW + timedelta(hours=4)).astimezone(UTC).isoformat(),
        "running",
        True,
    )
    assert (before["seconds_left"], before["seconds_overdue"]) == (9000, 0)
    clock.set(NOW + timedelta(hours=5))
    after = reported(agency, token, leak).get_json()["clock"]  # the stored grade holds
    assert (after["state"], after["due"], after["seconds_left"], after["seconds_overdue"]) == (
        "overdue",
        True,
        0,
        3600,
    )
    ordinary = reported(agency, token, leak, grade="ordinary").get_json()["clock"]
    assert ordinary["due"] is False


def test_the_grade_is_stored_on_the_investigation_with_who_and_when(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    """Two reports of one incident cannot disagree: the grade given is the investigation's,
    an audited change, until an auditor gives another."""
    assert reported(agency, token, leak).get_json()["graded"]["grade"] is None
    agency.services.clock.set(NOW + timedelta(minutes=30))
    graded = reported(agency, token, leak, grade="major").get_json()
    later = reported(agency, token, leak).get_json()
    assert (
        graded["graded"]
        == later["graded"]
        == {
            "grade": "major",
            "label": "重大",
            "label_en": "Major",
            "by": ids["auditor"],
            "at": (NOW + timedelta(minutes=30)).astimezone(UTC).isoformat(),
        }
    )
    assert later["clock"]["grade"] == "major"
    changes = [e for e in trail(agency) if e["action"] == "audit.investigation_graded"]
    assert [(e["actor"], e["object"], e["details"]) for e in changes] == [
        (ids["auditor"], leak, {"grade": "major", "was": None})
    ]


def test_timeline_starts_at_the_opening_with_the_deadline_and_each_report(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    agency.services.clock.set(NOW + timedelta(hours=1))
    reported(agency, token, leak)
    agency.services.clock.set(NOW + timedelta(hours=2))
    timeline = reported(agency, token, leak).get_json()["timeline"]
    assert [(t["what"], t["actor"]) for t in timeline] == [
        ("audit.investigation_opened", ids["auditor"]),
        ("audit.leak_reported", ids["auditor"]),
        ("reporting.deadline", None),
    ]
    assert timeline[0]["at"] == NOW.astimezone(UTC).isoformat()


def test_producing_and_each_export_is_audited_with_ids_not_values(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    for wanted in ("json", "pdf", "csv"):
        assert reported(agency, token, leak, format=wanted, grade="major").status_code == 200
    events = [e for e in trail(agency) if e["action"] == "audit.leak_reported"]
    assert [(e["actor"], e["object"], e["details"]["export"]) for e in events] == [
        (ids["auditor"], leak, "json"),
        (ids["auditor"], leak, "pdf"),
        (ids["auditor"], leak, "csv"),
    ]
    assert events[0]["details"] == {
        "export": "json",
        "grade": "major",
        "debtors": 3,
        "accounts": 3,
        "events": 5,
        "signed_size": report_of(agency, token, leak)["checkpoint"]["tree_size"],
    }


def report_of(agency: Agency, token: str, investigation: str) -> dict[str, Any]:
    return reported(agency, token, investigation).get_json()


def test_pdf_parses_and_names_the_investigation(agency: Agency, token: str, leak: str) -> None:
    response = reported(agency, token, leak, format="pdf", grade="relatively_major")
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    document = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in document.pages)
    assert leak in text
    assert "较大 Relatively major" in text  # the grade's one naming, as the JSON's and the page's
    words = " ".join(text.split())  # a cell's text wraps
    assert "查看档案 Record" in words and "仅遮盖" in words  # the kind of view; masked apart
    assert "+08:00" in text  # each time with its zone
    assert document.metadata.title == f"Leak report {leak}"


def test_affected_debtors_csv_for_notification_holds_ids_and_categories_only(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    response = reported(agency, token, leak, format="csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="leak-report-{leak}-affected.csv"'
    )
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8, as the page's download
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    zone = agency.services.settings.timezone
    assert (rows[0]["first"], rows[0]["last"]) == (
        (NOW - timedelta(days=3)).astimezone(zone).isoformat(),
        (NOW - timedelta(days=2)).astimezone(zone).isoformat(),  # a2's view, masked
    )
    assert rows[0]["first"].endswith("+08:00")  # the company's time, as the ranking's CSV
    assert [
        (r["debtor"], r["client"], r["categories"], r["fields"], r["accounts"]) for r in rows
    ] == [
        ("D-1", "", "contact", "phones", "1"),
        ("D-2", "", "employer;identity", "employer;id_number;name", "2"),
        ("D-3", "", "family;financial", "amount_owed;family", "1"),
    ]
    assert [(r["masked_categories"], r["masked"], r["masked_accounts"]) for r in rows] == [
        ("identity", "name", "1"),
        ("", "", "0"),
        ("", "", "0"),
    ]


def test_a_suspect_accounts_report_names_what_they_were_shown(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    written(agency, ids)
    a2 = ids["col.a2"]
    investigation = opened(agency, token, suspect=a2)
    agency.services.trail.checkpoint_now()
    report = reported(agency, token, investigation).get_json()
    assert report["investigation"]["kind"] == "suspect"
    assert [(d["debtor"], d["fields"], d["masked"]) for d in report["debtors"]] == [
        ("D-1", [], ["phones"]),  # shown masked only: told apart
        ("D-9", ["phones"], []),
    ]
    assert [(a["account"], a["suspect"], a["state"]) for a in report["accounts"]] == [
        (a2, True, "active")
    ]


def test_an_investigation_names_debtors_or_a_suspect(agency: Agency, token: str) -> None:
    response = agency.client.post(
        "/api/v1/audit/investigations", headers=bearer(token), json={"debtor_ids": []}
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (422, "request.invalid")


def test_a_suspect_must_be_an_account_and_not_the_auditor(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    """An unknown suspect would give a clean, empty report; an auditor investigating
    themselves is no investigation; a suspect alone opens no field: each refused, nothing
    opened."""
    window = {"from": START.isoformat(), "to": END.isoformat()}
    for suspect, status, code in (
        ("GV-ZZZZ-ZZZZ", 404, "account.unknown"),
        (ids["auditor"], 403, "investigation.same_person"),
    ):
        response = agency.client.post(
            "/api/v1/audit/investigations",
            headers=bearer(token),
            json={"suspect": suspect, **window},
        )
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    opening = agency.client.post(
        "/api/v1/audit/investigations",
        headers=bearer(token),
        json={
            "suspect": ids["col.a1"],
            "open_fields": True,
            "case_reference": "CASE-2026-001",
            "justification": "a complaint from the creditor about calls",
            **window,
        },
    )
    assert (opening.status_code, opening.get_json()["error"]["code"]) == (
        422,
        "investigation.nothing_to_open",
    )
    assert not [e for e in trail(agency) if e["action"].startswith("audit.investigation_")]


def test_a_suspect_with_debtors_narrows_the_report_to_them(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    written(agency, ids)
    investigation = opened(agency, token, suspect=ids["col.a1"], debtor_ids=["D-2"])
    agency.services.trail.checkpoint_now()
    report = reported(agency, token, investigation).get_json()
    assert report["investigation"]["kind"] == "debtors+suspect"
    assert [(e["account"], e["debtor"]) for e in report["exposures"]] == [(ids["col.a1"], "D-2")]


def test_the_console_refuses_a_suspect_that_is_no_account_id(
    agency: Agency, ids: dict[str, str]
) -> None:
    page_session(agency, "auditor")
    window = {"start": "2026-11-23T10:00", "end": "2026-11-28T10:00"}
    refused = post(agency, "leaks", {"suspect": "<script>", **window})
    assert refused.status_code == 400, refused.status_code


def test_unknown_investigation_and_bad_grade_change_nothing(
    agency: Agency, token: str, leak: str
) -> None:
    before = len(trail(agency))
    missing = reported(agency, token, "INV-NOTHERE")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (
        404,
        "investigation.unknown",
    )
    for bad in ({"grade": "huge"}, {"format": "xlsx"}):
        refused = reported(agency, token, leak, **bad)
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (
            422,
            "request.invalid",
        )
    assert len(trail(agency)) == before


def test_only_auditors_produce_a_leak_report(agency: Agency, token: str, leak: str) -> None:
    response = reported(agency, agency.login("head.a"), leak)
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        403,
        "role.action_denied",
    )


@pytest.mark.parametrize(
    ("grade", "due"), [("ordinary", False), ("relatively_major", True), ("especially_major", True)]
)
def test_the_four_hours_bind_from_relatively_major_on(grade: str, due: bool) -> None:
    assert rules.reporting_clock(NOW, NOW, grade)["due"] is due


def test_the_person_and_the_account_are_two_facts() -> None:
    assert (rules.account_state("suspended"), rules.account_state(None)) == ("suspended", "unknown")
    assert rules.person_state(True, gone=False, departed=True) == "departed"
    assert rules.person_state(True, gone=True, departed=True) == "gone"
    assert rules.person_state(True, gone=False, departed=False) == "present"
    assert rules.person_state(False, gone=False, departed=False) is None


def test_a_leaver_whose_account_is_still_active_is_shown_as_both(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    """A person past their departure whose account nobody revoked: the report shows the
    account active and the person departed (a leaver's live account is the finding)."""
    a1 = ids["col.a1"]
    with agency.services.sessions() as db:
        person = db.get(Identity, agency.account(a1).employee_number)
        person.departure_override = (NOW - timedelta(days=1)).date()
        db.commit()
    accounts = {a["account"]: a for a in reported(agency, token, leak).get_json()["accounts"]}
    assert (accounts[a1]["state"], accounts[a1]["person"]) == ("active", "departed")
    assert (accounts[ids["col.a2"]]["state"], accounts[ids["col.a2"]]["person"]) == (
        "active",
        "present",
    )


def page(agency: Agency, investigation: str, **params: str):
    return agency.client.get(
        f"/audit/leaks/{investigation}/report", query_string=params, base_url=HTTPS, headers=ENGLISH
    )


def test_the_report_page_shows_the_clock_the_facts_and_the_downloads(
    agency: Agency, ids: dict[str, str], token: str, leak: str
) -> None:
    page_session(agency, "auditor")
    agency.services.clock.set(NOW + timedelta(hours=5, minutes=10))
    response = page(agency, leak, grade="major")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-clock="overdue"' in html and "Overdue by 1 h 10 min" in html
    assert "<dd>Major</dd>" in html and '<option selected value="major">Major</option>' in html
    assert '身份信息 <span lang="en">Identity</span>' in html
    assert f'<tr data-state="revoked"><td><code>{ids["col.b1"]}</code>' in html
    masked_only = (
        '<td class="masked"><code>name</code> </td>'
        f'<td class="masked"><code>{ids["col.a2"]}</code> </td>'
    )
    assert masked_only in html  # D-1's name shown masked only, to col.a2 masked only
    assert '<tr data-view="record">' in html and "<td>Record</td>" in html
    for kind in ("pdf", "json", "csv"):
        assert f"/audit/leaks/{leak}/report?format={kind}&amp;grade=major" in html
    exported = [
        e["details"]["export"] for e in trail(agency) if e["action"] == "audit.leak_reported"
    ]
    assert exported == ["page"]


def test_the_report_page_is_in_chinese_first(agency: Agency, token: str, leak: str) -> None:
    page_session(agency, "auditor")
    html = agency.client.get(f"/audit/leaks/{leak}/report", base_url=HTTPS).get_data(as_text=True)
    assert "泄露报告" in html and "剩余 4 小时 00 分" in html
    assert "一般（无须 4 小时内报告）" in html and "较大" in html


def test_the_pages_downloads_are_the_reports_and_each_is_audited(
    agency: Agency, token: str, leak: str
) -> None:
    page_session(agency, "auditor")
    pdf = page(agency, leak, format="pdf")
    assert (
        pdf.mimetype == "application/pdf"
        and leak in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    )
    listed = page(agency, leak, format="csv").get_data(as_text=True)
    assert (
        listed.startswith("\ufeffdebtor,client,categories") and "\nD-3,,family;financial," in listed
    )
    document = json.loads(page(agency, leak, format="json").data)
    assert [d["debtor"] for d in document["debtors"]] == ["D-1", "D-2", "D-3"]
    exported = [
        e["details"]["export"] for e in trail(agency) if e["action"] == "audit.leak_reported"
    ]
    assert exported == ["pdf", "csv", "json"]


def test_a_bad_grade_on_the_page_is_refused_and_produces_nothing(
    agency: Agency, token: str, leak: str
) -> None:
    page_session(agency, "auditor")
    before = len(trail(agency))
    assert page(agency, leak, grade="huge").status_code == 400
    assert len(trail(agency)) == before


def test_every_debtor_field_is_in_exactly_one_category(tmp_path: Path) -> None:
    placed = category_of(POLICIES)
    assert sorted(placed) == sorted([*access_policy(POLICIES).fields, "notes"])
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES, copy)
    path = copy / "access" / "categories.toml"
    path.write_text(path.read_text().replace('fields = ["employer"]', "fields = []"))
    with pytest.raises(ConfigError, match="employer must be in exactly one category"):
        categories(copy)


def test_the_console_opens_a_suspect_accounts_investigation_and_its_report(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    written(agency, ids)
    page_session(agency, "auditor")
    window = {"start": "2026-11-23T10:00", "end": "2026-11-28T10:00"}
    opened = post(agency, "leaks", {"suspect": ids["col.a2"], **window})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    investigation = wait_for(agency.client, opened.headers["Location"], **ENGLISH)
    assert f"<code>{ids['col.a2']}</code>" in investigation
    assert "/report" in investigation
    report = agency.client.get(
        opened.headers["Location"] + "/report", base_url=HTTPS, headers=ENGLISH
    ).get_data(as_text=True)
    assert "<td><code>D-9</code></td>" in report
    assert f"<code>{ids['col.a2']}</code> (suspect)" in report


def test_the_pdf_takes_ids_with_markup_characters_as_text(
    agency: Agency, ids: dict[str, str], token: str
) -> None:
    odd = "D-<b>&1"
    view(agency, ids["col.a1"], odd, NOW - timedelta(days=1), phones="full")
    investigation = opened(agency, token, debtor_ids=[odd])
    response = reported(agency, token, investigation, format="pdf")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert odd in text


def test_every_read_that_shows_a_debtor_is_an_exposure_of_its_kind_masked_apart(
    floor: Floor,
) -> None:
    """Through the API as collectors use it: a record opened, the caseload, a search, the
    notes read and the parties before a call are each an exposure of their kind; a note
    written is none (its writer is shown nothing stored); what was shown only masked is
    told apart from what was shown in full."""
    debtor = floor.debtors["C-001"]
    reads = (
        ("GET", f"/api/v1/debtors/{debtor}", {}),
        ("GET", "/api/v1/debtors", {"query_string": {"assigned": "me"}}),
        ("POST", "/api/v1/debtors/search", {"json": {"phone": "138-1234-5678"}}),
        ("GET", f"/api/v1/debtors/{debtor}/notes", {}),
        ("GET", f"/api/v1/debtors/{debtor}/parties", {}),
    )
    assert plain_note(floor, "col.a1", "C-001")[0] == 201
    for method, path, asked in reads:
        floor.clock.advance(minutes=1)
        assert floor.call(method, path, "col.a1", **asked)[0] == 200, path
    floor.clock.advance(minutes=1)
    status, opened_ = floor.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor",
        json={"debtor_ids": [debtor], "from": (NOW - timedelta(days=1)).isoformat()},
    )
    assert status == 201, opened_
    floor.agency.services.trail.checkpoint_now()
    status, report = floor.call(
        "POST", f"/api/v1/audit/investigations/{opened_['id']}/report", "auditor", json={}
    )
    assert status == 200, report
    masked_in_lists = ["address", "emergency_contacts", "employer", "family", "id_number", "name"]
    assert [(e["view"], e["fields"], e["masked"]) for e in report["exposures"]] == [
        (
            "record",
            FULL_TO_COLLECTORS,
            ["address", "emergency_contacts", "family", "id_number", "phones"],
        ),
        ("list", CASE_FIELDS, [*masked_in_lists, "phones"]),
        ("search", CASE_FIELDS, [*masked_in_lists, "phones"]),
        ("notes", ["notes"], []),
        ("parties", ["amount_owed"], ["emergency_contacts"]),
    ]
    [row] = report["debtors"]
    assert (row["categories"], row["masked"], row["masked_categories"]) == (
        ["case", "employer", "financial", "identity", "notes"],
        ["address", "emergency_contacts", "family", "id_number", "phones"],
        ["contact", "family", "identity"],
    )
    named = {
        c["category"]: (c["fields"], c["masked"], c["masked_debtors"]) for c in report["categories"]
    }
    assert named["identity"] == (["name"], ["id_number"], 0)  # the name in full: not masked only
    assert named["contact"] == ([], ["address", "phones"], 1)
    assert named["notes"] == (["notes"], [], 0)


#: What a collector's record view shows in full, and what a list shows in full (no person's
#: detail: the case's own facts).
CASE_FIELDS = ["amount_owed", "client", "days_overdue", "project_group"]
FULL_TO_COLLECTORS = ["amount_owed", "client", "days_overdue", "employer", "name", "project_group"]


@pytest.mark.parametrize(
    ("action", "details", "seen"),
    [
        (
            "debtor.listed",
            {"fields": {"name": "masked", "phones": "not_assigned"}},
            {"name": "masked"},
        ),
        ("notes.viewed", {"notes": ["N-1"], "reach": "project_group"}, {"notes": "full"}),
        ("notes.viewed", {"notes": []}, {}),  # no note: nothing read
        (
            "parties.viewed",
            {"amount_owed_shown_for": [], "relations": "withheld", "parties": 2},
            {},
        ),
        ("note.added", {"note": "N-2", "party": "debtor"}, {}),  # its writer is shown nothing
        ("contact.checked", {"party": "debtor", "verdict": "allow"}, {}),
    ],
)
def test_what_each_kind_of_event_shows_of_a_debtor(
    action: str, details: dict[str, Any], seen: dict[str, str]
) -> None:
    assert shown(action, details) == seen
