"""The training pages in a browser (Flask's test client through the real app): everyone's own
training, the calendar, plans, recording a session, leave and HR's cases (R-TRN-1..8, R-STF-3)."""

from __future__ import annotations

import re

from tests.support.pages import HTTPS, csrf_token, page_session
from tests.training.conftest import Desk

FRIDAY = "weekly-2026-12-04"  # Friday 4 December 2026, 14:00-17:30: interns and ordinary staff
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def get(desk: Desk, path: str, **kwargs: object) -> tuple[int, str]:
    response = desk.client.get(path, base_url=HTTPS, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def post(desk: Desk, path: str, form_page: str, data: dict[str, str]) -> tuple[int, str, str]:
    """POST a form of `form_page` (its CSRF token) as a browser does; (status, body, Location)."""
    _, html = get(desk, form_page)
    response = desk.client.post(
        path,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}{form_page}"},
        data={"csrf_token": csrf_token(html), **data},
    )
    return (
        response.status_code,
        response.get_data(as_text=True),
        response.headers.get("Location", ""),
    )


def row(html: str, attribute: str, value: str) -> str:
    """The table row whose `data-<attribute>` is `value`."""
    found = re.search(rf'<tr data-{attribute}="{re.escape(value)}".*?</tr>', html, re.S)
    assert found, f"no row {attribute}={value}"
    return found.group(0)


def record(
    desk: Desk, who: str, course: str, score: str, by: str = "office", session: str = FRIDAY
) -> tuple[int, str]:
    page_session(desk.agency, by)
    form = f"/training/sessions/{session}/record"
    status, body, where = post(
        desk, form, form, {"course": course, f"score-{desk.ids[who]}": score}
    )
    return get(desk, where) if status == 302 else (status, body)


def test_r_acs_1_an_intern_sees_in_chinese_what_the_phones_field_still_needs(desk: Desk) -> None:
    page_session(desk.agency, "intern.a")
    status, html = get(desk, "/training/me")
    assert status == 200
    assert "我的培训" in html
    phones = row(html, "field", "phones")
    assert 'data-missing="system-use compliance confidentiality"' in phones
    assert "电话" in phones and "业务系统使用（§11）" in phones
    assert 'data-missing=""' in row(html, "field", "project_group")
    assert 'data-in-training="true"' in html
    english = get(desk, "/training/me", headers=ENGLISH)[1]
    assert "What is missing" in english and "My training" in english


def test_r_trn_5_the_office_records_a_pass_and_the_interns_certification_shows(
    desk: Desk,
) -> None:
    desk.approved_plan()
    page_session(desk.agency, "office")
    status, html = get(desk, f"/training/sessions/{FRIDAY}/record")
    assert status == 200 and "罗娟" in row(html, "account", desk.ids["intern.a"])

    status, html = record(desk, "intern.a", "SYS-USE", "85")
    assert status == 200 and "记录" in html

    page_session(desk.agency, "intern.a")
    mine = get(desk, "/training/me")[1]
    assert 'data-holds="true"' in row(mine, "certification", "system-use")
    assert "compliance confidentiality" in row(mine, "field", "phones")
    assert "system-use" not in row(mine, "field", "phones")
    assert "85" in row(mine, "result", "SYS-USE")
    assert desk.certifications("intern.a")["certifications"][0]["holds"] is True


