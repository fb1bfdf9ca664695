"""Hostile input never reaches a 500: every operation of the OpenAPI document × every class of
hostile input (NUL, lone surrogates, in any UTF a JSON reader decodes; deep JSON; numbers and
dates out of range, NaN and Infinity; a body that is not JSON, or not UTF-8, or over the size
limit; bytes that are not UTF-8 in the path or the query; direction controls; look-alike
Unicode in ids, codes, numbers and dates) answers a 4xx `{"error": {"code", "message"}}` and
changes nothing, on both databases. Oversized headers never reach Govern: gunicorn refuses
them (tests/test_fuzz.py).

The cases are generated from the document, so a route added later is covered by itself. One
world serves the whole module (building it for each of some 300 cases would take minutes): a
caller holding every role, so that what refuses is the entrance or the schema, never a 403.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from govern.accounts import repository as accounts
from govern.accounts.service import issue_account
from govern.actor import Actor
from govern.app import _register_http as register_http  # the routes, without any service
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings
from govern.contact.telephony import signed_headers
from govern.db import make_engine
from govern.models import Base
from govern.training.catalogue import load_catalogue
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW
from tests.support.database import wipe
from tests.support.debtors import CASES
from tests.support.floor import import_cases
from tests.support.hostile import (
    CLASSES,
    ENCODINGS,
    HostileClass,
    Operation,
    Request,
    openapi_document,
    operations,
)
from tests.support.hostile_bytes import CLASSES as BYTE_CLASSES
from tests.support.hostile_bytes import MAX_BODY
from tests.support.slapd import Slapd
from tests.support.staff import GROUPS, STAFF, LiveDirectory, Person

#: Someone in every role's directory group: every route lets them in.
EVERY_ROLE = Person(
    "1099", "every.role", "全权", "dept-a", "pg-a1", "management", groups=tuple(GROUPS)
)

DOCUMENT = openapi_document(register_http)
GENERATED = [
    pytest.param(operation, hostile, id=f"{operation.id}:{hostile.name}")
    for operation in operations(DOCUMENT)
    for hostile in [*CLASSES, *BYTE_CLASSES]
    if hostile.build(operation, {})
]


@dataclass(frozen=True)
class World:
    app: Flask
    client: FlaskClient
    engine: Engine
    known: dict[str, Any]  # realistic values by parameter or field name
    tokens: list[str]  # the caller's session, opened again if a case ever ended it

    def token(self) -> str:
        """A live session of the caller holding every role."""
        current = self.client.get("/api/v1/sessions/current", headers=bearer(self.tokens[0]))
        if current.status_code != 200:
            agency = Agency(self.app, self.client)
            self.tokens[0] = agency.login(EVERY_ROLE.username, EVERY_ROLE.password)
        return self.tokens[0]


@pytest.fixture(scope="module")
def world(
    slapd: Slapd,
    base_settings: Settings,
    migrated: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    directory = LiveDirectory(slapd, [*STAFF, EVERY_ROLE])
    settings = replace(
        base_settings,
        policies_dir=_without_separation(base_settings.policies_dir, tmp_path_factory),
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=tmp_path_factory.mktemp("hostile") / "checkpoints",
    )
    app = create_app(settings, clock=FixedClock(NOW))
    owner = make_engine(migrated[1])
    try:
        yield _populate(app, settings.policies_dir)
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()
        wipe(owner)
        owner.dispose()
        directory.close()


def _without_separation(policies: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The policies with no separation-of-duties rule: the caller of every case holds every
    role, which those rules forbid one person (docs/governance.md); here every route must be
    reached, to be sent hostile input."""
    folder = tmp_path_factory.mktemp("policies") / "policies"
    shutil.copytree(policies, folder)
    (folder / "separation_of_duties.toml").write_text("max_exception_days = 365\n")
    return folder


