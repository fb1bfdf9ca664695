"""The console's glue: its language (Chinese unless English is chosen or asked for), the
toggle, the menu, and where a page sends someone who may not be there."""

from __future__ import annotations

import importlib
import pkgutil
import re

from flask import Flask, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange

import govern
from govern.access.policy import access_policy
from govern.bounds import LARGEST
from govern.clock import FixedClock
from govern.console import MENU, in_govern_years, permission_of
from govern.policies import RolePolicy
from tests.support.agency import Agency
from tests.support.pages import HTTPS, page_session

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def test_the_console_speaks_chinese_unless_english_is_asked_for(agency: Agency) -> None:
    client = agency.client
    assert "请使用公司目录中的用户名和密码" in client.get("/login").get_data(as_text=True)
    english = client.get("/login", headers=ENGLISH).get_data(as_text=True)
    assert "Use your company directory username and password." in english
    assert '<html lang="en">' in english
    asked = {"Accept-Language": "fr-FR,zh-TW;q=0.8,en;q=0.5"}  # Chinese before English
    assert "登录" in client.get("/login", headers=asked).get_data(as_text=True)


def test_the_toggle_outweighs_the_browser_and_goes_back_where_it_was(agency: Agency) -> None:
    client = agency.client
    toggled = client.get("/language/en", headers={"Referer": "http://localhost/login?x=1"})
    assert (toggled.status_code, toggled.headers["Location"]) == (302, "/login?x=1")
    assert "govern_lang=en" in toggled.headers["Set-Cookie"]
    page = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign in" in page and "登录" not in page.split("<main>")[1]
    client.get("/language/zh")
    assert "登录" in client.get("/login", headers=ENGLISH).get_data(as_text=True)


def test_the_toggle_never_leaves_the_site_nor_takes_an_unknown_language(agency: Agency) -> None:
    client = agency.client
    away = client.get("/language/en", headers={"Referer": "https://evil.example/login"})
    assert away.headers["Location"] == "/"
    unknown = client.get("/language/fr")
    assert "govern_lang" not in unknown.headers.get("Set-Cookie", "")


def test_a_page_sends_whoever_is_not_signed_in_to_sign_in(agency: Agency) -> None:
    response = agency.client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")


def test_an_ended_session_is_sent_to_sign_in_told_why(agency: Agency, clock: FixedClock) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "col.a1")
    clock.advance(hours=agency.services.settings.session_hours, seconds=1)
    sent = agency.client.get("/", base_url=HTTPS)
    assert sent.headers["Location"] == "/login?reason=session.expired"
    assert "govern_session=;" in sent.headers["Set-Cookie"]  # the cookie is forgotten
    told = agency.client.get(sent.headers["Location"], base_url=HTTPS)
    assert "您的会话已过期，请重新登录。" in told.get_data(as_text=True)


def test_someone_who_may_no_longer_sign_in_is_told_why_and_whom_to_ask(agency: Agency) -> None:
    for reason, chinese, english in (
        ("account.revoked", "已被注销", "ask your department head"),
        ("account.departed", "您已离职", "ask HR"),
        ("account.suspended", "已被暂停", "IT for a security concern"),
    ):
        told = agency.client.get(f"/login?reason={reason}").get_data(as_text=True)
        assert chinese in told, reason
        told = agency.client.get(f"/login?reason={reason}", headers=ENGLISH)
        assert english in told.get_data(as_text=True), reason


