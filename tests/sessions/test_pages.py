"""The browser pages: a Secure HttpOnly cookie and a CSRF token on every form."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

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
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax"))
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
    assert "用户名或密码错误。" in response.get_data(as_text=True)  # Chinese unless asked
    english = client.post(
        "/login",
        headers={"Accept-Language": "en-GB,en;q=0.9"},
        data={"csrf_token": csrf_token(client, "/login"), "username": "col.a1", "password": "nope"},
    )
    assert "Wrong username or password." in english.get_data(as_text=True)


def test_pages_need_a_session(agency: Agency) -> None:
    response = agency.client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")


def test_an_api_token_does_not_open_the_pages(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    agency.client.set_cookie("govern_session", agency.login("col.a1"))
    assert agency.client.get("/", base_url="https://localhost").status_code == 302


class SignedEarlier(TimestampSigner):
    """Signs as a page served `seconds` ago would have (Flask-WTF reads time.time())."""

    seconds = 0

    def get_timestamp(self) -> int:
        return int(time.time()) - self.seconds


def page_token_from(app: Flask, client: FlaskClient, seconds_ago: int) -> str:
    """The CSRF token of a page `client` was served `seconds_ago`, for its own session."""
    with client.session_transaction() as browser_session:
        raw = browser_session["csrf_token"]
    signer = type("Signer", (SignedEarlier,), {"seconds": seconds_ago})
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=signer).dumps(raw)


def sign_in_on_the_page(agency: Agency, username: str) -> str:
    client = agency.client
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "username": username,
            "password": BY_USERNAME[username].password,
        },
    )
    assert response.status_code == 302
    return re.search(r"govern_session=([^;]+)", response.headers["Set-Cookie"]).group(1)


def test_signing_out_works_from_a_page_left_open_for_an_hour(agency: Agency) -> None:
    """The CSRF token lives as long as the session (GOVERN_SESSION_HOURS), not Flask-WTF's hour."""
    agency.with_accounts("col.a1")
    client = agency.client
    session = sign_in_on_the_page(agency, "col.a1")
    open_for = round(agency.services.settings.session_hours * 3600) - 60
    assert open_for > 3600
    signed_out = client.post(
        "/logout", data={"csrf_token": page_token_from(agency.app, client, open_for)}
    )
    assert (signed_out.status_code, signed_out.headers["Location"]) == (302, "/login")
    client.set_cookie("govern_session", session)  # the session is over, not only forgotten
    assert client.get("/", base_url="https://localhost").status_code == 302


def test_a_form_older_than_a_session_is_refused(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    client = agency.client
    client.get("/login")
    too_old = round(agency.services.settings.session_hours * 3600) + 60
    response = client.post(
        "/login",
        data={
            "csrf_token": page_token_from(agency.app, client, too_old),
            "username": "col.a1",
            "password": BY_USERNAME["col.a1"].password,
        },
    )
    assert response.status_code == 400
    assert "The CSRF token has expired." in response.get_data(as_text=True)
