"""Attendance and leave: leave counts only if asked half a day ahead and approved by the head
before the session; otherwise absence or leaving early is unexcused (R-TRN-6)."""

from __future__ import annotations

from tests.training.conftest import Desk

FRIDAY = "weekly-2026-12-04"  # Friday 4 December 2026, 14:00-17:30


def ask_leave(desk: Desk, who: str, session: str = FRIDAY) -> tuple[int, dict]:
    return desk.call("POST", f"/api/v1/training/sessions/{session}/leave", who)


def approve(desk: Desk, leave_id: int, head: str = "head.a") -> tuple[int, dict]:
    return desk.call("POST", f"/api/v1/training/leave/{leave_id}/approval", head)


def attend(desk: Desk, who: str, status: str, by: str = "trainer") -> tuple[int, dict]:
    return desk.call(
        "POST",
        f"/api/v1/training/sessions/{FRIDAY}/attendance",
        by,
        json={"account_id": desk.ids[who], "status": status},
    )


def verdicts(desk: Desk, viewer: str = "head.a") -> dict[str, tuple[str, str | None]]:
    status, body = desk.call(
        "GET",
        "/api/v1/training/attendance",
        viewer,
        query_string={"from": "2026-12-01", "to": "2026-12-31"},
    )
    assert status == 200, body
    return {
        line["account_id"]: (line["verdict"], line["leave_problem"]) for line in body["attendance"]
    }


def test_r_trn_6_leave_asked_two_hours_before_does_not_excuse_the_absence(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 12:00")
    status, leave = ask_leave(desk, "col.a1")
    assert (status, leave["excuses"], leave["problem"]) == (201, False, "leave.too_late")
    status, leave = approve(desk, leave["id"])
    assert (status, leave["approved_by"], leave["excuses"]) == (200, desk.ids["head.a"], False)
    desk.at("2026-12-04 18:00")
    assert attend(desk, "col.a1", "absent")[0] == 201
    assert verdicts(desk)[desk.ids["col.a1"]] == ("unexcused", "leave.too_late")


def test_r_trn_6_leave_asked_in_time_and_approved_before_the_session_excuses(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-03 20:00")
    status, leave = ask_leave(desk, "col.a2")
    assert (status, leave["excuses"], leave["problem"]) == (201, False, "leave.not_approved")
    desk.at("2026-12-04 09:00")
    status, leave = approve(desk, leave["id"])
    assert (status, leave["excuses"], leave["problem"]) == (200, True, None)
    desk.at("2026-12-04 18:00")
    attend(desk, "col.a2", "absent")
    assert verdicts(desk)[desk.ids["col.a2"]] == ("excused", None)


def test_r_trn_6_leave_the_head_never_approved_leaves_the_absence_unexcused(desk: Desk) -> None:
    desk.approved_plan()
    ask_leave(desk, "col.b1")
    desk.at("2026-12-04 18:00")
    attend(desk, "col.b1", "absent")
    assert verdicts(desk, "head.b")[desk.ids["col.b1"]] == ("unexcused", "leave.not_approved")


def test_r_trn_6_leaving_mid_session_without_leave_is_unexcused(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 18:00")
    attend(desk, "intern.a", "left_early")
    attend(desk, "col.a1", "present")
    lines = verdicts(desk)
    assert lines[desk.ids["intern.a"]] == ("unexcused", "leave.none")
    assert lines[desk.ids["col.a1"]] == ("present", None)


def test_r_trn_6_heads_see_their_own_departments_attendance_only(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 18:00")
    attend(desk, "col.a1", "absent")
    attend(desk, "col.b1", "absent")
    assert set(verdicts(desk, "head.a")) == {desk.ids["col.a1"]}
    assert set(verdicts(desk, "office")) == {desk.ids["col.a1"], desk.ids["col.b1"]}
    status, body = desk.call(
        "GET",
        "/api/v1/training/attendance",
        "head.b",
        query_string={"from": "2026-12-01", "to": "2026-12-31", "department": "dept-a"},
    )
    assert (status, body["error"]["code"]) == (403, "account.department_not_visible")
    assert (
        desk.call(
            "GET",
            "/api/v1/training/attendance",
            "col.a1",
            query_string={"from": "2026-12-01", "to": "2026-12-31"},
        )[0]
        == 403
    )


def test_r_trn_6_only_the_persons_own_head_approves_and_only_before_the_session(
    desk: Desk,
) -> None:
    desk.approved_plan()
    leave = ask_leave(desk, "col.a1")[1]
    status, body = approve(desk, leave["id"], head="head.b")
    assert (status, body["error"]["code"]) == (403, "leave.not_your_department")
    status, body = approve(desk, leave["id"], head="col.a2")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    desk.at("2026-12-04 14:00")
    status, body = approve(desk, leave["id"])
    assert (status, body["error"]["code"]) == (409, "session.started")
    status, body = ask_leave(desk, "col.a2")
    assert (status, body["error"]["code"]) == (409, "session.started")


def test_r_trn_6_attendance_is_recorded_once_for_those_expected_after_the_start(
    desk: Desk,
) -> None:
    desk.approved_plan()
    status, body = attend(desk, "col.a1", "present")
    assert (status, body["error"]["code"]) == (409, "session.not_started")
    desk.at("2026-12-04 14:30")
    assert attend(desk, "col.a1", "present")[0] == 201
    status, body = attend(desk, "col.a1", "absent")
    assert (status, body["error"]["code"]) == (409, "attendance.recorded")
    status, body = attend(desk, "head.a", "present")  # management trains monthly
    assert (status, body["error"]["code"]) == (403, "session.not_participant")
    status, body = attend(desk, "col.b1", "present", by="head.a")
    assert (status, body["error"]["code"]) == (403, "training.not_visible")
    status, body = attend(desk, "col.a1", "late")
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert [e["details"]["status"] for e in desk.events("training.attendance.recorded")] == [
        "present"
    ]


def test_sessions_that_no_approved_plan_produces_are_unknown(desk: Desk) -> None:
    status, body = ask_leave(desk, "col.a1")
    assert (status, body["error"]["code"]) == (404, "session.unknown")
    desk.approved_plan()
    for wrong in ("weekly-2026-12-05", "weekly-tomorrow", "yearly-2026-12-04"):
        status, body = ask_leave(desk, "col.a1", wrong)
        assert (status, body["error"]["code"]) == (404, "session.unknown")
    status, body = ask_leave(desk, "head.a")
    assert (status, body["error"]["code"]) == (403, "session.not_participant")
    assert ask_leave(desk, "col.a1")[0] == 201
    status, body = ask_leave(desk, "col.a1")
    assert (status, body["error"]["code"]) == (409, "leave.requested")
    assert len(desk.events("training.leave.requested")) == 1