def _populate(app: Flask, policies: Path) -> World:
    agency = Agency(app, app.test_client())
    agency.sync()
    ids = agency.with_accounts("col.a1")
    s = agency.services
    with s.sessions() as db:
        gm = accounts.staff_of(accounts.identity(db, "1001"))
        issue_account(db, s.context(), Actor(gm, ids["gm"]), EVERY_ROLE.number)
    debtor = next(iter(import_cases(agency, [case.row() for case in CASES]).values()))
    book = load_catalogue(policies)
    known = {
        "account_id": ids["col.a1"],
        "account": ids["col.a1"],
        "employee_number": "1004",
        "debtor_id": debtor,
        "debtor": debtor,
        "debtor_ids": [debtor],
        "course": next(iter(book.courses)),
        "name": "confidentiality",
        "version": book.agreement("confidentiality").current,
        "username": EVERY_ROLE.username,
        "password": EVERY_ROLE.password,
        "project_group": "pg-a1",
        "department": "dept-a",
        "purpose": "scheduled_call",
        "fields": ["phone"],
        "field": "phone",
    }
    token = agency.login(EVERY_ROLE.username, EVERY_ROLE.password)
    # the first read stores the default access policy: before the cases, not during one
    assert agency.client.get("/api/v1/access/policy", headers=bearer(token)).status_code == 200
    return World(app, agency.client, s.engine, known, [token])


#: The scheduler's own bookkeeping (each job's next run) moves on its clock, not by requests.
SCHEDULER_TABLES = {"apscheduler_jobs"}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table Govern owns (the audit trail aside: refusals may be audited)."""
    with engine.connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if table.name not in SCHEDULER_TABLES
        }


def test_the_cases_come_from_the_document_the_app_serves(world: World) -> None:
    assert world.client.get("/api/v1/openapi.json").get_json() == DOCUMENT
    assert world.app.config["MAX_CONTENT_LENGTH"] == MAX_BODY
    assert len(GENERATED) > 100
    assert [o.id for o in operations(DOCUMENT) if o.machine] == ["POST:/api/v1/calls"]


def credentials(world: World, operation: Operation, sent: Request, token: str) -> dict[str, str]:
    """The caller's session, or for the telephone system's route its signature over exactly
    the bytes sent: what refuses is then the entrance or the schema, never the credential."""
    if not operation.machine:
        return bearer(token)
    s = world.app.extensions["govern"]
    body = sent.body.encode() if isinstance(sent.body, str) else sent.body or b""
    return signed_headers(s.telephony_key, sent.method, sent.path, body, s.clock.now())


def content_type(sent: Request) -> dict[str, str]:
    """The request's Content-Type header, if it has a body and a type."""
    return (
        {"Content-Type": sent.content_type} if sent.body is not None and sent.content_type else {}
    )


@pytest.mark.parametrize(("operation", "hostile"), GENERATED)
def test_hostile_input_is_refused_with_a_4xx_and_changes_nothing(
    world: World, operation: Operation, hostile: HostileClass
) -> None:
    requests, token = hostile.build(operation, world.known), world.token()
    before = snapshot(world.engine)
    for sent in requests:
        response = world.client.open(
            sent.path,
            method=sent.method,
            query_string=sent.query,
            data=sent.body,
            headers={
                **credentials(world, operation, sent, token),
                **content_type(sent),
            },
        )
        seen = (sent.spoiled, response.status_code, response.get_data(as_text=True)[:300])
        assert 400 <= response.status_code < 500, seen
        assert response.status_code not in (401, 403), seen  # the caller may use the route
        body = response.get_json()
        assert set(body) == {"error"}, seen
        assert isinstance(body["error"]["code"], str), seen
        assert isinstance(body["error"]["message"], str), seen
        assert not hostile.codes or body["error"]["code"] in hostile.codes, seen
    assert snapshot(world.engine) == before


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_harmless_body_in_another_utf_is_left_to_the_route_after_the_session(
    world: World, encoding: str
) -> None:
    """The entrance refuses only what it can prove hostile: a clean body with a byte order mark
    or in UTF-16/32 is still refused for want of a session first (401), then as malformed by
    the route (400), and changes nothing."""
    body = ENCODINGS[encoding](json.dumps({"employee_number": "1004"}))
    before = snapshot(world.engine)
    headers = {"Content-Type": "application/json"}
    anonymous = world.client.post("/api/v1/accounts", data=body, headers=headers)
    assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (
        401,
        "session.missing",
    )
    headers |= bearer(world.token())
    signed_in = world.client.post("/api/v1/accounts", data=body, headers=headers)
    assert (signed_in.status_code, signed_in.get_json()["error"]["code"]) == (
        400,
        "request.malformed",
    )
    assert snapshot(world.engine) == before


