"""The security matrix: every route of the OpenAPI document and every other route of the app
(the console's pages, sign-in, the public few), asked as every principal of
tests/security_matrix.toml — a person of every role of policies/roles.toml, and someone
anonymous, with an expired session, with a revoked account's session and who has left — is
answered as the table says: past the door (with debtor fields withheld, where it says so),
401, 403 with the code that says why, or the sign-in page; never a 5xx, never a 404 for want
of an object. The table is checked against policies/actions.toml and the routes' own
declarations, docs/security.md shows it as scripts/security_matrix.py writes it, and a route
the table does not know fails, naming it.

One world for the module (tests/support/matrix_world.py), on both databases: reads are asked
first, then changes (an empty body or form: the door is what is asked, and validation stops
them before anything changes), then what ends a session, each in a session of its own.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from govern.access.actions import role_actions
from govern.app import _register_http as register_http  # the routes, without any service
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import REPO_POLICIES, Settings, load_policy
from govern.db import make_engine
from tests.support.clock import NOW
from tests.support.database import wipe
from tests.support.hostile import Operation, openapi_document, operations, sample
from tests.support.matrix import (
    ALLOWED,
    API,
    FINER,
    FORBIDDEN,
    PAGES,
    PUBLIC,
    REASONS,
    REPO,
    SECURITY_MD,
    SIGN_IN,
    TELEPHONY,
    UNAUTHENTICATED,
    WITHHELD,
    Cell,
    Principal,
    Route,
    family,
    load,
    render,
    section_of,
)
from tests.support.matrix_world import (
    BROWSER,
    DEPARTED,
    HTTPS,
    SECOND_AUDITOR,
    SESSION_HOURS,
    Credentials,
    World,
    build,
    wait_for_runs,
)
from tests.support.slapd import Slapd
from tests.support.staff import STAFF, LiveDirectory

MATRIX = load()
DOCUMENT = openapi_document(register_http)
OPERATIONS = {f"{o.method} {o.path}": o for o in operations(DOCUMENT)}
REFRESH = "write it again: .venv/bin/python scripts/security_matrix.py"
CONVERTER = re.compile(r"<(?:[^:<>]+:)?(\w+)>")
DATA_CODE = re.compile(r'data-code="([^"]+)"')
WITHHELD_REASON = re.compile(r'class="withheld" data-reason="([^"]+)"')
CITED_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@pytest.fixture(scope="module")
def world(
    slapd: Slapd,
    base_settings: Settings,
    migrated: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    directory = LiveDirectory(slapd, [*STAFF, DEPARTED, SECOND_AUDITOR])
    settings = replace(
        base_settings,
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=tmp_path_factory.mktemp("matrix") / "checkpoints",
        session_hours=SESSION_HOURS,
        audit_gather_ms=0,  # one client: no other read's event to wait for
    )
    clock = FixedClock(NOW)
    app = create_app(settings, clock=clock)
    owner = make_engine(migrated[1])
    principals = {p.name: {"who": p.who, "state": p.state} for p in MATRIX.principals.values()}
    try:
        made = build(app, clock, principals)
        yield made
        wait_for_runs(made)  # the runs the pages started, before their tables are emptied
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()
        wipe(owner)
        owner.dispose()
        directory.close()


# ---- the table, the app, the policy and the documentation agree -------------------------------


def routes_of(app: Flask) -> set[tuple[str, str]]:
    """(surface, "METHOD path") of every route the app serves: the document's operations, and
    every other rule of the URL map with each of its methods."""
    found = {(API, key) for key in OPERATIONS}
    for rule in app.url_map.iter_rules():
        path, page = CONVERTER.sub(r"{\1}", rule.rule), CONVERTER.sub(r"<\1>", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if f"{method} {path}" not in OPERATIONS:
                found.add((PAGES, f"{method} {page}"))
    return found


def test_every_route_of_the_app_is_in_the_matrix_and_no_other(world: World) -> None:
    served = routes_of(world.app)
    tabled = {(r.surface, r.key) for r in MATRIX.routes}
    missing = [f'  [{surface}."{key}"]' for surface, key in sorted(served - tabled)]
    gone = [f'  [{surface}."{key}"]' for surface, key in sorted(tabled - served)]
    assert not missing, "\n".join(["routes not in tests/security_matrix.toml:", *missing])
    assert not gone, "\n".join(["tests/security_matrix.toml names routes gone:", *gone])
    assert world.app.test_client().get("/api/v1/openapi.json").get_json() == DOCUMENT


def declared(app: Flask, route: Route) -> str:
    """The action a route declares (@requires or @page), else public or telephony."""
    if route.surface == API and OPERATIONS[route.key].machine:
        return TELEPHONY
    shape = r"{\1}" if route.surface == API else r"<\1>"
    endpoint = next(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if CONVERTER.sub(shape, rule.rule) == route.path and route.method in (rule.methods or ())
    )
    permission = getattr(app.view_functions[endpoint], "permission", None)
    return f"{permission.resource}.{permission.action}" if permission else PUBLIC


def test_each_route_declares_the_action_the_matrix_names(world: World) -> None:
    wrong = [
        f"  {route.id}: the table says {route.action}, the route {declared(world.app, route)}"
        for route in MATRIX.routes
        if declared(world.app, route) != route.action
    ]
    assert not wrong, "\n".join(["actions that differ:", *wrong])


def test_the_matrix_lets_in_whom_policies_actions_toml_lets_in() -> None:
    """Each route lets past its door exactly whom actions.toml lets take its action, but for
    those its own rules refuse (`refused`, each with its code and the words why)."""
    actions = role_actions(REPO_POLICIES)
    wrong: list[str] = []
    for route in MATRIX.routes:
        if route.action in (PUBLIC, TELEPHONY):
            continue
        resource, action = route.action.split(".")
        for p in (p for p in MATRIX.principals.values() if p.staff):
            door = actions.allows({p.role or ""}, resource, action)
            if route.allows(p) and not door:
                wrong.append(f"  {route.id}: {p.name} allowed, actions.toml refuses {p.role}")
            if not route.allows(p) and door and p.name not in route.refused:
                wrong.append(f"  {route.id}: {p.name} refused by no rule the table names")
            if p.name in route.refused and (not door or route.allows(p)):
                wrong.append(f"  {route.id}: {p.name} is in `refused` but the door decides")
        if route.refused and not route.because:
            wrong.append(f"  {route.id}: `refused` without `because`")
        if not set(route.withheld) <= {
            p.name for p in MATRIX.principals.values() if route.allows(p)
        }:
            wrong.append(f"  {route.id}: `withheld` names someone not allowed")
        if {why for whys in route.withheld.values() for why in whys} - set(REASONS.values()):
            wrong.append(f"  {route.id}: `withheld` for a reason not in {sorted(REASONS.values())}")
    assert not wrong, "\n".join(["the table and policies/actions.toml differ:", *wrong])


def test_every_role_of_policies_roles_toml_is_a_principal_and_each_has_its_role(
    world: World,
) -> None:
    roles = load_policy(REPO_POLICIES / "roles.toml")
    defined = {*roles["groups"], roles["without_group"]}
    assert defined <= {p.role for p in MATRIX.principals.values() if p.staff}
    for p in MATRIX.principals.values():
        if p.staff:
            headers = world.principals[p.name].headers()
            answer = world.agency.client.get("/api/v1/sessions/current", headers=headers)
            assert answer.get_json()["roles"] == [p.role], p.name


def test_the_threat_model_points_to_tests_that_exist() -> None:
    """Each threat of docs/security.md names the tests that prove what stops it: they exist."""
    text = SECURITY_MD.read_text(encoding="utf-8")
    begins = text.index("## Threat model")
    threats = text[begins : text.index("\n## ", begins)]
    cited = CITED_TEST.findall(threats)
    assert len(cited) >= 20, "the threat model names too few tests"
    missing = [f"  {path}::{name}" for path, name in cited if name not in functions_of(path)]
    assert not missing, "\n".join(["the threat model names tests that do not exist:", *missing])


def functions_of(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_docs_security_md_shows_the_matrix_the_table_gives() -> None:
    shown = section_of(SECURITY_MD.read_text(encoding="utf-8"))
    assert shown, f"docs/security.md has no security matrix; {REFRESH}"
    assert shown == render(MATRIX), f"docs/security.md shows another matrix; {REFRESH}"


# ---- asking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    code: str  # the error's code, a refusal page's data-code, or the sign-in page's reason
    kind: str  # as the matrix writes it
    challenge: str  # WWW-Authenticate
    withheld: frozenset[str] = frozenset()  # why fields are withheld (`family`)


def value(world: World, route: Route, name: str) -> str:
    """What the route's parameter `name` is given: its object in the world, or as written."""
    given = route.objects.get(name) or MATRIX.parameters[name]
    return world.objects[given] if ":" in given else given