def test_r_trn_5_through_the_page_79_fails_the_retake_fails_to_hr_and_results_then_wait(
    desk: Desk,
) -> None:
    desk.approved_plan()
    assert record(desk, "intern.a", "CMP-CONDUCT", "79")[0] == 200
    resubmitted = record(desk, "intern.a", "CMP-CONDUCT", "79")  # the same form again: no retake
    assert resubmitted[0] == 409 and 'data-code="exam.recorded_at_session"' in resubmitted[1]
    desk.at("2026-12-11 15:00")  # the retake, at the next week's session
    assert record(desk, "intern.a", "CMP-CONDUCT", "79", session="weekly-2026-12-11")[0] == 200
    desk.at("2026-12-18 15:00")
    status, html = record(desk, "intern.a", "CMP-CONDUCT", "95", session="weekly-2026-12-18")
    assert status == 409
    assert 'data-code="exam.hr_case_open"' in row(html, "account", desk.ids["intern.a"])
    results = desk.call("GET", f"/api/v1/accounts/{desk.ids['intern.a']}/exam-results", "hr")
    assert [(r["score"], r["passed"], r["attempt"]) for r in results[1]["results"]] == [
        (79, False, 1),
        (79, False, 2),
    ]
    # the pass mark is 80: exactly 80 passes
    assert record(desk, "intern.a", "SKL-LAW", "80")[0] == 200
    assert desk.result("SKL-LAW", "intern.a", 80, by="office")[1]["passed"] is True

    page_session(desk.agency, "hr")
    html = get(desk, "/training/hr")[1]
    case = re.search(r'data-case="([^"]+)"', html).group(1)
    assert "罗娟" in row(html, "case", case)
    status, _, _ = post(
        desk, f"/training/hr/{case}/decision", "/training/hr", {"decision": "allow_retake"}
    )
    assert status == 400  # not confirmed: nothing decided
    assert desk.call("GET", "/api/v1/hr/cases", "hr")[1]["cases"][0]["decision"] is None
    status, _, where = post(
        desk,
        f"/training/hr/{case}/decision",
        "/training/hr",
        {"decision": "allow_retake", "note": "再培训一周", "confirm": "y"},
    )
    assert (status, where) == (302, "/training/hr")
    assert desk.call("GET", "/api/v1/hr/cases", "hr")[1]["cases"] == []
    desk.at("2026-12-25 15:00")
    assert record(desk, "intern.a", "CMP-CONDUCT", "90", session="weekly-2026-12-25")[0] == 200


def test_a_refused_line_records_nothing_of_it(desk: Desk) -> None:
    """A head may record attendance but no scores: the line with a score is refused whole,
    its attendance not kept either, so the corrected line can still be recorded."""
    desk.approved_plan()
    desk.at("2026-12-04 15:00")
    page_session(desk.agency, "head.a")
    form = f"/training/sessions/{FRIDAY}/record"
    line = {"course": "SYS-USE", f"status-{desk.ids['intern.a']}": "present"}
    refused = post(desk, form, form, line | {f"score-{desk.ids['intern.a']}": "90"})
    assert refused[0] == 403
    assert post(desk, form, form, line)[0] == 302  # attendance alone: recorded now


def test_a_score_that_is_not_0_to_100_is_refused_in_words_and_nothing_recorded(
    desk: Desk,
) -> None:
    desk.approved_plan()
    status, html = record(desk, "intern.a", "SYS-USE", "101")
    assert status == 422
    assert 'data-code="request.invalid"' in row(html, "account", desk.ids["intern.a"])
    assert desk.call("GET", f"/api/v1/accounts/{desk.ids['intern.a']}/exam-results", "hr")[1] == {
        "results": []
    }


def test_a_collector_may_not_record_and_has_no_menu_entry_for_it(desk: Desk) -> None:
    desk.approved_plan()
    page_session(desk.agency, "col.a1")
    assert get(desk, f"/training/sessions/{FRIDAY}/record")[0] == 403
    home = get(desk, "/training/me")[1]
    assert "/training/hr" not in home and "/training/leave" not in home
    calendar = get(desk, "/training/sessions?month=2026-12")[1]
    assert f'data-session="{FRIDAY}"' in calendar and "/record" not in calendar
    forged = desk.client.post(
        f"/training/sessions/{FRIDAY}/record",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/training/me"},
        data={"csrf_token": csrf_token(home), f"score-{desk.ids['col.a1']}": "100"},
    )
    assert forged.status_code == 403


def test_a_form_without_its_csrf_token_changes_nothing(desk: Desk) -> None:
    desk.approved_plan()
    page_session(desk.agency, "office")
    response = desk.client.post(
        f"/training/sessions/{FRIDAY}/record",
        base_url=HTTPS,
        data={"course": "SYS-USE", f"score-{desk.ids['intern.a']}": "90"},
    )
    assert response.status_code == 400
    assert desk.certifications("intern.a")["certifications"][0]["holds"] is False


