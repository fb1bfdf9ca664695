"""The heads' and the general manager's pages: who awaits an account, issuing it with a
confirmation, the department's accounts, and lifting an inactivity suspension with a reason
(R-ACC-1, R-AUD-1). Through the real app, signed in with the page's form."""

from __future__ import annotations

import re

from govern.accounts import repository as repo
from govern.accounts.service import suspend_account
from tests.support.agency import Agency, audit_events, bearer
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session
from tests.support.statements import statements_sent

ENGLISH = {"Accept-Language": "en"}


def get(agency: Agency, path: str, **kwargs: object) -> tuple[int, str]:
    response = agency.client.get(path, base_url=HTTPS, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def post(agency: Agency, path: str, data: dict[str, str], referer: str) -> tuple[int, str, str]:
    response = agency.client.post(
        path, base_url=HTTPS, data=data, headers={"Referer": f"{HTTPS}{referer}"}
    )
    location = response.headers.get("Location", "")
    return response.status_code, response.get_data(as_text=True), location


def awaiting_numbers(html: str) -> list[str]:
    section = html.split('id="awaiting"')[1].split("</section>")[0]
    return re.findall(r'data-employee="([^"]+)"', section)


def account_numbers(html: str) -> list[str]:
    return re.findall(r'data-account="[^"]+" data-employee="([^"]+)"', html)


def issue_through_pages(agency: Agency, number: str) -> tuple[int, str, str]:
    path = f"/accounts/issue?employee_number={number}"
    _, confirmation = get(agency, path)
    token = csrf_token(confirmation)
    return post(agency, "/accounts/issue", {"csrf_token": token, "employee_number": number}, path)


def test_r_acc_1_a_head_issues_an_account_from_the_list_of_staff_without_one(
    agency: Agency,
) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "head.a")
    status, listed = get(agency, "/accounts")
    assert status == 200 and "没有账号的员工" in listed  # Chinese by default
    assert awaiting_numbers(listed) == ["1005", "1010", "1015"]  # dept-a, not those who left
    assert "1004" in account_numbers(listed) and "1005" not in account_numbers(listed)
    _, confirmation = get(agency, "/accounts/issue?employee_number=1005")
    assert "胡静" in confirmation and "确认签发账号" in confirmation
    status, _, location = issue_through_pages(agency, "1005")
    assert (status, location) == (302, "/accounts")
    _, after = get(agency, "/accounts")
    assert "已向 胡静（1005）签发账号" in after
    assert "1005" not in awaiting_numbers(after) and "1005" in account_numbers(after)


def test_r_aud_1_an_account_issued_through_the_pages_is_audited_as_through_the_api(
    agency: Agency,
) -> None:
    ids = agency.with_accounts("auditor")
    auditor = agency.login("auditor")
    page_session(agency, "head.a")
    issue_through_pages(agency, "1005")
    agency.client.post(
        "/api/v1/accounts",
        json={"employee_number": "1004"},
        headers=bearer(agency.login("head.a")),
    )
    issued = audit_events(agency.client, auditor, "account.issued")
    events = {event["details"]["employee"]: event for event in issued}
    by_page, by_api = events["1005"], events["1004"]
    assert by_page["actor"] == by_api["actor"] == ids["head.a"]
    assert set(by_page["details"]) == set(by_api["details"])


def test_r_acc_1_a_head_cannot_issue_for_another_department_and_is_told_why(
    agency: Agency,
) -> None:
    agency.with_accounts("auditor")
    page_session(agency, "head.b")
    _, listed = get(agency, "/accounts")
    assert awaiting_numbers(listed) == ["1006"]  # dept-b's only
    status, refused, _ = issue_through_pages(agency, "1005")
    assert status == 403
    assert 'data-code="issuer.not_department_head"' in refused
    with agency.services.sessions() as db:
        assert repo.live_account(db, "1005") is None
    denied = audit_events(agency.client, agency.login("auditor"), "access.denied")
    assert [e["details"]["code"] for e in denied] == ["issuer.not_department_head"]


def test_the_general_manager_is_offered_heads_and_headless_departments(agency: Agency) -> None:
    agency.bootstrap()
    page_session(agency, "gm")
    _, listed = get(agency, "/accounts/awaiting")
    numbers = re.findall(r'data-employee="([^"]+)"', listed)
    assert {"1002", "1003", "1012", "1007"} <= set(numbers)  # heads, operations (no head)
    assert "1001" not in numbers  # not their own


def test_issuing_without_the_csrf_token_is_refused_and_issues_nothing(agency: Agency) -> None:
    agency.with_accounts()
    page_session(agency, "head.a")
    status, _, _ = post(agency, "/accounts/issue", {"employee_number": "1005"}, "/accounts")
    assert status == 400
    with agency.services.sessions() as db:
        assert repo.live_account(db, "1005") is None


def test_a_collector_has_no_accounts_menu_and_gets_403(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "col.a1")
    _, home = get(agency, "/")
    assert "/accounts" not in home
    status, refused = get(agency, "/accounts")
    assert status == 403 and 'data-code="role.action_denied"' in refused
    assert get(agency, "/accounts/issue?employee_number=1005")[0] == 403


def test_a_head_sees_the_menu_entries_in_english_when_asked(agency: Agency) -> None:
    agency.with_accounts()
    page_session(agency, "head.a")
    _, home = get(agency, "/", headers=ENGLISH)
    assert ">Accounts</a>" in home and ">Staff without an account</a>" in home


