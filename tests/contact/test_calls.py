"""The calls the telephone system reports (R-NTE-2): signed by the machine, never a staff
session; recorded once per system call id; over an unregistered line, recorded and flagged;
the number kept sealed and as its digest only; matched to the guard's permit or the debtor's
own phone. Through HTTP."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from govern.config import Settings
from govern.contact.models import Call, ContactPermit
from govern.contact.telephony import load_key
from govern.debtors.service import lookup_form
from govern.errors import ConfigError
from tests.support.agency import Agency, audit_events, bearer
from tests.support.debtors import CASES
from tests.support.floor import import_cases
from tests.support.telephone import Telephone, record

LINE = "0571-8690 1001"
OTHER_LINE = "0571-8690 1002"
DEBTOR_PHONE = CASES[0].phone  # C-001's own phone
CONTACT_PHONE = "13700002222"  # C-001's emergency contact (tests/support/debtors.py)


class Desk:
    """The agency with a registered line, its debtors imported, and its telephone system."""

    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.ids = agency.with_accounts("it", "sup.a1", "col.a1", "auditor")
        self.debtors = import_cases(agency, [case.row() for case in CASES])
        self.telephone = Telephone(agency.app, agency.client)
        self.line = self.register(LINE)

    @property
    def now(self) -> datetime:
        return self.agency.services.clock.now()

    def register(self, number: str) -> dict[str, Any]:
        response = self.agency.client.post(
            "/api/v1/lines",
            json={"number": number, "location": "杭州 一部"},
            headers=bearer(self.agency.login("it")),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def report(self, sent: dict[str, Any], **headers: str) -> tuple[int, Any]:
        return self.telephone.report(sent, **headers)

    def permit(self, number: str, issued: datetime, party: str = "debtor") -> str:
        """A permit as the guard issues it (govern/contact/guard.py): col.a1 may dial."""
        s = self.agency.services
        with s.sessions() as db:
            permit = ContactPermit(
                id=f"CP-{len(self.permits(db)):04d}-TEST",
                debtor_id=self.debtors["C-001"],
                party=party,
                number_digest=s.vault.digest("phone", lookup_form("phone", number)),
                account_id=self.ids["col.a1"],
                issued_at=issued,
                expires_at=issued + timedelta(minutes=15),
            )
            db.add(permit)
            db.commit()
            return permit.id

    def permits(self, db: Any) -> list[ContactPermit]:
        return list(db.scalars(select(ContactPermit).order_by(ContactPermit.id)))

    def taken(self, permit_id: str) -> str | None:
        with self.agency.services.sessions() as db:
            return db.get(ContactPermit, permit_id).call_id

    def calls(self) -> list[Call]:
        with self.agency.services.sessions() as db:
            return list(db.scalars(select(Call).order_by(Call.started_at)))

    def listed(self, who: str = "it", **query: str) -> tuple[int, Any]:
        response = self.agency.client.get(
            "/api/v1/calls", query_string=query, headers=bearer(self.agency.login(who))
        )
        return response.status_code, response.get_json()

    def events(self, action: str) -> list[dict[str, Any]]:
        return audit_events(self.agency.client, self.agency.login("auditor"), action)


@pytest.fixture
def desk(agency: Agency) -> Desk:
    return Desk(agency)


def ago(desk: Desk, minutes: float) -> datetime:
    return desk.now - timedelta(minutes=minutes)


# ---- recording -----------------------------------------------------------------------------------


def test_r_nte_2_a_signed_report_is_recorded_with_its_number_sealed_and_never_shown(
    desk: Desk,
) -> None:
    sent = record("PBX-1", LINE, "138 1234 5678", ago(desk, 10), direction="inbound")
    status, call = desk.report(sent)
    assert status == 201, call
    assert (call["line"], call["line_id"], call["unregistered_line"]) == (
        "057186901001",
        desk.line["id"],
        False,
    )
    assert (call["debtor_id"], call["party"], call["account_id"]) == (
        desk.debtors["C-001"],
        "debtor",
        None,
    )
    assert call["recording_id"] == "REC-PBX-1"
    assert "number" not in call and "12345678" not in json.dumps(call)
    (stored,) = desk.calls()
    vault = desk.agency.services.vault
    assert stored.number_digest == vault.digest("phone", "13812345678")
    assert vault.open(stored.number, f"{stored.id}/number") == "138 1234 5678"
    assert b"12345678" not in stored.number
    (event,) = desk.events("call.recorded")
    assert (event["actor"], event["object"]) == ("machine:telephony", call["id"])
    assert "12345678" not in json.dumps(event)


def test_r_nte_2_the_same_report_again_answers_the_same_call_and_changes_nothing(
    desk: Desk,
) -> None:
    sent = record("PBX-2", LINE, DEBTOR_PHONE, ago(desk, 10))
    status, first = desk.report(sent)
    assert status == 201, first
    status, again = desk.report(sent)
    assert (status, again) == (200, first)
    spelled = {**sent, "number": "138-1234-5678", "line": "0571 8690 1001"}
    assert desk.report(spelled) == (200, first)  # the same record, written another way
    assert len(desk.calls()) == 1
    assert len(desk.events("call.recorded")) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"ended_at": "2026-11-28T01:59:00+00:00"},
        {"direction": "inbound"},
        {"number": CONTACT_PHONE},
        {"line": OTHER_LINE},
        {"recording_id": "REC-OTHER"},
        {"answered_at": None},
    ],
)
def test_r_nte_2_the_same_call_id_with_other_details_is_refused(
    desk: Desk, change: dict[str, Any]
) -> None:
    sent = record("PBX-3", LINE, DEBTOR_PHONE, ago(desk, 10))
    assert desk.report(sent)[0] == 201
    status, body = desk.report({**sent, **change})
    assert (status, body["error"]["code"]) == (409, "call.id_reused")
    assert len(desk.calls()) == 1


# ---- lines: flagged calls ------------------------------------------------------------------------


def test_r_nte_2_a_call_over_an_unregistered_line_is_recorded_and_flagged_for_it_and_supervisors(
    desk: Desk,
) -> None:
    assert desk.report(record("PBX-4", LINE, DEBTOR_PHONE, ago(desk, 20)))[0] == 201
    status, flagged = desk.report(record("PBX-5", "13911112222", DEBTOR_PHONE, ago(desk, 10)))
    assert status == 201, flagged
    assert (flagged["unregistered_line"], flagged["line_id"]) == (True, None)
    for who in ("it", "sup.a1"):
        status, body = desk.listed(who, flagged="true")
        assert status == 200, body
        assert [c["id"] for c in body["calls"]] == [flagged["id"]]
    assert [c["system_call_id"] for c in desk.listed()[1]["calls"]] == ["PBX-5", "PBX-4"]
    status, body = desk.listed("col.a1", flagged="true")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    (event,) = [e for e in desk.events("call.recorded") if e["object"] == flagged["id"]]
    assert "unregistered_line" in json.dumps(event)


def test_r_nte_2_a_call_over_a_retired_line_is_flagged_from_its_retirement_on(desk: Desk) -> None:
    path = f"/api/v1/lines/{desk.line['id']}/retire"
    token = desk.agency.login("it")
    desk.agency.services.clock.advance(seconds=-300)  # retired five minutes ago
    retired = desk.agency.client.post(path, json={"reason": "moved"}, headers=bearer(token))
    assert retired.status_code == 200, retired.get_json()
    desk.agency.services.clock.advance(seconds=300)
    _, before = desk.report(record("PBX-6", LINE, DEBTOR_PHONE, ago(desk, 30)))  # reported late
    _, after = desk.report(record("PBX-7", LINE, DEBTOR_PHONE, ago(desk, 4)))
    assert (before["unregistered_line"], before["line_id"]) == (False, desk.line["id"])
    assert (after["unregistered_line"], after["line_id"]) == (True, desk.line["id"])


# ---- the guard's permits and the debtor's own phone ----------------------------------------------


def test_an_outbound_call_takes_the_live_permit_for_its_number_once(desk: Desk) -> None:
    permit = desk.permit(CONTACT_PHONE, ago(desk, 12), party="contact:1")
    status, call = desk.report(record("PBX-8", LINE, "137 0000 2222", ago(desk, 10)))
    assert status == 201, call
    assert (call["debtor_id"], call["party"], call["account_id"]) == (
        desk.debtors["C-001"],
        "contact:1",
        desk.ids["col.a1"],
    )
    assert desk.taken(permit) == call["id"]
    _, second = desk.report(record("PBX-9", LINE, CONTACT_PHONE, ago(desk, 5)))
    assert (second["debtor_id"], second["party"], second["account_id"]) == (None, None, None)


@pytest.mark.parametrize(
    ("issued_before_start", "why"),
    [(-1, "issued after the call started"), (16, "expired before the call started")],
)
def test_an_outbound_call_takes_no_permit_that_was_not_live_when_it_started(
    desk: Desk, issued_before_start: int, why: str
) -> None:
    permit = desk.permit(CONTACT_PHONE, ago(desk, 10 + issued_before_start))
    _, call = desk.report(record("PBX-10", LINE, CONTACT_PHONE, ago(desk, 10)))
    assert (call["debtor_id"], desk.taken(permit)) == (None, None), why


def test_an_inbound_call_takes_no_permit_but_the_debtor_whose_own_phone_calls(
    desk: Desk,
) -> None:
    permit = desk.permit(CASES[1].phone, ago(desk, 12))
    sent = record("PBX-11", LINE, CASES[1].phone, ago(desk, 10), direction="inbound")
    _, call = desk.report(sent)
    assert (call["debtor_id"], call["party"], call["account_id"]) == (
        desk.debtors["C-002"],
        "debtor",
        None,
    )
    assert desk.taken(permit) is None


def at_once(desk: Desk, records: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """Report `records` from as many threads at the same moment, each its own client."""
    barrier, answers = threading.Barrier(len(records)), [None] * len(records)

    def report(index: int) -> None:
        telephone = Telephone(desk.agency.app, desk.agency.app.test_client())
        barrier.wait()
        answers[index] = telephone.report(records[index])

    threads = [threading.Thread(target=report, args=(i,)) for i in range(len(records))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers  # type: ignore[return-value]


def test_r_nte_2_the_same_report_twice_at_the_same_moment_is_one_call(desk: Desk) -> None:
    sent = record("PBX-R1", LINE, DEBTOR_PHONE, ago(desk, 10))
    answers = at_once(desk, [sent, sent])
    assert sorted(status for status, _ in answers) == [200, 201], answers
    assert answers[0][1]["id"] == answers[1][1]["id"]
    assert len(desk.calls()) == 1
    assert len(desk.events("call.recorded")) == 1


def test_two_calls_at_the_same_moment_take_one_permit_once(desk: Desk) -> None:
    permit = desk.permit(CONTACT_PHONE, ago(desk, 12), party="contact:1")
    records = [record(name, LINE, CONTACT_PHONE, ago(desk, 10)) for name in ("PBX-R2", "PBX-R3")]
    answers = at_once(desk, records)
    assert [status for status, _ in answers] == [201, 201], answers
    taking = [body["id"] for _, body in answers if body["party"] == "contact:1"]
    assert len(taking) == 1
    assert desk.taken(permit) == taking[0]


# ---- the machine's credential --------------------------------------------------------------------


def test_r_nte_2_only_the_telephone_systems_signature_is_taken_and_no_staff_session(
    desk: Desk,
) -> None:
    sent = record("PBX-12", LINE, DEBTOR_PHONE, ago(desk, 10))
    body = json.dumps(sent).encode()
    signed = desk.telephone.headers(body)
    client, json_type = desk.agency.client, {"Content-Type": "application/json"}
    staff = bearer(desk.agency.login("it"))
    stale = desk.telephone.headers(body, at=desk.now - timedelta(seconds=301))
    for headers, code in (
        ({}, "telephony.signature_missing"),
        (staff, "telephony.session_refused"),
        ({**signed, **staff}, "telephony.session_refused"),
        ({**signed, "X-Govern-Signature": "0" * 64}, "telephony.signature_invalid"),
        ({**signed, "X-Govern-Signature": "not hex"}, "telephony.signature_invalid"),
        ({**signed, "X-Govern-Timestamp": "yesterday"}, "telephony.timestamp_invalid"),
        (stale, "telephony.timestamp_outside_window"),
    ):
        response = client.post("/api/v1/calls", data=body, headers={**json_type, **headers})
        assert (response.status_code, response.get_json()["error"]["code"]) == (401, code)
    tampered = json.dumps({**sent, "number": CONTACT_PHONE}).encode()
    response = client.post("/api/v1/calls", data=tampered, headers={**json_type, **signed})
    assert response.get_json()["error"]["code"] == "telephony.signature_invalid"
    assert desk.calls() == []
    # the signature opens no other route
    lines = client.get("/api/v1/lines", headers=desk.telephone.headers(b"", path="/api/v1/lines"))
    assert (lines.status_code, lines.get_json()["error"]["code"]) == (401, "session.missing")
    late = desk.telephone.headers(body, at=desk.now - timedelta(seconds=299))
    response = client.post("/api/v1/calls", data=body, headers={**json_type, **late})
    assert response.status_code == 201, response.get_json()


def test_without_a_telephony_key_no_report_is_taken(
    settings: Settings, another_app: Any, desk: Desk
) -> None:
    app: Flask = another_app(replace(settings, telephony_key_file=None))
    response = app.test_client().post(
        "/api/v1/calls", json=record("PBX-13", LINE, DEBTOR_PHONE, ago(desk, 10))
    )
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        503,
        "telephony.not_configured",
    )


def test_a_telephony_key_others_may_read_or_too_short_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "telephony_key"
    path.write_text("k" * 40)
    path.chmod(0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_key(path)
    path.chmod(0o600)
    assert load_key(path) == b"k" * 40
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="at least 32"):
        load_key(path)
    with pytest.raises(ConfigError, match="GOVERN_TELEPHONY_KEY_FILE"):
        load_key(tmp_path / "missing")


# ---- bad reports ---------------------------------------------------------------------------------


def timed(desk: Desk, started: float, answered: float | None, ended: float) -> dict[str, Any]:
    """A record whose instants are this many minutes from now (answered None: not answered)."""
    sent = record("PBX-14", LINE, DEBTOR_PHONE, desk.now)
    for name, minutes in (("started_at", started), ("answered_at", answered), ("ended_at", ended)):
        at = None if minutes is None else desk.now + timedelta(minutes=minutes)
        sent[name] = at and at.isoformat()
    return sent


BAD_TIMES = [
    ((10, None, 12), "call.in_future"),
    ((-5, -4, 3), "call.in_future"),  # ends three minutes from now
    ((-5, None, -6), "call.ended_before_start"),
    ((-5, -6, -1), "call.answered_outside"),
    ((-5, -0.5, -1), "call.answered_outside"),
]
BAD_FIELDS = [
    {"direction": "sideways"},
    {"system_call_id": "x" * 129},
    {"system_call_id": "PBX 1"},
    {"number": "138-CALL-NOW"},
    {"number": "1" * 33},
    {"line": ""},
    {"recording_id": "r" * 129},
    {"ended_at": None},
    {"started_at": "2026-11-28T01:00:00"},  # no offset: which zone?
    {"started_at": "yesterday"},
]


@pytest.mark.parametrize(("minutes", "code"), BAD_TIMES)
def test_r_nte_2_a_report_of_a_call_that_cannot_have_happened_is_refused_and_changes_nothing(
    desk: Desk, minutes: tuple[float, float | None, float], code: str
) -> None:
    status, body = desk.report(timed(desk, *minutes))
    assert (status, body["error"]["code"]) == (400, code)
    assert desk.calls() == []
    assert desk.events("call.recorded") == []


@pytest.mark.parametrize("change", BAD_FIELDS)
def test_r_nte_2_a_malformed_report_is_refused_and_changes_nothing(
    desk: Desk, change: dict[str, Any]
) -> None:
    sent = {**record("PBX-15", LINE, DEBTOR_PHONE, ago(desk, 10)), **change}
    status, body = desk.report(sent)
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert desk.calls() == []


def test_a_call_ending_within_the_clock_skew_allowance_is_taken(desk: Desk) -> None:
    assert desk.report(timed(desk, -3, None, 1.5))[0] == 201