def ask_api(world: World, route: Route, principal: Credentials) -> TestResponse:
    operation: Operation = OPERATIONS[route.key]
    path = operation.path
    for parameter in operation.of("path"):
        path = path.replace(f"{{{parameter.name}}}", quote(value(world, route, parameter.name)))
    query = {
        p.name: value(world, route, p.name)
        if p.name in MATRIX.parameters
        else str(sample(p.schema, p.name, {}))
        for p in operation.of("query")
        if p.required
    }
    body = None if route.method in ("GET", "DELETE") else json.dumps({})
    headers = {**principal.headers(), **({"Content-Type": "application/json"} if body else {})}
    return world.agency.client.open(
        path, method=route.method, query_string=query, data=body, headers=headers
    )


def ask_page(world: World, route: Route, principal: Credentials) -> TestResponse:
    path = CONVERTER.sub(lambda found: quote(value(world, route, found.group(1))), route.path)
    data = {"csrf_token": principal.csrf} if route.method == "POST" else None
    return principal.page().open(
        path, method=route.method, base_url=HTTPS, headers=BROWSER, data=data
    )


def answered(route: Route, response: TestResponse) -> Answer:
    """The answer as the matrix writes it."""
    status, challenge = response.status_code, response.headers.get("WWW-Authenticate", "")
    if route.surface == API:
        body = response.get_json(silent=True)
        code = body["error"]["code"] if isinstance(body, dict) and "error" in body else ""
        reasons = set(_withheld(body))
    else:
        html = response.get_data(as_text=True)
        found = DATA_CODE.search(html) if status >= 400 else None
        code, reasons = (found.group(1) if found else ""), set(WITHHELD_REASON.findall(html))
        location = urlsplit(response.headers.get("Location", ""))
        if status in (302, 303) and location.path == "/login" and route.action != PUBLIC:
            reason = parse_qs(location.query).get("reason", [""])[0]
            return Answer(status, reason, SIGN_IN, challenge)
    kinds = {401: UNAUTHENTICATED, 403: FORBIDDEN}
    kind = kinds.get(status) or (WITHHELD if reasons else ALLOWED)
    return Answer(status, code, kind, challenge, frozenset(map(family, reasons)))


