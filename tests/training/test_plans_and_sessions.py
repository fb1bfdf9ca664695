"""Plans take effect once approved; sessions follow the policy's calendar (R-STF-3, R-TRN-2/3)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tests.support.agency import bearer
from tests.training.conftest import Desk

REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"


def days(sessions: list[dict], kind: str) -> list[str]:
    return [s["day"] for s in sessions if s["kind"] == kind]


def test_r_stf_3_a_drafted_plan_produces_no_session_until_the_gm_approves(desk: Desk) -> None:
    status, plan = desk.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={
            "title": "Q4",
            "term": "short",
            "tracks": ["ordinary"],
            "starts": "2026-10-01",
            "ends": "2026-12-31",
        },
    )
    assert (status, plan["state"]) == (201, "draft")
    assert desk.sessions("2026-10-01", "2026-12-31") == []

    status, body = desk.call("POST", f"/api/v1/training/plans/{plan['id']}/approval", "office")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = desk.call("POST", f"/api/v1/training/plans/{plan['id']}/approval", "gm")
    assert (status, body["state"], body["approved_by"]) == (200, "approved", desk.ids["gm"])
    assert days(desk.sessions("2026-12-01", "2026-12-31"), "weekly") == [
        "2026-12-04",
        "2026-12-11",
        "2026-12-18",
        "2026-12-25",
    ]
    assert [e["action"] for e in desk.events("training.plan.approved")] == [
        "training.plan.approved"
    ]


def test_r_stf_3_only_the_office_drafts_plans_and_bad_ones_change_nothing(desk: Desk) -> None:
    plan = {"title": "x", "term": "short", "tracks": ["ordinary"], "starts": "2026-10-01"}
    status, body = desk.call(
        "POST", "/api/v1/training/plans", "col.a1", json={**plan, "ends": "2026-12-31"}
    )
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = desk.call(
        "POST", "/api/v1/training/plans", "office", json={**plan, "ends": "2026-09-01"}
    )
    assert (status, body["error"]["code"]) == (400, "plan.dates")
    status, body = desk.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={**plan, "ends": "2026-12-31", "tracks": ["vip"]},
    )
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    for blank in ("   ", "\t", "\u3000\u200b"):  # a title is judged once trimmed
        asked = {**plan, "ends": "2026-12-31", "title": blank}
        status, body = desk.call("POST", "/api/v1/training/plans", "office", json=asked)
        assert (status, list(body["error"]["fields"])) == (422, ["title"])
    assert desk.call("GET", "/api/v1/training/plans", "col.a1") == (200, {"plans": []})


def test_r_trn_2_a_friday_inside_the_national_day_week_moves_to_the_first_working_day_after(
    desk: Desk,
) -> None:
    desk.approved_plan()
    sessions = desk.sessions("2026-09-28", "2026-10-11")
    # Friday 2026-09-25 is the Mid-Autumn Festival: Monday the 28th. Friday 2026-10-02 is in
    # the National Day holiday (1-7 October); the 8th, a Thursday, is the next working day.
    assert days(sessions, "weekly") == ["2026-09-28", "2026-10-08", "2026-10-09"]
    moved = next(s for s in sessions if s["day"] == "2026-10-08")
    assert moved["starts"] == "2026-10-08T14:00:00+08:00"
    assert moved["host"] == "department_head"
    assert moved["tracks"] == ["intern", "ordinary"]


def test_r_trn_2_a_make_up_weekend_day_counts_as_a_working_day(desk: Desk) -> None:
    desk.approved_plan()
    # New Year's Friday (2 Jan 2026) moves to Sunday 4 Jan, a make-up working day; February
    # 2026 ends on Saturday the 28th, also a make-up working day: management trains then.
    assert days(desk.sessions("2026-01-01", "2026-01-04"), "weekly") == ["2026-01-04"]
    assert days(desk.sessions("2026-02-01", "2026-02-28"), "monthly") == ["2026-02-28"]


def test_r_trn_2_management_trains_on_the_last_working_day_of_a_month_ending_on_a_weekend(
    desk: Desk,
) -> None:
    desk.approved_plan()
    sessions = desk.sessions("2026-05-01", "2026-10-31", who="head.a", track="management")
    # May 2026 ends on a Sunday and October on a Saturday.
    assert days(sessions, "monthly") == [
        "2026-05-29",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-30",
    ]
    assert days(sessions, "weekly") == []  # the management track filter
    assert {s["host"] for s in sessions if s["kind"] == "monthly"} == {"general_manager"}


def test_r_trn_2_a_year_the_calendar_does_not_know_is_refused_not_guessed(desk: Desk) -> None:
    desk.approved_plan(ends="2027-12-31")
    status, body = desk.call(
        "GET",
        "/api/v1/training/sessions",
        "col.a1",
        query_string={"from": "2027-01-01", "to": "2027-01-31"},
    )
    assert (status, body["error"]["code"]) == (422, "calendar.year_unknown")
    assert "holidays.toml" in body["error"]["message"]


def test_r_trn_2_the_office_adds_next_years_holidays_as_data(
    desk_with: Callable[..., Desk], tmp_path: Path
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    (policies / "training" / "holidays.toml").write_text(
        '[2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-03"]\n', encoding="utf-8"
    )
    desk = desk_with(policies_dir=policies)
    desk.approved_plan(ends="2027-12-31")
    # (illustrative data) Friday 1 Jan 2027 is a holiday; Sunday the 3rd a make-up working day.
    assert days(desk.sessions("2027-01-01", "2027-01-10", who="gm"), "weekly") == [
        "2027-01-03",
        "2027-01-08",
    ]


def test_r_trn_3_new_staff_have_induction_on_their_hire_date_led_by_hr(desk: Desk) -> None:
    desk.approved_plan()
    sessions = desk.sessions("2026-11-01", "2026-11-03", who="intern.a")
    induction = [s for s in sessions if s["kind"] == "induction"]
    # intern.a was hired on Monday 2 November 2026.
    assert [(s["day"], s["host"], s["starts"]) for s in induction] == [
        ("2026-11-02", "hr", "2026-11-02T09:00:00+08:00")
    ]


def test_sessions_export_as_an_icalendar_file(desk: Desk) -> None:
    desk.approved_plan()
    response = desk.client.get(
        "/api/v1/training/sessions.ics",
        query_string={"from": "2026-12-01", "to": "2026-12-31", "track": "ordinary"},
        headers=bearer(desk.agency.login("col.a1")),
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert text.count("BEGIN:VEVENT") == 4
    assert "UID:weekly-2026-12-04@govern" in text
    assert "DTSTART;TZID=Asia/Shanghai:20261204T140000" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai" in text


def test_r_trn_4_the_catalogue_lists_each_tracks_courses_and_the_certifications(desk: Desk) -> None:
    status, book = desk.call("GET", "/api/v1/training/catalogue", "col.a1")
    assert status == 200
    assert {n: t["section"] for n, t in book["tracks"].items()} == {
        "intern": "§9.1",
        "ordinary": "§9.2",
        "management": "§9.3",
    }
    for track in book["tracks"].values():
        sections = {book["courses"][code]["section"] for code in track["courses"]}
        assert {"§11", "§12", "§13"} <= sections
    assert set(book["certifications"]) >= {
        "system-use",
        "compliance",
        "confidentiality",
        "law-basics",
    }
    assert book["certifications"]["confidentiality"]["agreement"] == "confidentiality"
