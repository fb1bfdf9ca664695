"""The training pages read a constant number of SQL statements however many lines they show
(no N+1): counted on the real engine, with one line on the page and then with more."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.pages import HTTPS, page_session
from tests.support.statements import statements_sent
from tests.training.conftest import Desk

FRIDAY = "weekly-2026-12-04"


def sent(desk: Desk, path: str) -> int:
    """The statements one request of `path` sends, as the person signed in last; the page
    must answer 200."""
    client: FlaskClient = desk.client
    with statements_sent(desk.agency.services.engine) as count:
        response = client.get(path, base_url=HTTPS)
    assert response.status_code == 200, response.get_data(as_text=True)
    return count[0]


def ask_leave(desk: Desk, who: str) -> None:
    path = f"/api/v1/training/sessions/{FRIDAY}/leave"
    assert desk.call("POST", path, who)[0] == 201


def attendance(desk: Desk, who: str, status: str, session: str = FRIDAY) -> None:
    path = f"/api/v1/training/sessions/{session}/attendance"
    body = {"account_id": desk.ids[who], "status": status}
    assert desk.call("POST", path, "trainer", json=body)[0] == 201


def test_the_heads_leave_approvals_read_the_same_statements_for_one_line_or_three(
    desk: Desk,
) -> None:
    desk.approved_plan()
    ask_leave(desk, "intern.a")
    page_session(desk.agency, "head.a")
    one = sent(desk, "/training/leave")
    ask_leave(desk, "col.a1")
    ask_leave(desk, "col.a2")
    page_session(desk.agency, "head.a")
    html = desk.client.get("/training/leave", base_url=HTTPS).get_data(as_text=True)
    assert html.count("data-leave=") == 3
    assert sent(desk, "/training/leave") == one


def test_the_attendance_report_reads_the_same_statements_for_one_absence_or_three(
    desk: Desk,
) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 15:00")
    attendance(desk, "col.a1", "absent")
    page_session(desk.agency, "office")
    one = sent(desk, "/training/attendance")
    attendance(desk, "col.a2", "absent")
    attendance(desk, "col.b1", "left_early")
    page_session(desk.agency, "office")
    assert sent(desk, "/training/attendance") == one


def test_the_feedback_forms_read_the_same_statements_for_one_ended_plan_or_two(
    desk: Desk,
) -> None:
    desk.approved_plan(starts="2026-11-01", ends="2026-11-10")
    desk.approved_plan(starts="2026-11-11", ends="2026-11-20")
    desk.at("2026-11-06 18:00")
    attendance(desk, "col.a1", "present", "weekly-2026-11-06")
    desk.at("2026-11-13 18:00")
    attendance(desk, "col.a2", "present", "weekly-2026-11-13")
    desk.at("2026-11-16 10:00")  # the first plan has ended, the second not yet
    page_session(desk.agency, "office")
    assert forms(desk) == 1
    one = sent(desk, "/training/feedback")
    desk.at("2026-11-28 10:00")
    page_session(desk.agency, "office")
    assert forms(desk) == 2
    assert sent(desk, "/training/feedback") == one


def forms(desk: Desk) -> int:
    html = desk.client.get("/training/feedback", base_url=HTTPS).get_data(as_text=True)
    return html.count("data-form=")


def test_my_training_reads_the_same_statements_for_one_session_ahead_or_four(
    desk: Desk,
) -> None:
    desk.approved_plan()
    counts = {}
    for now in ("2026-11-28 10:00", "2026-12-20 10:00"):
        desk.at(now)
        page_session(desk.agency, "intern.a")
        html = desk.client.get("/training/me", base_url=HTTPS).get_data(as_text=True)
        counts[html.count("data-session=")] = sent(desk, "/training/me")
    assert sorted(counts) == [1, 4]
    assert counts[1] == counts[4]