def test_r_trn_2_the_month_calendar_shows_the_fridays_and_a_bad_month_is_words(
    desk: Desk,
) -> None:
    desk.approved_plan()
    page_session(desk.agency, "col.a1")
    status, html = get(desk, "/training/sessions?month=2026-12")
    assert status == 200
    fridays = re.findall(r'data-session="(weekly-[0-9-]+)"', html)
    assert fridays == [f"weekly-2026-12-{d:02}" for d in (4, 11, 18, 25)]
    for wrong in ("December", "2026-13"):
        status, html = get(desk, f"/training/sessions?month={wrong}")
        assert status == 400 and 'data-code="month.invalid"' in html
        assert "请按 2026-12 的格式" in html, wrong
    calendar = desk.client.get(
        "/training/sessions.ics?from=2026-12-01&to=2026-12-31", base_url=HTTPS
    )
    assert calendar.mimetype == "text/calendar"
    assert calendar.get_data(as_text=True).count("BEGIN:VEVENT") == 5  # and management's


def test_r_stf_3_the_office_drafts_a_plan_and_the_general_manager_approves_it(
    desk: Desk,
) -> None:
    page_session(desk.agency, "office")
    status, _, _ = post(
        desk,
        "/training/plans",
        "/training/plans",
        {"title": "2027 培训计划", "term": "long", "starts": "2027-01-01", "ends": "2027-12-31"},
    )
    assert status == 400  # no track chosen: nothing drafted
    status, _, where = post(
        desk,
        "/training/plans",
        "/training/plans",
        {
            "title": "2027 培训计划",
            "term": "long",
            "tracks": "ordinary",
            "starts": "2027-01-01",
            "ends": "2027-12-31",
        },
    )
    assert (status, where) == (302, "/training/plans")
    plan = desk.call("GET", "/api/v1/training/plans", "office")[1]["plans"][0]
    assert (plan["state"], plan["tracks"]) == ("draft", ["ordinary"])
    assert "/approval" not in get(desk, "/training/plans")[1]  # the office does not approve

    page_session(desk.agency, "gm")
    approval = f"/training/plans/{plan['id']}/approval"
    assert post(desk, approval, "/training/plans", {})[0] == 400
    assert desk.call("GET", "/api/v1/training/plans", "gm")[1]["plans"][0]["state"] == "draft"
    status, _, _ = post(desk, approval, "/training/plans", {"confirm": "y"})
    assert status == 302
    assert 'data-state="approved"' in get(desk, "/training/plans")[1]


def test_r_trn_6_the_intern_asks_leave_and_the_head_approves_it(desk: Desk) -> None:
    desk.approved_plan()
    page_session(desk.agency, "intern.a")
    status, _, _ = post(desk, f"/training/sessions/{FRIDAY}/leave", "/training/me", {})
    assert status == 302
    assert "等待批准" in row(get(desk, "/training/me")[1], "session", FRIDAY)

    page_session(desk.agency, "head.b")  # not the intern's head: nothing to approve
    assert "data-leave=" not in get(desk, "/training/leave")[1]
    page_session(desk.agency, "head.a")
    html = get(desk, "/training/leave")[1]
    leave = re.search(r'data-leave="([0-9]+)"', html).group(1)
    status, _, _ = post(desk, f"/training/leave/{leave}/approval", "/training/leave", {})
    assert status == 302
    assert "data-leave=" not in get(desk, "/training/leave")[1]
    page_session(desk.agency, "intern.a")
    assert "已批准" in row(get(desk, "/training/me")[1], "session", FRIDAY)