def test_the_menu_shows_what_the_roles_may_use(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "col.a1")
    home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert 'aria-current="page">我的账号</a>' in home
    assert "<dd>催收员</dd>" in home  # a role by its name (policies/roles.toml), not its code
    english = agency.client.get("/", base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert "<dd>Collector</dd>" in english


def test_every_menu_entry_names_a_page_and_an_action_of_the_table(app: Flask) -> None:
    allows = app.extensions["govern"].allows
    with app.app_context():
        for entry in MENU:
            needed = permission_of(entry.endpoint)  # KeyError when not a page
            allows(frozenset(), needed.resource, needed.action)  # KeyError when not in the table
    assert isinstance(app.extensions["govern"].roles, RolePolicy)


#: One person of each role (tests/support/staff.py).
ONE_OF_EACH_ROLE = {
    "collector": "col.a1",
    "department_head": "head.a",
    "general_manager": "gm",
    "hr": "hr",
    "it": "it",
    "auditor": "auditor",
    "office": "office",
    "trainer": "trainer",
    "supervisor": "sup.a1",
    "policy_admin": "padmin",
    "complaint_desk": "desk",
}


def test_every_role_opens_every_page_of_its_menu_and_only_those(agency: Agency) -> None:
    """The menu offers exactly the pages the person may open: each answers 200, and every
    other page of the menu refuses them (403)."""
    assert set(ONE_OF_EACH_ROLE) == agency.services.roles.defined
    agency.with_accounts(*(set(ONE_OF_EACH_ROLE.values()) - {"gm", "head.a"}))
    with agency.app.test_request_context():
        paths = {url_for(entry.endpoint): entry.endpoint for entry in MENU}
    for role, username in ONE_OF_EACH_ROLE.items():
        page_session(agency, username)
        home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
        menu = home.split('<nav class="menu"')[1].split("</nav>")[0]
        offered = set(re.findall(r'href="([^"]+)"', menu))
        for path, endpoint in paths.items():
            status = agency.client.get(path, base_url=HTTPS).status_code
            assert status == (200 if path in offered else 403), (role, endpoint, status)
    assert len(paths) == len(MENU)


def test_my_caseload_is_offered_to_the_roles_that_reach_debtors_of_their_own(
    agency: Agency,
) -> None:
    """HR, IT, the training office, trainers, policy admins and auditors (who open debtors only
    through an investigation) have no caseload: neither the menu nor the page offers one."""
    reach = access_policy(agency.services.settings.policies_dir).reach
    reaching = {role for role, way in reach.items() if way != "investigation"}
    agency.with_accounts(*(set(ONE_OF_EACH_ROLE.values()) - {"gm", "head.a"}))
    for role, username in ONE_OF_EACH_ROLE.items():
        page_session(agency, username)
        home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
        assert ('href="/debtors"' in home) == (role in reaching), role


def test_the_api_explorer_is_served_from_this_origin(agency: Agency) -> None:
    page = agency.client.get("/api-docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-spec="/api/v1/openapi.json"' in html
    scripts = [src for src in html.split('src="')[1:]]
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "<script>" not in html  # the Content-Security-Policy allows no inline script
    bundle = agency.client.get("/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js")
    assert bundle.status_code == 200


def test_r_acc_4_a_revoked_accounts_next_page_says_so_once(agency: Agency) -> None:
    """Revoking ends the account's sessions: the page only sees an unknown session, and the
    sign-in page reads why afresh for the account this browser signed in as."""
    ids = agency.with_accounts("col.a1")
    page_session(agency, "col.a1")
    agency.revoke(ids["col.a1"])
    client = agency.client
    sent = client.get("/", base_url=HTTPS)
    assert sent.headers["Location"] == "/login?reason=session.invalid"
    told = client.get(sent.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert 'data-reason="account.revoked"' in told and "已被注销" in told
    later = client.get(sent.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert "data-reason" in later and "已被注销" not in later  # said once, then plainly


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_errors_at_page_addresses_in_words(agency: Agency) -> None:
    nowhere = agency.client.get("/no-such-page", headers=BROWSER)
    assert nowhere.status_code == 404 and nowhere.mimetype == "text/html"
    assert "该地址不存在。" in nowhere.get_data(as_text=True)
    expired = agency.client.post("/login", headers=BROWSER, data={"username": "x"})
    words = expired.get_data(as_text=True)
    assert expired.status_code == 400 and 'data-code="csrf.invalid"' in words
    assert "表单已过期" in words
    wrong_way = agency.client.delete("/login", headers=BROWSER)
    assert wrong_way.status_code == 405 and "Allow" in wrong_way.headers
    api = agency.client.get("/api/v1/nowhere", headers=BROWSER)
    assert api.is_json  # the API answers JSON whoever asks


def test_the_icon_answers_where_browsers_ask_and_the_pages_link_it(agency: Agency) -> None:
    icon = agency.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
    sign_in = agency.client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in sign_in
    assert agency.client.get("/static/favicon.svg").status_code == 200


def test_every_number_and_date_a_page_form_takes_is_bounded_as_the_api_s() -> None:
    """A page's form must refuse in words what the API's schemas refuse (govern/bounds.py): a
    number past what the database holds, a day outside Govern's years (it was a 500 for
    `/audit/events?after=99999999999999999999999`). A new form field without them fails."""
    for module in pkgutil.walk_packages(govern.__path__, "govern."):
        if module.name not in ("govern.wsgi",) and ".migrations" not in module.name:
            importlib.import_module(module.name)  # every form class, defined
    unbounded = []
    for form in _subclasses(FlaskForm):
        if not form.__module__.startswith("govern."):
            continue
        for name, unbound in vars(form).items():
            if not isinstance(unbound, UnboundField):
                continue
            checks = unbound.kwargs.get("validators", [])
            if issubclass(unbound.field_class, IntegerField):
                bounded = any(isinstance(c, NumberRange) and c.max == LARGEST for c in checks)
            elif issubclass(unbound.field_class, (DateField, DateTimeLocalField)):
                bounded = in_govern_years in checks
            else:
                continue
            if not bounded:
                unbounded.append(f"{form.__module__}.{form.__name__}.{name}")
    assert unbounded == []


def _subclasses(kind: type) -> set[type]:
    found = set(kind.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in found))
