"""What every client of the API can rely on: the OpenAPI document and one error shape."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parents[1]


def test_the_openapi_document_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api-docs.openapi_json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes and routes <= documented
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_unknown_routes_answer_in_the_one_error_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "http.404"


def test_requests_without_a_session_are_refused_before_their_body_is_read(
    client: FlaskClient,
) -> None:
    response = client.post("/api/v1/accounts", data="{broken", content_type="application/json")
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "session.missing")


def test_the_security_doc_shows_the_role_action_table_as_it_is() -> None:
    """docs/security.md must list every action of policies/actions.toml with its roles."""
    table = tomllib.loads((REPO / "policies" / "actions.toml").read_text())
    doc = (REPO / "docs" / "security.md").read_text()
    for resource, actions in table.items():
        for action, roles in actions.items():
            row = f"| `{resource}.{action}` | {', '.join(f'`{r}`' for r in roles)} |"
            assert row in doc, row


def test_the_openapi_document_shows_errors_as_they_are_sent(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert spec["components"]["responses"]["FORBIDDEN"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Error"}
    sign_in = spec["paths"]["/api/v1/sessions"]["post"]
    assert sign_in["security"] == []  # signing in needs no token
    assert {"401", "429"} <= set(sign_in["responses"])
    issue = spec["paths"]["/api/v1/accounts"]["post"]
    assert {"200", "201", "403", "404", "409", "422"} <= set(issue["responses"])


def test_every_401_says_how_to_authenticate(client: FlaskClient) -> None:
    """A 401 carries a WWW-Authenticate challenge (RFC 9110 15.5.2): a staff route asks for
    the Bearer session token, naming a token that names no session (RFC 6750 3.1); the
    telephone system's route asks for its signature."""
    bearer_only = 'Bearer realm="govern"'
    anonymous = client.get("/api/v1/sessions/current")
    assert (anonymous.status_code, anonymous.headers["WWW-Authenticate"]) == (401, bearer_only)
    unknown = client.get("/api/v1/accounts", headers={"Authorization": "Bearer no-such-token"})
    assert unknown.headers["WWW-Authenticate"] == f'{bearer_only}, error="invalid_token"'
    wrong = client.post("/api/v1/sessions", json={"username": "col.a1", "password": "wrong"})
    assert (wrong.status_code, wrong.headers["WWW-Authenticate"]) == (401, bearer_only)
    unsigned = client.post("/api/v1/calls", json={})
    assert unsigned.status_code == 401
    assert unsigned.headers["WWW-Authenticate"] == 'Govern-Signature realm="telephony"'


def test_every_operation_lists_the_refusals_any_request_may_meet(client: FlaskClient) -> None:
    """No catch-all "default" answer: each operation lists the entrance's refusals (400; 413,
    415, 422 with a body), the session's (401, but for signing in) and the trail's (503), so
    that every status Govern gives is in the document (tests/test_fuzz.py holds answers to it)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        operations = {method: op for method, op in item.items() if method != "parameters"}
        for method, operation in operations.items():
            listed, where = set(operation["responses"]), f"{method.upper()} {path}"
            assert "default" not in listed, where
            assert {"400", "503"} <= listed, where
            assert "401" in listed or operation.get("security") == [], where
            assert "requestBody" not in operation or {"413", "415", "422"} <= listed, where
            error = operation["responses"]["400"]
            assert error == {"$ref": "#/components/responses/BAD_REQUEST"}, where