def test_r_trn_6_a_heads_leave_waits_on_the_general_managers_list_not_a_heads(
    desk: Desk,
) -> None:
    desk.approved_plan()
    monthly = desk.sessions("2026-12-01", "2026-12-31", who="head.a", track="management")
    path = f"/api/v1/training/sessions/{monthly[0]['id']}/leave"
    status, leave = desk.call("POST", path, "head.a")
    assert status == 201
    listed = f'data-leave="{leave["id"]}"'
    for head in ("head.a", "head.b"):
        page_session(desk.agency, head)
        assert listed not in get(desk, "/training/leave")[1], head
    page_session(desk.agency, "gm")
    assert listed in get(desk, "/training/leave")[1]


def test_r_trn_8_the_agreement_is_signed_on_the_page_only_when_confirmed(desk: Desk) -> None:
    page_session(desk.agency, "intern.a")
    sign = "/training/agreements/confidentiality/signature"
    assert post(desk, sign, "/training/me", {"version": "2026-1"})[0] == 302
    assert 'data-signed="confidentiality"' not in get(desk, "/training/me")[1]
    assert post(desk, sign, "/training/me", {"version": "2026-1", "confirm": "y"})[0] == 302
    assert 'data-signed="confidentiality"' in get(desk, "/training/me")[1]
    status, html, _ = post(desk, sign, "/", {"version": "2025-1", "confirm": "y"})
    assert status == 409 and 'data-code="agreement.outdated"' in html


def test_r_trn_2_my_sessions_stop_before_a_year_whose_holidays_are_unknown(desk: Desk) -> None:
    desk.approved_plan(ends="2027-06-30")
    page_session(desk.agency, "col.a1")
    status, html = get(desk, "/training/me")
    assert status == 200
    assert 'data-unknown-year="2027"' in html and "2027 年的培训课次暂时无法确定" in html
    assert f'data-session="{FRIDAY}"' in html and "weekly-2027" not in html
    assert "to=2026-12-31" in html  # the calendar file covers what is known


def test_r_trn_6_a_head_records_attendance_of_their_own_department_without_scores(
    desk: Desk,
) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 15:00")
    page_session(desk.agency, "head.a")
    form = f"/training/sessions/{FRIDAY}/record"
    html = get(desk, form)[1]
    listed = set(re.findall(r'<tr data-account="([^"]+)"', html))
    assert listed == {desk.ids[who] for who in ("col.a1", "col.a2", "intern.a")}
    assert "score-" not in html  # exams are the trainers' and the office's
    intern, colleague = desk.ids["intern.a"], desk.ids["col.a1"]
    status, _, _ = post(desk, form, form, {f"status-{intern}": "present"})
    assert status == 302
    shown = row(get(desk, form)[1], "account", intern)
    assert 'data-recorded="present"' in shown and "status-" not in shown
    status, html, _ = post(
        desk, form, form, {f"status-{intern}": "absent", f"status-{colleague}": "left_early"}
    )
    assert status == 409  # the intern's attendance stands; the colleague's is recorded
    assert 'data-code="attendance.recorded"' in row(html, "account", intern)
    assert "早退" in row(html, "account", colleague)
    status, body = desk.call(
        "GET",
        "/api/v1/training/attendance",
        "head.a",
        query_string={"from": "2026-12-04", "to": "2026-12-04"},
    )
    assert sorted((a["account_id"], a["status"]) for a in body["attendance"]) == sorted(
        [(intern, "present"), (colleague, "left_early")]
    )


