"""The browser pages: a Secure HttpOnly cookie and a CSRF token on every form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.agency import Agency
from tests.support.staff import BY_USERNAME


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_signing_in_on_the_page_sets_a_secure_httponly_cookie(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "username": "col.a1",
            "password": BY_USERNAME["col.a1"].password,
        },
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "govern_session=" in cookie
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Strict"))
    home = client.get("/", base_url="https://localhost")
    assert home.status_code == 200
    assert "马超" in home.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    response = agency.client.post(
        "/login", data={"username": "col.a1", "password": BY_USERNAME["col.a1"].password}
    )
    assert response.status_code == 400
    assert "CSRF token is missing" in response.get_data(as_text=True)
    assert "govern_session" not in response.headers.get("Set-Cookie", "")


def test_r_acc_5_a_wrong_password_on_the_page_says_only_that(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "username": "col.a1", "password": "nope"},
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_pages_need_a_session(agency: Agency) -> None:
    response = agency.client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")


def test_an_api_token_does_not_open_the_pages(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    agency.client.set_cookie("govern_session", agency.login("col.a1"))
    assert agency.client.get("/", base_url="https://localhost").status_code == 302
