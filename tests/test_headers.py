"""Security headers and caching on every answer, generated over the app's routes.

Every rule of the url_map (pages, API, the OpenAPI document, static files) is asked with each
of its methods and with one it does not take, with and without a session, over HTTP and HTTPS:
a route added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Flask, render_template
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, PathConverter, Rule
from werkzeug.test import TestResponse

from govern.config import Settings
from govern.errors import Forbidden
from tests.support.agency import Agency, bearer
from tests.support.pages import page_session

HTTP, HTTPS = "http://localhost", "https://localhost"
# no route takes it (PATCH now sets a creditor's contract end): every path answers it with 405
NOBODY_USES = "TRACE"


def problems(response: TestResponse, *, over_tls: bool) -> list[str]:
    """What is missing from `response`'s security and caching headers ([] when nothing is)."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    csp = {name: value for name, _, value in (p.strip().partition(" ") for p in policy.split(";"))}
    wanted = {
        "CSP default-src": csp.get("default-src") == "'self'",
        "CSP frame-ancestors": csp.get("frame-ancestors") == "'none'",
        "CSP without unsafe sources": "unsafe" not in policy,
        "X-Frame-Options": headers.get("X-Frame-Options") == "DENY",
        "X-Content-Type-Options": headers.get("X-Content-Type-Options") == "nosniff",
        "Referrer-Policy": headers.get("Referrer-Policy") == "same-origin",
        "Cache-Control": headers.get("Cache-Control") == "no-store",
        "HSTS over TLS only": ("Strict-Transport-Security" in headers) == over_tls,
    }
    return [name for name, holds in wanted.items() if not holds]


def sample_path(rule: Rule) -> str:
    """`rule` with a value in each of its variables (an unknown id, or the stylesheet)."""
    path = rule.rule
    for name, converter in rule._converters.items():
        value = "1" if isinstance(converter, IntegerConverter) else "unknown-id"
        if isinstance(converter, PathConverter):
            value = "govern.css"
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", value, path)
    return path


def every_request(app: Flask) -> list[tuple[Rule, str, str]]:
    """(rule, method, path) for each method of each rule, and one method it does not take.

    DELETEs come last: one of them signs the caller out.
    """
    asked = [
        (rule, method, sample_path(rule))
        for rule in app.url_map.iter_rules()
        for method in [*sorted(rule.methods or ()), NOBODY_USES]
    ]
    return sorted(asked, key=lambda request: request[1] == "DELETE")


def ask_everything(client: FlaskClient, base_url: str, **headers: str) -> dict[str, list[str]]:
    """Ask every route every way: "METHOD path → status" → what its headers lack ([] if none)."""
    answers = {}
    for rule, method, path in every_request(client.application):
        response = client.open(path, method=method, base_url=base_url, headers=headers)
        missing = problems(response, over_tls=base_url == HTTPS)
        if method == NOBODY_USES:
            allowed = {m.strip() for m in response.headers.get("Allow", "").split(",")}
            if response.status_code != 405 or not (rule.methods or set()) <= allowed:
                missing.append(f"405 with Allow ⊇ {sorted(rule.methods or ())}")
        if response.headers.get("Location", "").startswith("https:") and base_url == HTTP:
            missing.append("no redirect to HTTPS (the demo serves http://127.0.0.1)")
        answers[f"{method} {path} → {response.status_code}"] = missing
    return answers


def shortfalls(answers: dict[str, list[str]]) -> dict[str, list[str]]:
    return {answer: missing for answer, missing in answers.items() if missing}


def test_every_route_answers_with_security_headers_and_no_store(client: FlaskClient) -> None:
    assert shortfalls(ask_everything(client, HTTP)) == {}


def test_every_route_answers_over_tls_with_hsts(client: FlaskClient) -> None:
    assert shortfalls(ask_everything(client, HTTPS)) == {}


def test_every_api_answer_to_a_signed_in_caller_carries_the_headers(agency: Agency) -> None:
    agency.with_accounts("col.a1", "auditor")
    for username in ("gm", "auditor", "col.a1"):
        answers = ask_everything(agency.client, HTTPS, **bearer(agency.login(username)))
        assert shortfalls(answers) == {}
        # real answers with personal data, not only refusals
        assert "GET /api/v1/sessions/current → 200" in answers
        assert "GET /api/v1/accounts/unknown-id → 404" in answers


def test_pages_and_their_errors_carry_the_headers(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    client.set_cookie("govern_session", page_session(agency, "col.a1"))
    home = client.get("/", base_url=HTTPS)
    assert (home.status_code, problems(home, over_tls=True)) == (200, [])
    assert "马超" in home.get_data(as_text=True)
    wrong = client.post("/login", data={"username": "col.a1", "password": "nope"})
    assert (wrong.status_code, problems(wrong, over_tls=False)) == (400, [])


def test_an_unexpected_error_carries_the_headers(app: Flask, client: FlaskClient) -> None:
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/broken", "broken", broken)
    response = client.get("/api/v1/broken")
    assert (response.status_code, response.get_json()["error"]["code"]) == (500, "internal")
    assert problems(response, over_tls=False) == []


def test_answers_outside_any_route_carry_the_headers(client: FlaskClient) -> None:
    unknown_api, unknown_page = client.get("/api/v1/nothing-here"), client.get("/nothing-here")
    too_big = client.post(
        "/api/v1/sessions", data="x" * (9 * 1024 * 1024), content_type="application/json"
    )
    csrf = client.post("/logout")
    answers = [unknown_api, unknown_page, too_big, csrf]
    assert [answer.status_code for answer in answers] == [404, 404, 413, 400]
    assert [problems(answer, over_tls=False) for answer in answers] == [[], [], [], []]


def test_a_405_names_the_methods_the_route_takes(client: FlaskClient) -> None:
    response = client.put("/api/v1/accounts")
    assert (response.status_code, response.get_json()["error"]["code"]) == (405, "http.405")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_the_pages_need_no_inline_script_or_style(agency: Agency) -> None:
    """The CSP allows no inline code, so the pages must have none: style comes from a file."""
    agency.with_accounts("col.a1")
    client = agency.client
    client.set_cookie("govern_session", page_session(agency, "col.a1"))
    pages = [client.get(path, base_url=HTTPS).get_data(as_text=True) for path in ("/", "/login")]
    with agency.app.test_request_context("/"):
        pages.append(render_template("error.html", error=Forbidden("code", "Not now.")))
    for html in pages:
        assert "<html" in html
        assert not re.search(r"<script|<style|\sstyle=|\son\w+=|javascript:", html, re.I), html
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
        assert stylesheet.startswith("/")  # this origin, which 'self' allows
        css = client.get(stylesheet)
        assert (css.status_code, css.mimetype) == (200, "text/css")


def test_hsts_believes_a_proxy_only_when_govern_proxy_hops_says_so(
    settings: Settings, another_app
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"}
    direct = another_app(settings).test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in direct.headers  # anyone can send that header
    proxied = another_app(replace(settings, proxy_hops=1)).test_client()
    answer = proxied.get("/login", headers=forwarded)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in proxied.get("/login").headers