def test_r_trn_6_the_head_sees_an_absence_without_leave_as_unexcused(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 15:00")
    for who, status in (("col.a1", "absent"), ("intern.a", "present"), ("col.b1", "absent")):
        path = f"/api/v1/training/sessions/{FRIDAY}/attendance"
        body = {"account_id": desk.ids[who], "status": status}
        assert desk.call("POST", path, "trainer", json=body)[0] == 201
    page_session(desk.agency, "head.a")
    html = get(desk, "/training/attendance")[1]
    assert 'data-unexcused="1"' in html and "旷工" in html
    assert 'data-verdict="unexcused"' in row(html, "account", desk.ids["col.a1"])
    assert desk.ids["col.b1"] not in html  # another department's
    refused = get(desk, "/training/attendance?department=dept-b")
    assert refused[0] == 403 and 'data-code="account.department_not_visible"' in refused[1]
    page_session(desk.agency, "col.a1")
    assert get(desk, "/training/attendance")[0] == 403


def test_an_empty_date_of_the_attendance_range_takes_its_default_and_a_bad_range_keeps_the_form(
    desk: Desk,
) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 15:00")
    path = f"/api/v1/training/sessions/{FRIDAY}/attendance"
    body = {"account_id": desk.ids["col.a1"], "status": "absent"}
    assert desk.call("POST", path, "trainer", json=body)[0] == 201
    page_session(desk.agency, "office")
    for asked in ("from=2026-11-01&to=", "from=&to=", "from=&to=2026-12-04"):
        status, html = get(desk, f"/training/attendance?{asked}")
        assert status == 200, asked
        assert 'data-verdict="unexcused"' in row(html, "account", desk.ids["col.a1"])
        assert 'name="to" value="2026-12-04"' in html, asked
    assert (
        'name="from" value="2026-11-01"' in get(desk, "/training/attendance?from=2026-11-01&to=")[1]
    )
    status, html = get(desk, "/training/attendance?from=2026-13-01&to=2026-12-01")
    assert status == 400 and 'data-code="range.invalid"' in html
    assert 'name="from" value="2026-13-01"' in html and 'name="to" value="2026-12-01"' in html
    calendar = desk.client.get("/training/sessions.ics?from=&to=", base_url=HTTPS)
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"


def test_r_trn_7_the_head_returns_a_feedback_form_on_the_page(desk: Desk) -> None:
    desk.approved_plan(starts="2026-11-01", ends="2026-11-20")
    desk.at("2026-11-06 18:00")
    path = "/api/v1/training/sessions/weekly-2026-11-06/attendance"
    body = {"account_id": desk.ids["col.a1"], "status": "present"}
    assert desk.call("POST", path, "trainer", json=body)[0] == 201
    desk.at("2026-11-28 10:00")
    page_session(desk.agency, "head.a")
    html = get(desk, "/training/feedback?state=due")[1]
    plan = re.search(r'data-form="([^/]+)/', html).group(1)
    target = f"/training/feedback/{plan}/{desk.ids['col.a1']}"
    status, html, _ = post(desk, target, "/training/feedback", {"assessment": ""})
    assert status == 400  # nothing written: nothing returned
    status, _, where = post(
        desk, target, "/training/feedback", {"assessment": "按时完成，话术规范。"}
    )
    assert (status, where) == (302, "/training/feedback")
    assert 'data-state="returned"' in get(desk, "/training/feedback")[1]
    status, html, _ = post(desk, target, "/", {"assessment": "再交一次"})
    assert status == 409 and 'data-code="feedback.returned"' in html


def test_in_english_certifications_and_courses_are_named_in_english(desk: Desk) -> None:
    desk.approved_plan()
    page_session(desk.agency, "intern.a")
    mine = get(desk, "/training/me", headers=ENGLISH)[1]
    system_use = row(mine, "certification", "system-use")
    assert "Business system use (§11)" in system_use and "业务系统使用" not in system_use
    assert "Business system use (§11)" in row(mine, "field", "phones")
    assert "业务系统使用（§11）" in row(get(desk, "/training/me")[1], "certification", "system-use")
    page_session(desk.agency, "office")
    form = get(desk, f"/training/sessions/{FRIDAY}/record", headers=ENGLISH)[1]
    assert "SYS-USE Business system use: signing in" in form
    assert "Friday afternoon training" in form


def test_a_choice_not_offered_is_refused_in_chinese_not_in_wtforms_english(desk: Desk) -> None:
    page_session(desk.agency, "office")
    plan = {"title": "2027 培训计划", "term": "long", "tracks": "everyone"}
    plan |= {"starts": "2027-01-01", "ends": "2027-12-31"}
    status, html, _ = post(desk, "/training/plans", "/training/plans", plan)
    assert status == 400
    assert "“everyone”不是此项的有效选项。" in html and "not a valid choice" not in html
    assert desk.call("GET", "/api/v1/training/plans", "office")[1]["plans"] == []
