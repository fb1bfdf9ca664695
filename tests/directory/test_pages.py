"""The policy admins' page of separation of duties: conflicts and exceptions shown, an
exception accepted with a reason and an end date, then ended, through the browser's forms."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from govern.clock import FixedClock
from tests.support.agency import Agency, audit_events
from tests.support.pages import HTTPS, csrf_token, page_session
from tests.support.staff import BY_USERNAME, LiveDirectory

AUDITOR = BY_USERNAME["auditor"].number
REASON = "the only auditor this quarter also keeps the policy while 郑洁 is on leave"


def post(client: FlaskClient, path: str, **data: str) -> object:
    page = client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    return client.post(
        path,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/duties/"},
        data={"csrf_token": csrf_token(page), **data},
    )


def test_a_policy_admin_sees_the_withheld_role_accepts_an_exception_then_ends_it(
    agency: Agency, directory: LiveDirectory, clock: FixedClock
) -> None:
    agency.with_accounts("auditor", "padmin")
    directory.add_to_group("govern-policy-admins", "auditor")
    agency.sync()
    page_session(agency, "padmin")
    client = agency.client

    shown = client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    assert f'data-employee="{AUDITOR}" data-rule="auditor_policy_admin" data-state="withheld"' in (
        shown
    )
    assert "审计员不得兼任权限策略管理员" in shown and "职责分离" in shown
    ends_on = (clock.now() + timedelta(days=7)).date().isoformat()

    accepted = post(
        client,
        "/duties/exceptions",
        employee_number=AUDITOR,
        rule="auditor_policy_admin",
        reason=REASON,
        ends_on=ends_on,
    )

    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    shown = client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    assert 'data-state="excepted"' in shown and 'data-state="active"' in shown
    exception_id = shown.split('data-exception="')[1].split('"')[0]
    ended = post(
        client,
        f"/duties/exceptions/{exception_id}/end",
        reason="the regular policy admin is back from leave today",
    )
    assert ended.status_code == 302
    shown = client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    assert 'data-state="ended"' in shown and 'data-state="withheld"' in shown
    token = agency.login("auditor")
    assert [e["action"] for e in audit_events(client, token, "duties.exception.ended")] == [
        "duties.exception.ended"
    ]


def test_a_short_reason_is_refused_in_words_and_nothing_is_accepted(
    agency: Agency, directory: LiveDirectory, clock: FixedClock
) -> None:
    agency.with_accounts("auditor", "padmin")
    directory.add_to_group("govern-policy-admins", "auditor")
    agency.sync()
    page_session(agency, "padmin")
    ends_on = (clock.now() + timedelta(days=7)).date().isoformat()

    refused = post(
        agency.client,
        "/duties/exceptions",
        employee_number=AUDITOR,
        rule="auditor_policy_admin",
        reason="because",
        ends_on=ends_on,
    )

    assert refused.status_code == 422
    assert 'data-code="justification.too_short"' in refused.get_data(as_text=True)
    shown = agency.client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    assert "data-exception=" not in shown


def test_the_general_manager_sees_the_page_without_the_form_and_a_collector_gets_403(
    agency: Agency,
) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "gm")
    shown = agency.client.get("/duties/", base_url=HTTPS)
    assert shown.status_code == 200
    assert "/duties/exceptions" not in shown.get_data(as_text=True)
    collector = Agency(agency.app, agency.app.test_client())
    page_session(collector, "col.a1")
    assert collector.client.get("/duties/", base_url=HTTPS).status_code == 403
    home = collector.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "/duties/" not in home


def test_a_conflicts_accept_link_fills_in_the_form_and_both_held_stands_out(
    agency: Agency, directory: LiveDirectory
) -> None:
    agency.with_accounts("auditor", "padmin")
    directory.set("auditor", "governProjectGroup", "pg-a1")  # both held: nothing to withhold
    agency.sync()
    page_session(agency, "padmin")

    shown = agency.client.get("/duties/", base_url=HTTPS).get_data(as_text=True)
    link = f"/duties/?employee_number={AUDITOR}&amp;rule=auditor_collector#accept-heading"
    assert link in shown
    assert "需要处理" in shown  # both held: needs an exception or a mended entry

    filled = agency.client.get(link.replace("&amp;", "&"), base_url=HTTPS).get_data(as_text=True)
    assert f'name="employee_number" required type="text" value="{AUDITOR}"' in filled
    assert '<option selected value="auditor_collector">' in filled
