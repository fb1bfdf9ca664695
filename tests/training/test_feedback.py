"""Feedback forms: when a plan ends, each participant's form is due to their department head
within three months (R-TRN-7)."""

from __future__ import annotations

from tests.training.conftest import Desk


def forms(desk: Desk, viewer: str, **query: str) -> list[tuple[str, str, str, str]]:
    status, body = desk.call("GET", "/api/v1/training/feedback", viewer, query_string=query)
    assert status == 200, body
    return [(f["account_id"], f["kind"], f["due"], f["state"]) for f in body["forms"]]


def ended_plan_with_participants(desk: Desk) -> str:
    plan = desk.approved_plan(starts="2026-11-01", ends="2026-11-20")
    desk.at("2026-11-06 18:00")
    for who, status in (("col.a1", "present"), ("intern.a", "left_early"), ("col.a2", "absent")):
        assert (
            desk.call(
                "POST",
                "/api/v1/training/sessions/weekly-2026-11-06/attendance",
                "trainer",
                json={"account_id": desk.ids[who], "status": status},
            )[0]
            == 201
        )
    desk.at("2026-11-28 10:00")
    return plan


def test_r_trn_7_when_a_plan_ends_each_participants_form_is_due_to_their_head(
    desk: Desk,
) -> None:
    desk.approved_plan(starts="2026-11-01", ends="2027-06-30")  # still running: nothing due
    ended_plan_with_participants(desk)
    # col.a2 was absent throughout: not a participant. intern.a, hired on 2 November, is in
    # probation; col.a1 is regular staff. Three months after 20 November: 20 February.
    assert sorted(forms(desk, "head.a")) == sorted(
        [
            (desk.ids["col.a1"], "regular", "2027-02-20", "due"),
            (desk.ids["intern.a"], "probation", "2027-02-20", "due"),
        ]
    )
    assert forms(desk, "head.b") == []
    desk.at("2027-02-21 09:00")
    assert {state for *_, state in forms(desk, "office")} == {"overdue"}
    assert forms(desk, "office", state="due") == []


def test_r_trn_7_the_head_returns_the_form_once(desk: Desk) -> None:
    plan = ended_plan_with_participants(desk)
    form = {
        "plan_id": plan,
        "account_id": desk.ids["col.a1"],
        "assessment": "按时完成任务，话术规范。",
    }
    status, body = desk.call("POST", "/api/v1/training/feedback", "head.b", json=form)
    assert (status, body["error"]["code"]) == (403, "feedback.not_department_head")
    status, body = desk.call("POST", "/api/v1/training/feedback", "head.a", json=form)
    assert (status, body["state"], body["returned_at"]) == (
        201,
        "returned",
        "2026-11-28T02:00:00+00:00",
    )
    status, body = desk.call("POST", "/api/v1/training/feedback", "head.a", json=form)
    assert (status, body["error"]["code"]) == (409, "feedback.returned")
    status, body = desk.call(
        "POST",
        "/api/v1/training/feedback",
        "head.a",
        json={**form, "account_id": desk.ids["col.a2"]},
    )
    assert (status, body["error"]["code"]) == (404, "feedback.unknown")
    assert forms(desk, "office", state="returned") == [
        (desk.ids["col.a1"], "regular", "2027-02-20", "returned")
    ]
    events = desk.events("training.feedback.returned")
    assert [(e["actor"], e["object"]) for e in events] == [(desk.ids["head.a"], desk.ids["col.a1"])]
    assert "assessment" not in events[0]["details"]


def test_r_trn_7_a_session_a_holiday_moves_past_the_plans_end_still_counts_for_that_plan(
    desk: Desk,
) -> None:
    # The plan ends on Sunday 4 October; its last Friday (2 October, National Day) moves to
    # Thursday 8 October. Whoever attended then took part in this plan.
    plan = desk.approved_plan(starts="2026-09-01", ends="2026-10-04")
    desk.at("2026-10-08 18:00")
    status, _ = desk.call(
        "POST",
        "/api/v1/training/sessions/weekly-2026-10-08/attendance",
        "trainer",
        json={"account_id": desk.ids["col.a1"], "status": "present"},
    )
    assert status == 201
    desk.at("2026-11-28 10:00")
    status, body = desk.call("GET", "/api/v1/training/feedback", "office")
    assert [(f["plan_id"], f["account_id"], f["due"]) for f in body["forms"]] == [
        (plan, desk.ids["col.a1"], "2027-01-04")
    ]


def test_r_trn_7_a_heads_own_form_is_returned_by_the_general_manager(desk: Desk) -> None:
    plan = desk.approved_plan(starts="2026-10-01", ends="2026-10-31")
    desk.at("2026-10-30 18:00")  # management's monthly session, the last working day
    desk.call(
        "POST",
        "/api/v1/training/sessions/monthly-2026-10-30/attendance",
        "trainer",
        json={"account_id": desk.ids["head.a"], "status": "present"},
    )
    desk.at("2026-11-28 10:00")
    form = {"plan_id": plan, "account_id": desk.ids["head.a"], "assessment": "ok"}
    status, body = desk.call("POST", "/api/v1/training/feedback", "head.a", json=form)
    assert (status, body["error"]["code"]) == (403, "feedback.self_approval")
    assert desk.call("POST", "/api/v1/training/feedback", "gm", json=form)[0] == 201
