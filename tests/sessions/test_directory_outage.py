"""The company directory down: signing in fails with a clear message, in Chinese and English,
on the API and on the sign-in page; everyone already signed in goes on working (a session is
checked against Govern's own records, never the directory), though readiness fails for the
directory (no one can sign in) and says so; the directory back, sign-ins work again.

Already proven in tests/sessions/test_faults.py: an outage's refusals are audited and count
against no sign-in limit, and sign-in works the moment the directory is back.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from govern.clock import FixedClock
from tests.sessions.test_pages import csrf_token
from tests.support.agency import Agency, bearer
from tests.support.floor import open_floor
from tests.support.pages import HTTPS, page_session
from tests.support.slapd import Slapd
from tests.support.staff import BY_USERNAME

ENGLISH = "The company directory did not answer. Try again shortly."
CHINESE = "公司目录服务无响应，请稍后再试。"


def api_sign_in(client: FlaskClient, username: str, language: str) -> tuple[int, dict]:
    response = client.post(
        "/api/v1/sessions",
        json={"username": username, "password": BY_USERNAME[username].password},
        headers={"Accept-Language": language},
    )
    return response.status_code, response.get_json()


def page_sign_in(client: FlaskClient, username: str, language: str) -> tuple[int, str]:
    form = {
        "csrf_token": csrf_token(client, "/login"),
        "username": username,
        "password": BY_USERNAME[username].password,
    }
    response = client.post("/login", data=form, headers={"Accept-Language": language})
    return response.status_code, response.get_data(as_text=True)


def test_r_acc_5_with_the_directory_down_sign_ins_fail_in_words_and_sessions_go_on(
    outage_agency: Agency, own_slapd: Slapd, clock: FixedClock
) -> None:
    agency = outage_agency
    floor = open_floor(agency, clock)
    token = agency.login("col.a1")  # signed in on the API before the outage
    page_session(agency, "col.a1")  # and in a browser (agency.client keeps the cookie)
    debtor = floor.debtors["C-001"]
    newcomer = agency.app.test_client  # a browser or a program signing in now
    own_slapd.stop()
    try:
        api = {lang: api_sign_in(newcomer(), "col.a2", lang) for lang in ("en", "zh")}
        page = {lang: page_sign_in(newcomer(), "col.a2", lang) for lang in ("en", "zh")}
        viewed = agency.client.get(f"/api/v1/debtors/{debtor}", headers=bearer(token))
        caseload = agency.client.get("/api/v1/debtors?assigned=me", headers=bearer(token))
        record = agency.client.get(f"/debtors/{debtor}", base_url=HTTPS)
        ready = agency.client.get("/readyz")
    finally:
        own_slapd.start()
    assert {lang: (s, b["error"]["code"]) for lang, (s, b) in api.items()} == {
        "en": (503, "directory.unavailable"),
        "zh": (503, "directory.unavailable"),
    }
    assert CHINESE in api["zh"][1]["error"]["message"]
    assert "did not answer" in api["en"][1]["error"]["message"]
    assert (page["zh"][0], page["en"][0]) == (503, 503)
    assert CHINESE in page["zh"][1] and ENGLISH in page["en"][1]
    assert (viewed.status_code, viewed.get_json()["id"]) == (200, debtor)
    assert caseload.status_code == 200 and caseload.get_json()["debtors"]
    assert record.status_code == 200 and "张" in record.get_data(as_text=True)
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["directory"]["state"] == (
        "no answer: sign-ins refused; signed-in staff still served"
    )
    assert api_sign_in(newcomer(), "col.a2", "en")[0] == 201
    assert page_sign_in(newcomer(), "col.a2", "zh")[0] == 302
