"""Attendance and leave: leave counts only if asked half a day ahead and approved by the head
before the session; otherwise absence or leaving early is unexcused (R-TRN-6)."""

from __future__ import annotations

from govern.directory.sync import sync_directory
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
    assert [e["object"] for e in desk.events("training.leave.requested")] == [FRIDAY]
    assert [e["actor"] for e in desk.events("training.leave.approved")] == [desk.ids["head.a"]]


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
    assert (status, body["error"]["code"]) == (403, "leave.not_department_head")
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


def test_r_trn_6_a_heads_leave_is_approved_by_the_general_manager_never_by_themself(
    desk: Desk,
) -> None:
    desk.approved_plan()
    monthly = desk.sessions("2026-12-01", "2026-12-31", who="head.a", track="management")
    status, leave = ask_leave(desk, "head.a", monthly[0]["id"])
    assert status == 201
    status, body = approve(desk, leave["id"], head="head.a")
    assert (status, body["error"]["code"]) == (403, "leave.self_approval")
    status, body = approve(desk, leave["id"], head="head.b")
    assert (status, body["error"]["code"]) == (403, "leave.not_general_manager")
    status, body = approve(desk, leave["id"], head="gm")
    assert (status, body["approved_by"], body["excuses"]) == (200, desk.ids["gm"], True)
    assert [e["actor"] for e in desk.events("training.leave.approved")] == [desk.ids["gm"]]


def test_r_trn_6_nobody_records_their_own_attendance(desk: Desk) -> None:
    desk.approved_plan()
    desk.at("2026-12-04 18:00")
    status, body = attend(desk, "trainer", "present", by="trainer")
    assert (status, body["error"]["code"]) == (403, "attendance.own")
    assert attend(desk, "trainer", "present", by="office")[0] == 201


def test_r_trn_6_a_verdict_stands_when_the_session_can_no_longer_be_computed(
    desk: Desk, directory: object
) -> None:
    desk.approved_plan()
    desk.at("2026-11-02 12:00")  # intern.a's induction, on their hire date
    status, _ = desk.call(
        "POST",
        "/api/v1/training/sessions/induction-2026-11-02/attendance",
        "hr",
        json={"account_id": desk.ids["intern.a"], "status": "absent"},
    )
    assert status == 201
    desk.at("2026-11-28 10:00")
    directory.remove("intern.a")  # type: ignore[attr-defined]
    s = desk.agency.services
    with s.sessions() as db:  # confirmed: one of 14 people gone is above the 5 % guard
        sync_directory(db, s.directory, s.context(), confirm=True)
    # no one hired on 2 November remains: no induction that day any more
    assert desk.sessions("2026-11-02", "2026-11-02", who="office") == []
    status, body = desk.call(
        "GET",
        "/api/v1/training/attendance",
        "office",
        query_string={"from": "2026-11-01", "to": "2026-11-30"},
    )
    assert status == 200, body
    assert [(a["session_id"], a["verdict"]) for a in body["attendance"]] == [
        ("induction-2026-11-02", "unexcused")
    ]
