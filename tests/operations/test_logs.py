"""The service's log (govern/operations/logs.py): one JSON object a line on stderr, each with
its request's id and the acting account's id, an access line per request, and never a debtor's
value, a person's name, a password or a token, across a whole session of the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings, load_settings
from govern.errors import ConfigError
from govern.operations.logs import configure_logging
from tests.support.agency import bearer
from tests.support.debtors import CASES
from tests.support.floor import Floor
from tests.support.notes import TEXT
from tests.support.pages import HTTPS, page_session
from tests.support.slapd import Slapd, start_slapd
from tests.support.staff import STAFF

REQUIRED = {"time", "level", "logger", "message", "request_id", "account_id"}
ACCESS = {"method", "route", "status", "duration_ms"}
WRONG_PASSWORD = "Tr0ub4dor-not-theirs"
NOTE = "NOTE-7731 " + TEXT


def logged(captured: str) -> list[dict[str, Any]]:
    """Every line of stderr, each as the JSON object it must be."""
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "govern.access"]


def debtor_values() -> set[str]:
    """Every value of every test debtor, the parts of its lists included."""
    values: set[str] = set()
    for case in CASES:
        for name, value in case.row().items():
            if name not in ("case_no", "project_group", "days_overdue"):  # a case's own ids
                values |= {value, *value.split("|")}
    return values


def drive_a_session(floor: Floor) -> dict[str, str]:
    """Sign in with passwords (one wrong), view, reveal and search debtors with the tokens,
    write a note, triage a leak, have a call report refused, sign in at the console and see a
    debtor's page; returns the tokens used."""
    client = floor.agency.client
    assert client.post(
        "/api/v1/sessions", json={"username": "col.a1", "password": WRONG_PASSWORD}
    ).status_code in (401, 429)
    tokens = {who: floor.agency.login(who) for who in ("col.a1", "auditor")}
    collector = bearer(tokens["col.a1"])
    debtor = floor.debtors["C-001"]
    assert client.get(f"/api/v1/debtors/{debtor}", headers=collector).status_code == 200
    revealed = client.post(
        f"/api/v1/debtors/{debtor}/reveal",
        headers=collector,
        json={"fields": ["phones", "id_number", "address"], "purpose": "scheduled_call"},
    )
    assert revealed.status_code == 200, revealed.get_json()
    found = client.post("/api/v1/debtors/search", headers=collector, json={"phone": CASES[0].phone})
    assert found.status_code == 200
    note = {"party": "debtor", "direction": "none", "outcome": "none", "text": NOTE}
    written = client.post(f"/api/v1/debtors/{debtor}/notes", headers=collector, json=note)
    assert written.status_code == 201, written.get_json()
    triage = floor.investigation(["C-001"], ["phones"])
    asked = client.get(f"/api/v1/audit/investigations/{triage}", headers=bearer(tokens["auditor"]))
    assert asked.status_code == 200
    refused = client.post("/api/v1/calls", json={"line": CASES[1].phone})  # unsigned
    assert refused.status_code == 401
    tokens["page"] = page_session(floor.agency, "col.a1")  # the console's form and cookie
    page = client.get(f"/debtors/{debtor}", base_url=HTTPS)
    assert page.status_code == 200
    return tokens


def test_no_debtor_value_name_password_or_token_ever_reaches_a_log_line(
    capsys: pytest.CaptureFixture[str], floor: Floor
) -> None:
    tokens = drive_a_session(floor)
    lines = logged(capsys.readouterr().err)
    settings = floor.agency.services.settings
    secrets = (
        debtor_values()
        | {person.name for person in STAFF}
        | {person.password for person in STAFF}
        | set(tokens.values())
        | {WRONG_PASSWORD, NOTE, TEXT, settings.secret_key, settings.ldap_bind_password or ""}
    )
    seen = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert [secret for secret in sorted(secrets) if secret in seen] == []
    for line in lines:
        assert set(line) >= REQUIRED, line
    assert len(access_lines(lines)) >= 8


def test_each_request_has_an_access_line_with_its_route_status_duration_and_account(
    capsys: pytest.CaptureFixture[str], floor: Floor
) -> None:
    drive_a_session(floor)
    lines = logged(capsys.readouterr().err)
    viewed = [
        line
        for line in access_lines(lines)
        if line["route"] == "/api/v1/debtors/<string:debtor_id>"
    ]
    assert len(viewed) == 1  # the rule, never the address with the debtor's id
    (line,) = viewed
    assert (line["method"], line["status"], line["account_id"]) == ("GET", 200, floor.ids["col.a1"])
    assert line["level"] == "INFO" and line["duration_ms"] >= 0
    assert all(set(line) >= ACCESS for line in access_lines(lines))
    signed_in = [line for line in access_lines(lines) if line["route"] == "/api/v1/sessions"]
    assert {line["account_id"] for line in signed_in} == {None}  # no caller before sign-in


