"""Exams: scores 0-100, pass mark 80, one retake, then HR; results archived (R-TRN-5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from govern.db import make_engine
from tests.training.conftest import Desk


@pytest.mark.parametrize("score", [-1, 101, "80", 80.5, True, None])
def test_r_trn_5_a_score_that_is_not_a_whole_number_from_0_to_100_is_refused(
    desk: Desk, score: object
) -> None:
    status, body = desk.result("CMP-CONDUCT", "col.a1", score)
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert any("score" in name for name in body["error"]["fields"]), body
    assert desk.call("GET", f"/api/v1/accounts/{desk.ids['col.a1']}/exam-results", "col.a1") == (
        200,
        {"results": []},
    )


def test_r_trn_5_79_fails_and_asks_for_a_retake_which_80_passes(desk: Desk) -> None:
    status, first = desk.result("CMP-CONDUCT", "col.a1", 79)
    assert status == 201
    assert (first["passed"], first["attempt"], first["next_step"]) == (False, 1, "retake_required")
    status, second = desk.result("CMP-CONDUCT", "col.a1", 80)
    assert (second["passed"], second["attempt"], second["next_step"]) == (True, 2, "passed")
    assert second["hr_case"] is None


def test_r_trn_5_failing_the_retake_goes_to_hr_and_results_wait_for_hrs_decision(
    desk: Desk,
) -> None:
    desk.result("CMP-CONDUCT", "col.a1", 60)
    status, retake = desk.result("CMP-CONDUCT", "col.a1", 75)
    assert (status, retake["next_step"]) == (201, "hr_case_open")
    status, body = desk.call("GET", "/api/v1/hr/cases", "hr")
    assert status == 200
    assert [(c["id"], c["account_id"], c["course"]) for c in body["cases"]] == [
        (retake["hr_case"], desk.ids["col.a1"], "CMP-CONDUCT")
    ]

    status, body = desk.result("CMP-CONDUCT", "col.a1", 95)
    assert (status, body["error"]["code"]) == (409, "exam.hr_case_open")
    assert desk.result("SYS-USE", "col.a1", 90)[0] == 201  # other courses go on

    case = retake["hr_case"]
    status, body = desk.call(
        "POST", f"/api/v1/hr/cases/{case}/decision", "hr", json={"decision": "allow_retake"}
    )
    assert (status, body["decision"], body["decided_by"]) == (200, "allow_retake", desk.ids["hr"])
    assert desk.call("GET", "/api/v1/hr/cases", "hr") == (200, {"cases": []})
    assert [e["details"]["case"] for e in desk.events("hr.case.opened")] == [case]
    assert [e["details"]["decision"] for e in desk.events("hr.case.decided")] == ["allow_retake"]
    status, third = desk.result("CMP-CONDUCT", "col.a1", 70)
    # the retake HR allowed failed as well: back to HR
    assert (status, third["attempt"], third["next_step"]) == (201, 3, "hr_case_open")
    assert third["hr_case"] != case


def test_r_trn_5_hr_may_decide_no_further_retake(desk: Desk) -> None:
    desk.result("SKL-LAW", "col.a1", 10)
    case = desk.result("SKL-LAW", "col.a1", 20)[1]["hr_case"]
    desk.call("POST", f"/api/v1/hr/cases/{case}/decision", "hr", json={"decision": "no_retake"})
    status, body = desk.result("SKL-LAW", "col.a1", 99)
    assert (status, body["error"]["code"]) == (409, "exam.hr_no_retake")
    status, body = desk.call(
        "POST", f"/api/v1/hr/cases/{case}/decision", "hr", json={"decision": "allow_retake"}
    )
    assert (status, body["error"]["code"]) == (409, "hr_case.decided")


def test_r_trn_5_hr_never_decides_its_own_case(desk: Desk) -> None:
    desk.result("SKL-LAW", "hr", 10)
    case = desk.result("SKL-LAW", "hr", 20)[1]["hr_case"]
    status, body = desk.call(
        "POST", f"/api/v1/hr/cases/{case}/decision", "hr", json={"decision": "allow_retake"}
    )
    assert (status, body["error"]["code"]) == (403, "hr_case.own")


def test_r_trn_5_only_hr_sees_and_decides_cases(desk: Desk) -> None:
    desk.result("SKL-LAW", "col.a1", 10)
    case = desk.result("SKL-LAW", "col.a1", 20)[1]["hr_case"]
    assert desk.call("GET", "/api/v1/hr/cases", "head.a")[0] == 403
    status, body = desk.call(
        "POST", f"/api/v1/hr/cases/{case}/decision", "trainer", json={"decision": "allow_retake"}
    )
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = desk.call(
        "POST", f"/api/v1/hr/cases/{case}/decision", "hr", json={"decision": "fire"}
    )
    assert (status, body["error"]["code"]) == (422, "request.invalid")


def test_r_trn_5_nobody_records_their_own_result_and_collectors_record_none(desk: Desk) -> None:
    status, body = desk.result("CMP-CONDUCT", "trainer", 100, by="trainer")
    assert (status, body["error"]["code"]) == (403, "exam.own_result")
    status, body = desk.result("CMP-CONDUCT", "col.a2", 100, by="col.a1")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = desk.result("NO-SUCH", "col.a1", 100)
    assert (status, body["error"]["code"]) == (404, "course.unknown")
    status, body = desk.result("SKL-FIELD", "col.a1", 100)  # a course without an exam
    assert (status, body["error"]["code"]) == (404, "course.unknown")


def test_r_trn_5_results_are_archived_with_who_recorded_them_and_audited(desk: Desk) -> None:
    desk.result("CMP-CONDUCT", "col.a1", 50)
    desk.clock.advance(days=7)
    desk.result("CMP-CONDUCT", "col.a1", 88, by="office")
    status, body = desk.call("GET", f"/api/v1/accounts/{desk.ids['col.a1']}/exam-results", "head.a")
    assert status == 200
    assert [(r["score"], r["passed"], r["recorded_by"]) for r in body["results"]] == [
        (50, False, desk.ids["trainer"]),
        (88, True, desk.ids["office"]),
    ]
    events = desk.events("exam.result.recorded")
    assert [(e["actor"], e["object"], e["details"]["passed"]) for e in events] == [
        (desk.ids["trainer"], desk.ids["col.a1"], False),
        (desk.ids["office"], desk.ids["col.a1"], True),
    ]
    assert "score" not in events[0]["details"]
    status, body = desk.call("GET", f"/api/v1/accounts/{desk.ids['col.a1']}/exam-results", "col.b1")
    assert (status, body["error"]["code"]) == (403, "training.not_visible")


def test_r_trn_5_the_pass_mark_is_configurable(desk_with: Callable[..., Desk]) -> None:
    strict = desk_with(exam_pass_mark=90)
    assert strict.result("CMP-CONDUCT", "col.a1", 85)[1]["passed"] is False


@pytest.mark.postgresql_only
def test_r_trn_5_the_service_role_can_never_overwrite_an_archived_result(desk: Desk) -> None:
    desk.result("CMP-CONDUCT", "col.a1", 79)
    engine = make_engine(desk.agency.services.settings.database_url)  # the service's own role
    try:
        with engine.connect() as connection:
            for statement in (
                "UPDATE exam_results SET score = 100",
                "DELETE FROM exam_results",
                "UPDATE agreement_signatures SET version = 'x'",
            ):
                with pytest.raises(ProgrammingError, match="permission denied"):
                    connection.execute(text(statement))
                connection.rollback()
    finally:
        engine.dispose()
    _, body = desk.call("GET", f"/api/v1/accounts/{desk.ids['col.a1']}/exam-results", "col.a1")
    assert [r["score"] for r in body["results"]] == [79]
