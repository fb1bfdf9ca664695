"""The access review pages: the general manager starts a campaign and follows it, a head
decides their department's accounts with the forms (CSRF), reminders on the head's page."""

from __future__ import annotations

from datetime import timedelta

from govern.clock import FixedClock
from govern.reviews.service import send_reminders
from tests.support.agency import Agency
from tests.support.clock import NOW
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session


def browser(floor: Floor, username: str) -> Agency:
    theirs = Agency(floor.agency.app, floor.agency.app.test_client())
    page_session(theirs, username)
    return theirs


def post(person: Agency, path: str, form_page: str, **data: str) -> object:
    page = person.client.get(form_page, base_url=HTTPS).get_data(as_text=True)
    return person.client.post(
        path,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}{form_page}"},
        data={"csrf_token": csrf_token(page), **data},
    )


def test_the_gm_starts_a_campaign_and_a_head_decides_in_the_browser(
    floor: Floor, clock: FixedClock
) -> None:
    gm = browser(floor, "gm")
    started = post(
        gm,
        "/reviews/campaigns",
        "/reviews/campaigns",
        departments="dept-a",
        deadline="2026-12-03",
        at_deadline="suspend",
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    campaign = gm.client.get(started.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert "各部门进度" in campaign and 'data-department="dept-a"' in campaign
    assert "2026-12-03 日终" in campaign  # the end of the day chosen, company time

    clock.set(NOW + timedelta(days=4, hours=14))  # 3 December, 00:00: a day before
    s = floor.agency.services
    with s.sessions() as db:
        # the worker was down 3 days before: only the 1-day reminders, for the head and GM
        assert send_reminders(db, s.context(), s.clock.now()) == 2
    head = browser(floor, "head.a")
    home = head.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "访问权限复核：有 4 个账号等待您在 2026-12-03 日终 前作出决定。" in home
    other = browser(floor, "head.b")  # dept-b is not in the campaign: nothing on their home
    assert "data-review-waiting" not in other.client.get("/", base_url=HTTPS).get_data(as_text=True)
    page = head.client.get("/reviews/", base_url=HTTPS).get_data(as_text=True)
    assert "访问权限复核" in page and 'data-reminder="1"' in page
    assert 'data-reminder="3"' not in page  # missed, not sent late
    item = page.split(f'data-account="{floor.ids["col.a1"]}"')[0].rsplit('data-item="', 1)[1]
    item = item.split('"', 1)[0]

    refused = head.client.post(  # no CSRF token: nothing decided
        f"/reviews/items/{item}", base_url=HTTPS, data={"decision": "certify"}
    )
    assert refused.status_code == 400
    done = post(head, f"/reviews/items/{item}", "/reviews/", decision="certify")
    assert done.status_code == 302
    page = head.client.get("/reviews/", base_url=HTTPS).get_data(as_text=True)
    assert "已确认" in page

    again = post(head, f"/reviews/items/{item}", "/reviews/", decision="revoke", reason="again")
    assert again.status_code == 409 and 'data-code="review.decided"' in again.get_data(as_text=True)
    assert floor.agency.account(floor.ids["col.a1"]).state == "active"

    gm = browser(floor, "gm")  # their session of four days ago has expired
    csv = gm.client.get(started.headers["Location"] + "/report.csv", base_url=HTTPS)
    assert csv.status_code == 200 and "Govern-Signature" in csv.headers
    assert floor.ids["col.a1"] in csv.get_data(as_text=True)


def test_a_campaign_with_a_past_deadline_is_refused_on_the_page(floor: Floor) -> None:
    gm = browser(floor, "gm")
    refused = post(
        gm, "/reviews/campaigns", "/reviews/campaigns", deadline="2026-11-27", at_deadline="report"
    )
    assert refused.status_code == 400
    assert 'data-code="review.deadline_past"' in refused.get_data(as_text=True)
    page = gm.client.get("/reviews/campaigns", base_url=HTTPS).get_data(as_text=True)
    assert "尚无复核活动" in page

    form = {"deadline": "2026-12-10", "at_deadline": "report"}
    assert post(gm, "/reviews/campaigns", "/reviews/campaigns", **form).status_code == 302
    again = post(gm, "/reviews/campaigns", "/reviews/campaigns", **form)
    assert again.status_code == 409  # the whole agency is under review already: said on the form
    assert 'data-code="review.overlapping"' in again.get_data(as_text=True)
    assert "已有进行中的复核活动" in again.get_data(as_text=True)


def test_the_gm_cancels_a_campaign_on_its_page_with_a_reason(floor: Floor) -> None:
    gm = browser(floor, "gm")
    form = {"departments": "dept-a", "deadline": "2026-12-10", "at_deadline": "report"}
    started = post(gm, "/reviews/campaigns", "/reviews/campaigns", **form)
    page = started.headers["Location"]
    assert "取消复核活动" in gm.client.get(page, base_url=HTTPS).get_data(as_text=True)
    auditor = browser(floor, "auditor")  # follows campaigns, cancels none
    assert "取消复核活动" not in auditor.client.get(page, base_url=HTTPS).get_data(as_text=True)

    refused = post(gm, f"{page}/cancel", page, reason="")
    assert refused.status_code == 400
    done = post(gm, f"{page}/cancel", page, reason="started by mistake today")
    assert done.status_code == 302
    shown = gm.client.get(page, base_url=HTTPS).get_data(as_text=True)
    assert "data-cancelled" in shown and "started by mistake today" in shown
    assert "取消复核活动" not in shown  # closed: nothing more to cancel


def test_departments_typed_with_full_width_commas_are_understood(floor: Floor) -> None:
    gm = browser(floor, "gm")
    form = {"departments": "dept-a，dept-b", "deadline": "2026-12-10", "at_deadline": "report"}
    started = post(gm, "/reviews/campaigns", "/reviews/campaigns", **form)
    assert started.status_code == 302, started.get_data(as_text=True)
    page = gm.client.get(started.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert 'data-department="dept-a"' in page and 'data-department="dept-b"' in page