def test_a_warning_logged_in_a_request_carries_its_request_id(
    capsys: pytest.CaptureFixture[str], client: FlaskClient
) -> None:
    """The existing `log.warning` calls come out through the same handler."""
    response = client.post("/api/v1/calls", json={}, headers={"X-Request-Id": "call-report-1"})
    assert response.status_code == 401
    lines = logged(capsys.readouterr().err)
    (warning,) = [line for line in lines if line["logger"] == "govern.contact.views"]
    assert warning["level"] == "WARNING"
    assert warning["message"].startswith("a call report was refused (telephony.signature")
    assert warning["request_id"] == "call-report-1"
    (access,) = access_lines(lines)
    assert (access["request_id"], access["status"]) == ("call-report-1", 401)


@pytest.mark.parametrize("given", ["", "a b", "x" * 65, "id;drop", "名字"])
def test_an_ill_formed_request_id_is_replaced_and_the_new_one_answered_and_logged(
    capsys: pytest.CaptureFixture[str], client: FlaskClient, given: str
) -> None:
    response = client.get("/api/v1/accounts", headers={"X-Request-Id": given})
    answered = response.headers["X-Request-Id"]
    assert answered and answered != given
    (access,) = access_lines(logged(capsys.readouterr().err))
    assert access["request_id"] == answered


def test_probes_leave_no_access_line_nor_library_chatter_in_an_info_log(
    capsys: pytest.CaptureFixture[str], client: FlaskClient
) -> None:
    logging.getLogger().setLevel(logging.INFO)  # the service's default
    capsys.readouterr()  # what starting the app logged
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    lines = logged(capsys.readouterr().err)
    assert access_lines(lines) == []
    # a readiness check's own line only where a check's status changed (the scheduler warns)
    assert [line["logger"] for line in lines] == ["govern.operations.health"]


def test_text_format_gives_readable_one_liners(
    capsys: pytest.CaptureFixture[str], app: Flask
) -> None:
    configure_logging("INFO", "text")
    try:
        response = app.test_client().post("/api/v1/calls", json={})
        err = capsys.readouterr().err
    finally:
        configure_logging("INFO", "json")
    rid = response.headers["X-Request-Id"]
    (line,) = [line for line in err.splitlines() if "govern.access" in line]
    assert f" INFO govern.access [{rid} -] POST /api/v1/calls 401 " in line
    assert line.endswith(" ms") and not line.startswith("{")


def test_log_settings_default_to_json_at_info_and_refuse_what_they_do_not_know() -> None:
    env = {
        "DATABASE_URL": "sqlite://",
        "GOVERN_DIRECTORY_URL": "ldap://127.0.0.1",
        "GOVERN_SECRET_KEY": "k" * 32,
        "GOVERN_AUDIT_KEY_FILE": "a",
        "GOVERN_CHECKPOINT_DIR": "c",
        "GOVERN_DATA_KEYS_FILE": "d",
    }
    settings = load_settings(env)
    assert (settings.log_level, settings.log_format) == ("INFO", "json")
    quiet = load_settings({**env, "GOVERN_LOG_LEVEL": "warning", "GOVERN_LOG_FORMAT": "text"})
    assert (quiet.log_level, quiet.log_format) == ("WARNING", "text")
    for name, value in (("GOVERN_LOG_LEVEL", "LOUD"), ("GOVERN_LOG_FORMAT", "xml")):
        with pytest.raises(ConfigError, match=name):
            load_settings({**env, name: value})


@pytest.fixture
def own_slapd(tmp_path: Path) -> Iterator[Slapd]:
    """A slapd of this test's own, to stop."""
    server = start_slapd(tmp_path / "slapd")
    yield server
    server.stop()


def test_a_sign_in_during_a_directory_outage_logs_the_error_without_what_was_typed(
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
    clock: FixedClock,
    own_slapd: Slapd,
    owner_engine: object,
) -> None:
    app = create_app(
        replace(
            settings, directory_url=own_slapd.url, ldap_bind_password=own_slapd.reader_password
        ),
        clock=clock,
    )
    try:
        own_slapd.stop()
        typed = {"username": "zhang.san.typed", "password": "Typed-Pa55word-9"}
        refused = app.test_client().post("/api/v1/sessions", json=typed)
        own_slapd.start()
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()
    assert refused.status_code == 503
    lines = logged(capsys.readouterr().err)
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert errors and all(line["request_id"] == refused.headers["X-Request-Id"] for line in errors)
    seen = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert typed["username"] not in seen and typed["password"] not in seen