def _withheld(body: Any) -> Iterator[str]:
    """The reason codes of the fields a JSON answer withholds, of any debtor or party in it
    (`withheld`: a list of {field, reason}, or a party's {field: reason})."""
    if isinstance(body, dict):
        given = body.get("withheld")
        if isinstance(given, list):
            yield from (item["reason"] for item in given)
        elif isinstance(given, dict):
            yield from given.values()
        for key, value in body.items():
            if key != "withheld":
                yield from _withheld(value)
    elif isinstance(body, list):
        for value in body:
            yield from _withheld(value)


def mismatch(route: Route, who: Principal, answer: Answer) -> str | None:
    """What is wrong with the answer, or None."""
    expected: Cell = MATRIX.expected(route, who)
    kind = FORBIDDEN if expected.kind == FINER else expected.kind
    said = f"answered {answer.status} {answer.code!r}"
    if answer.status >= 500 or (kind in (ALLOWED, WITHHELD) and answer.status == 404):
        return f"{who.name}: {said}, expected {expected.kind}"
    if answer.kind != kind or (expected.codes and answer.code not in expected.codes):
        return f"{who.name}: {said} ({answer.kind}), expected {expected.kind} {set(expected.codes)}"
    if answer.withheld != expected.withheld:
        why, expected_why = sorted(answer.withheld), sorted(expected.withheld)
        return f"{who.name}: fields withheld for {why}, expected for {expected_why}"
    scheme = "Govern-Signature" if route.action == TELEPHONY else "Bearer"
    if route.surface == API and answer.status == 401 and not answer.challenge.startswith(scheme):
        return f"{who.name}: 401 with WWW-Authenticate {answer.challenge!r}, not {scheme}"
    return None


@pytest.mark.parametrize("route", MATRIX.in_order(), ids=lambda r: r.id)
def test_the_route_answers_every_principal_as_the_matrix_says(world: World, route: Route) -> None:
    ask = ask_api if route.surface == API else ask_page
    wrong = []
    for who in MATRIX.principals.values():
        fresh = route.fresh and who.staff
        principal = world.fresh(who.name) if fresh else world.principals[who.name]
        problem = mismatch(route, who, answered(route, ask(world, route, principal)))
        wrong += [f"  {problem}"] if problem else []
    assert not wrong, "\n".join([f"{route.id} (tests/security_matrix.toml):", *wrong])


# ---- every console page, as every role that sees it ---------------------------------------------

HTML_ID = re.compile(r'\sid="([^"]*)"')
PAGE_READS = [r for r in MATRIX.in_order() if r.surface == PAGES and r.method == "GET"]


def repeated_ids(html: str) -> list[str]:
    """The HTML ids the page gives more than one element (a label's `for`, a fragment link
    and a script reach the first only)."""
    seen = HTML_ID.findall(html)
    return sorted({found for found in seen if seen.count(found) > 1})


@pytest.mark.parametrize("route", PAGE_READS, ids=lambda r: r.id)
def test_no_console_page_gives_an_html_id_twice(world: World, route: Route) -> None:
    wrong = []
    for who in MATRIX.principals.values():
        if MATRIX.expected(route, who).kind not in (ALLOWED, WITHHELD) or route.fresh:
            continue
        response = ask_page(world, route, world.principals[who.name])
        if response.status_code == 200 and response.mimetype == "text/html":
            twice = repeated_ids(response.get_data(as_text=True))
            wrong += [f"  {who.name}: {', '.join(twice)}"] if twice else []
    assert not wrong, "\n".join([f"{route.id} repeats HTML ids:", *wrong])
