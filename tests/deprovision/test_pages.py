"""IT's departures pages: the four lists with due and actual instants and the lag, a date set
or cleared, revoking now, and the sweep and reconciliation run from the browser (R-ACC-4)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from govern.clock import FixedClock
from tests.support.agency import Agency, audit_events, bearer
from tests.support.pages import HTTPS, csrf_token, keep_run, page_session, wait_for

ENGLISH = {"Accept-Language": "en"}


def another_person(agency: Agency, username: str) -> Agency:
    """`username` signed in to the console in a browser of their own (a client, a cookie)."""
    theirs = Agency(agency.app, agency.app.test_client())
    page_session(theirs, username)
    return theirs


def post(client: FlaskClient, path: str, form_page: str, **data: str) -> object:
    page = client.get(form_page, base_url=HTTPS).get_data(as_text=True)
    return client.post(
        path,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}{form_page}"},  # what Referrer-Policy: same-origin sends
        data={"csrf_token": csrf_token(page), **data},
    )


def set_date(client: FlaskClient, number: str, day: str, **more: str) -> object:
    return post(
        client,
        "/departures/date",
        "/departures/",
        employee_number=number,
        day=day,
        set="1",
        **more,
    )


def test_r_acc_4_it_sets_a_past_date_and_the_persons_next_page_is_sign_in_with_the_reason(
    agency: Agency,
) -> None:
    ids = agency.with_accounts("col.a1", "it")
    collector = another_person(agency, "col.a1")
    assert collector.client.get("/", base_url=HTTPS).status_code == 200
    page_session(agency, "it")

    asked = set_date(agency.client, "1004", "2026-11-20")
    assert asked.status_code == 200  # a past instant is confirmed first: nothing changed yet
    assert "立即注销" in asked.get_data(as_text=True)
    assert agency.account(ids["col.a1"]).state == "active"

    done = set_date(agency.client, "1004", "2026-11-20", confirm="y")
    assert done.status_code == 302
    board = agency.client.get("/departures/?board=done", base_url=HTTPS)
    assert "1004 的离职日期为 2026-11-20，其账号已注销。" in board.get_data(as_text=True)
    assert agency.account(ids["col.a1"]).state == "revoked"

    sent = collector.client.get("/", base_url=HTTPS)  # their sessions ended with the account
    assert (sent.status_code, sent.headers["Location"]) == (302, "/login?reason=session.invalid")
    told = collector.client.get(sent.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert 'data-reason="account.departed"' in told and "您已离职" in told  # told why at once
    again = collector.client.post(
        "/login",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/login"},
        data={"csrf_token": csrf_token(told), "username": "col.a1", "password": "col.a1-secret"},
    )
    assert again.status_code == 403  # and signing in again says why, and whom to ask
    assert 'data-code="account.departed"' in again.get_data(as_text=True)
    words = again.get_data(as_text=True)
    assert "您已离职" in words and "人力资源部" in words


def test_r_acc_4_the_lists_show_due_and_actual_instants_and_the_lag(agency: Agency) -> None:
    agency.with_accounts("col.a1", "col.a2", "it")
    token = agency.login("it")
    for number, day in (("1004", "2026-11-20"), ("1005", "2026-12-10")):
        response = agency.client.put(
            f"/api/v1/staff/{number}/departure", json={"date": day}, headers=bearer(token)
        )
        assert response.status_code == 200
    page_session(agency, "it")

    ahead = agency.client.get("/departures/?board=ahead", base_url=HTTPS).get_data(as_text=True)
    assert 'data-employee="1005"' in ahead and "2026-12-10 18:00" in ahead  # Shanghai time
    assert "已排定" in ahead  # scheduled
    revoked = agency.client.get("/departures/?board=overdue", base_url=HTTPS)
    assert 'data-employee="1004"' not in revoked.get_data(as_text=True)  # done, not overdue
    history = agency.client.get("/departures/", base_url=HTTPS, headers=ENGLISH)
    text = history.get_data(as_text=True)
    assert "Today (0)" in text and "Next 30 days (1)" in text
    # the back-dated one: due 2026-11-20 18:00, revoked at once on 2026-11-28 10:00
    done = agency.client.get("/departures/?board=done", base_url=HTTPS, headers=ENGLISH)
    row = re.search(r'<tr data-employee="1004">(.*?)</tr>', done.get_data(as_text=True), re.S)
    assert row is not None
    assert "2026-11-20 18:00" in row.group(1) and "2026-11-28 10:00" in row.group(1)
    assert "7 d 16 h" in row.group(1)  # the lag


def test_a_date_is_cleared_and_a_bad_one_refused_in_words(agency: Agency) -> None:
    agency.with_accounts("col.a1", "it")
    page_session(agency, "it")
    assert set_date(agency.client, "1004", "2026-12-10").status_code == 302
    ahead = agency.client.get("/departures/?board=ahead", base_url=HTTPS).get_data(as_text=True)
    assert 'data-employee="1004"' in ahead

    cleared = post(
        agency.client, "/departures/date", "/departures/", employee_number="1004", clear="1"
    )
    assert cleared.status_code == 302
    ahead = agency.client.get("/departures/?board=ahead", base_url=HTTPS).get_data(as_text=True)
    assert 'data-employee="1004"' not in ahead

    unknown = set_date(agency.client, "9999", "2026-12-10")
    assert unknown.status_code == 404
    assert 'data-code="identity.unknown"' in unknown.get_data(as_text=True)


def test_a_past_date_for_an_unknown_employee_is_refused_before_asking_to_confirm(
    agency: Agency,
) -> None:
    agency.with_accounts("it")
    page_session(agency, "it")
    unknown = set_date(agency.client, "99999", "2026-11-20")
    told = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and 'data-code="identity.unknown"' in told
    assert "立即注销" not in told and "公司目录中没有该工号的员工。" in told
    assert 'name="employee_number"' in told and 'value="99999"' in told  # the form kept


def test_setting_a_date_needs_the_forms_csrf_token(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1", "it")
    page_session(agency, "it")
    forged = agency.client.post(
        "/departures/date",
        base_url=HTTPS,
        data={"employee_number": "1004", "day": "2026-11-20", "set": "1", "confirm": "y"},
    )
    assert forged.status_code == 400
    assert agency.account(ids["col.a1"]).state == "active"


def test_it_revokes_an_account_now_with_a_reason_once_confirmed(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1", "it")
    page_session(agency, "it")
    path = f"/departures/accounts/{ids['col.a1']}/revoke"
    asked = agency.client.get(path, base_url=HTTPS).get_data(as_text=True)
    assert "马超" in asked and "1004" in asked  # whose account it is, before it goes
    unknown = agency.client.get("/departures/accounts/GV-NOPE-NOPE/revoke", base_url=HTTPS)
    assert unknown.status_code == 404
    unconfirmed = post(agency.client, path, path, reason="lost the company laptop with data")
    assert unconfirmed.status_code == 400
    assert agency.account(ids["col.a1"]).state == "active"
    too_short = post(agency.client, path, path, reason="x", confirm="y")
    assert 'data-code="justification.too_short"' in too_short.get_data(as_text=True)
    assert agency.account(ids["col.a1"]).state == "active"

    done = post(agency.client, path, path, reason="lost the company laptop with data", confirm="y")
    assert done.status_code == 302
    assert agency.account(ids["col.a1"]).state == "revoked"
    shown = agency.client.get(
        f"/api/v1/accounts/{ids['col.a1']}", headers=bearer(agency.login("gm"))
    ).get_json()
    assert (shown["history"][-1]["actor"], shown["history"][-1]["reason"]) == (
        ids["it"],
        "lost the company laptop with data",
    )


def start(client: FlaskClient, kind: str, dry_run: str, **more: str) -> str:
    started = post(
        client, "/departures/runs", "/departures/sweep", kind=kind, dry_run=dry_run, **more
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return wait_for(client, started.headers["Location"])


def test_r_acc_4_the_sweeps_dry_run_changes_nothing_then_its_run_revokes(
    agency: Agency, clock: FixedClock
) -> None:
    ids = agency.with_accounts("col.a1", "it", "auditor")
    token = agency.login("it")
    response = agency.client.put(
        "/api/v1/staff/1004/departure", json={"date": "2026-11-28"}, headers=bearer(token)
    )
    assert response.json["state"] == "scheduled"
    clock.advance(hours=9)  # past 18:00 in Shanghai, before any sweep ran
    page_session(agency, "it")

    dry = start(agency.client, "sweep", "yes")
    assert ids["col.a1"] in dry and "未作任何更改" in dry  # nothing was changed
    assert agency.account(ids["col.a1"]).state == "active"

    unconfirmed = post(
        agency.client, "/departures/runs", "/departures/sweep", kind="sweep", dry_run="no"
    )
    assert unconfirmed.status_code == 400  # a real sweep is confirmed first
    assert agency.account(ids["col.a1"]).state == "active"
    report = start(agency.client, "sweep", "no", apply="y")
    assert 'data-run="done"' in report and ids["col.a1"] in report
    assert agency.account(ids["col.a1"]).state == "revoked"
    started = audit_events(agency.client, agency.login("auditor"), "departure.run")
    assert [(e["actor"], e["details"]["dry_run"]) for e in started] == [
        (ids["it"], True),
        (ids["it"], False),
    ]


def test_r_acc_4_the_reconciliations_dry_run_changes_nothing_and_the_guard_is_confirmed(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "it")
    directory.remove("col.a1")  # type: ignore[attr-defined]
    page_session(agency, "it")
    dry = start(agency.client, "reconcile", "yes")
    assert 'data-outcome="dry_run"' in dry and ids["col.a1"] in dry
    assert agency.account(ids["col.a1"]).state == "active"

    held = start(agency.client, "reconcile", "no")  # 1 of 6 accounts: above the 5 % guard
    assert 'data-outcome="held"' in held
    assert agency.account(ids["col.a1"]).state == "active"
    applied = start(agency.client, "reconcile", "no", confirm="y")
    assert 'data-outcome="applied"' in applied
    assert agency.account(ids["col.a1"]).state == "revoked"
    assert agency.account(ids["col.a2"]).state == "active"


def test_an_unknown_run_is_refused_in_words(agency: Agency) -> None:
    agency.with_accounts("it")
    page_session(agency, "it")
    response = agency.client.get("/departures/runs/nothing-here", base_url=HTTPS)
    assert response.status_code == 404
    assert 'data-code="run.unknown"' in response.get_data(as_text=True)


def test_a_collector_gets_403_and_no_menu_entry_and_hr_sees_no_sweep(agency: Agency) -> None:
    agency.with_accounts("col.a1", "hr")
    page_session(agency, "col.a1")
    for path in ("/departures/", "/departures/sweep"):
        assert agency.client.get(path, base_url=HTTPS).status_code == 403
    home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "/departures/" not in home

    hr = another_person(agency, "hr")
    home = hr.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert 'href="/departures/"' in home and "/departures/sweep" not in home
    assert hr.client.get("/departures/sweep", base_url=HTTPS).status_code == 403


def test_a_run_under_way_shows_how_far_it_is_and_asks_again(
    agency: Agency, clock: FixedClock
) -> None:
    agency.with_accounts("it")
    keep_run(agency, "under-way", "sweep", started_at=clock.now(), total=40, done=12)
    page_session(agency, "it")
    response = agency.client.get("/departures/runs/under-way", base_url=HTTPS, headers=ENGLISH)
    assert response.headers["Refresh"] == "2"  # the page asks again until the report is there
    page = response.get_data(as_text=True)
    assert 'data-run="running"' in page and '<progress max="40" value="12">' in page
    assert "12 of 40 accounts" in page and "Running since 10:00:00" in page  # Shanghai time


def test_a_long_report_names_two_hundred_accounts_and_counts_the_rest(
    agency: Agency, clock: FixedClock
) -> None:
    agency.with_accounts("it")
    due = [f"GV-TEST-{n:04d}" for n in range(250)]
    keep_run(
        agency,
        "long",
        "sweep",
        dry_run=True,
        started_at=clock.now(),
        finished_at=clock.now(),
        done=250,
        report={"due": due, "revoked": [], "failed": {}, "suspended": []},
    )
    page_session(agency, "it")
    page = agency.client.get("/departures/runs/long", base_url=HTTPS, headers=ENGLISH)
    shown = page.get_data(as_text=True)
    assert shown.count("<li><code>GV-TEST-") == 200
    assert "… and 50 more" in shown