# ---- the browser pages -------------------------------------------------------------------------


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("spoiled", ["username", "password", "csrf_token"])
def test_a_nul_in_the_login_form_is_refused_and_changes_nothing(world: World, spoiled: str) -> None:
    client = world.app.test_client()
    form = {
        "csrf_token": csrf_token(client, "/login"),
        "username": EVERY_ROLE.username,
        "password": EVERY_ROLE.password,
    }
    form[spoiled] = form[spoiled] + "\x00"
    before = snapshot(world.engine)
    response = client.post("/login", data=form)
    assert response.status_code == 400
    assert "govern_session" not in response.headers.get("Set-Cookie", "")
    assert snapshot(world.engine) == before


def test_a_nul_in_the_logout_form_is_refused_and_changes_nothing(world: World) -> None:
    client = world.app.test_client()
    form = {"csrf_token": csrf_token(client, "/login"), "extra": "\x00"}
    before = snapshot(world.engine)
    response = client.post("/logout", data=form)
    assert response.status_code == 400
    assert 'data-code="request.invalid_text">请求中含有无效的字符。' in response.get_data(
        as_text=True
    )
    assert snapshot(world.engine) == before


@pytest.mark.parametrize(
    "path",
    ["/login?next=%00", "/%00", "/login?%00=x", "/login?next=%E9", "/%C0%AE", "/login?%E2%80%AE"],
)
def test_a_nul_in_a_page_address_is_refused(world: World, path: str) -> None:
    response = world.app.test_client().get(path)
    assert response.status_code == 400
    assert 'data-code="request.invalid_text">请求中含有无效的字符。' in response.get_data(
        as_text=True
    )


# ---- look-alike Unicode ---------------------------------------------------------------------

#: 1005 (col.a2, tests/support/staff.py) in full-width digits, with a Cyrillic O for each 0,
#: with a zero-width joiner, and with a right-to-left override before it.
LOOK_ALIKES = [
    "\uff11\uff10\uff10\uff15",
    "1\u041e\u041e5",
    "10\u200d05",
    "\u202e1005",
]


@pytest.mark.parametrize("spelled", LOOK_ALIKES)
def test_a_look_alike_employee_number_never_matches_anyone(world: World, spelled: str) -> None:
    """A look-alike of an employee number is refused, never normalized: it issues nobody's
    account and sets nobody's departure (docs/security.md, "Hostile input")."""
    headers = bearer(world.token())
    before = snapshot(world.engine)
    issued = world.client.post(
        "/api/v1/accounts", json={"employee_number": spelled}, headers=headers
    )
    departure = world.client.put(
        f"/api/v1/staff/{quote(spelled, safe='')}/departure",
        json={"date": "2026-12-31"},
        headers=headers,
    )
    for refused in (issued, departure):
        assert 400 <= refused.status_code < 500 and refused.status_code != 403, refused.get_json()
        assert refused.get_json()["error"]["code"] != "account.exists"
    assert snapshot(world.engine) == before


@pytest.mark.parametrize("written", ["\uff11\uff10", "\u0661\u0660", " 10", "1_0", "+10"])
def test_a_number_in_other_digits_is_refused_not_read(world: World, written: str) -> None:
    """Python reads all of these as 10; Govern takes the digits 0-9 only (govern/bounds.py)."""
    headers = bearer(world.token())
    plain = world.client.get("/api/v1/audit/events", query_string={"limit": "10"}, headers=headers)
    assert plain.status_code == 200
    other = world.client.get(
        "/api/v1/audit/events", query_string={"limit": written}, headers=headers
    )
    assert other.status_code == 422
    assert other.get_json()["error"]["fields"] == {"limit": ["Write the number in the digits 0-9."]}