def suspended_for_inactivity(agency: Agency, account_id: str) -> None:
    s = agency.services
    with s.sessions() as db:
        suspend_account(db, s.context(), account_id, "govern:sweep", "unused", "inactivity")


def test_a_head_reactivates_an_unused_account_with_a_reason(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    suspended_for_inactivity(agency, ids["col.a1"])
    page_session(agency, "head.a")
    path = f"/accounts/{ids['col.a1']}"
    _, shown = get(agency, path)
    assert "已暂停" in shown and 'id="reactivation"' in shown
    data = {"csrf_token": csrf_token(shown), "reason": "回来上班了"}
    status, _, location = post(agency, f"{path}/reactivation", data, path)
    assert (status, location) == (302, path)
    assert agency.account(ids["col.a1"]).state == "active"
    _, after = get(agency, path)
    assert "回来上班了" in after and 'id="reactivation"' not in after


def test_a_reactivation_with_too_short_a_reason_is_refused_in_words(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    suspended_for_inactivity(agency, ids["col.a1"])
    page_session(agency, "head.a")
    path = f"/accounts/{ids['col.a1']}"
    _, shown = get(agency, path)
    data = {"csrf_token": csrf_token(shown), "reason": " 好 "}
    status, refused, _ = post(agency, f"{path}/reactivation", data, path)
    assert status == 422
    assert 'data-code="justification.too_short"' in refused
    assert agency.account(ids["col.a1"]).state == "suspended"


def test_a_reactivation_sent_without_its_reason_field_is_refused_in_words_not_a_500(
    agency: Agency,
) -> None:
    """A form posted without the field at all (not the page's form: a script, a stale tab) is
    refused as too short a reason, as an empty one is (found by the security matrix)."""
    ids = agency.with_accounts("col.a1")
    suspended_for_inactivity(agency, ids["col.a1"])
    page_session(agency, "head.a")
    path = f"/accounts/{ids['col.a1']}"
    _, shown = get(agency, path)
    status, refused, _ = post(
        agency, f"{path}/reactivation", {"csrf_token": csrf_token(shown)}, path
    )
    assert status == 422
    assert 'data-code="justification.too_short"' in refused
    assert agency.account(ids["col.a1"]).state == "suspended"


def test_a_head_may_not_lift_a_security_suspension_and_sees_no_form_work(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    s = agency.services
    with s.sessions() as db:
        suspend_account(db, s.context(), ids["col.a1"], "it", "suspected leak", "security")
    page_session(agency, "head.a")
    path = f"/accounts/{ids['col.a1']}"
    _, shown = get(agency, path)
    assert f'action="{path}/reactivation"' not in shown  # no form the service would refuse
    data = {"csrf_token": csrf_token(get(agency, "/")[1]), "reason": "cleared by me"}
    status, refused, _ = post(agency, f"{path}/reactivation", data, path)
    assert status == 403 and 'data-code="suspension.lift_denied"' in refused
    assert agency.account(ids["col.a1"]).state == "suspended"


def test_a_head_may_not_see_another_department_s_account(agency: Agency) -> None:
    ids = agency.with_accounts("col.b1")
    page_session(agency, "head.a")
    status, refused = get(agency, f"/accounts/{ids['col.b1']}")
    assert status == 403 and 'data-code="account.not_visible"' in refused
    status, refused = get(agency, "/accounts?department=dept-b")
    assert status == 403 and 'data-code="account.department_not_visible"' in refused


def test_issuing_to_someone_not_in_the_directory_is_told_in_words(agency: Agency) -> None:
    agency.with_accounts()
    page_session(agency, "head.a")
    _, confirmation = get(agency, "/accounts/issue?employee_number=9999")
    assert "9999" in confirmation and "胡静" not in confirmation
    status, refused, _ = issue_through_pages(agency, "9999")
    assert status == 404 and 'data-code="identity.unknown"' in refused
    status, refused, _ = issue_through_pages(agency, "1005; drop")
    assert status == 400 and 'role="alert"' in refused
    with agency.services.sessions() as db:
        assert repo.live_account(db, "9999") is None and repo.live_account(db, "1005") is None


def test_the_list_names_held_certifications_in_the_page_s_language(floor: Floor) -> None:
    agency = floor.agency
    page_session(agency, "head.a")
    english = get(agency, "/accounts", headers=ENGLISH)[1]
    assert "Business system use (§11)" in english and "业务系统使用（§11）" not in english
    assert "业务系统使用（§11）" in get(agency, "/accounts")[1]
    shown = get(agency, f"/accounts/{floor.ids['col.a1']}", headers=ENGLISH)[1]
    assert "Compliance (§13)" in shown and "业务合规（§13）" not in shown


def test_the_heads_lists_read_the_same_statements_for_one_account_or_four(
    agency: Agency,
) -> None:
    """No N+1: the department's accounts and the staff awaiting one are read in as many
    statements however many rows they show."""
    agency.with_accounts("col.a1")
    lists = ("/accounts", "/accounts/awaiting")
    page_session(agency, "head.a")
    before = {path: statements_of(agency, path) for path in lists}
    for username in ("col.a2", "intern.a", "sup.a1"):
        agency.issue(username, "head.a")
    page_session(agency, "head.a")
    assert len(account_numbers(get(agency, "/accounts")[1])) >= 4
    assert {path: statements_of(agency, path) for path in lists} == before


def statements_of(agency: Agency, path: str) -> int:
    with statements_sent(agency.services.engine) as sent:
        assert agency.client.get(path, base_url=HTTPS).status_code == 200
    return sent[0]
