"""Induction on the hire date (R-TRN-3, §10) that no approved plan schedules is listed for the
office and HR, instead of silently never taking place."""

from __future__ import annotations

from click.testing import Result

from govern.cli import cli
from tests.support.staff import LiveDirectory
from tests.training.conftest import Desk

PATH = "/api/v1/training/induction/unscheduled"
RANGE = {"from": "2026-10-01", "to": "2027-01-31"}


def unscheduled(desk: Desk, who: str = "office", **query: str) -> list[tuple[str, str]]:
    status, body = desk.call("GET", PATH, who, query_string={**RANGE, **query})
    assert status == 200, body
    return [(p["employee_number"], p["hire_date"]) for p in body["unscheduled"]]


def hire(desk: Desk, directory: LiveDirectory, username: str, day: str) -> None:
    """Give `username` the hire date `day` (YYYYMMDD) in the directory, then sync."""
    directory.set(username, "governHireDate", f"{day}000000Z")
    desk.agency.sync()


def plan(desk: Desk, starts: str, ends: str, tracks: list[str]) -> str:
    status, body = desk.call(
        "POST",
        "/api/v1/training/plans",
        "office",
        json={"title": "t", "term": "short", "tracks": tracks, "starts": starts, "ends": ends},
    )
    assert status == 201, body
    return body["id"]


def test_r_trn_3_a_hire_date_no_approved_plan_covers_is_listed_until_one_does(
    desk: Desk, directory: LiveDirectory
) -> None:
    # intern.a (1010) was hired on 2 November 2026; clerk (1012) will be on 4 January 2027,
    # a year the holiday calendar does not know yet: induction does not need it.
    hire(desk, directory, "clerk", "20270104")
    assert unscheduled(desk) == [("1010", "2026-11-02"), ("1012", "2027-01-04")]

    draft = plan(desk, "2026-11-01", "2026-11-30", ["intern"])
    assert unscheduled(desk) == [("1010", "2026-11-02"), ("1012", "2027-01-04")]  # a draft
    assert desk.call("POST", f"/api/v1/training/plans/{draft}/approval", "gm")[0] == 200
    assert unscheduled(desk) == [("1012", "2027-01-04")]
    assert unscheduled(desk, who="hr") == [("1012", "2027-01-04")]
    assert unscheduled(desk, track="intern") == []


def test_r_trn_3_induction_is_owed_whatever_the_track_the_plan_names(
    desk: Desk, directory: LiveDirectory
) -> None:
    """§10 is for every new employee: a plan for management staff still holds the induction
    of an ordinary clerk hired inside it, as the session list shows."""
    hire(desk, directory, "clerk", "20261116")
    covering = plan(desk, "2026-11-09", "2026-11-30", ["management"])
    desk.call("POST", f"/api/v1/training/plans/{covering}/approval", "gm")
    assert ("1012", "2026-11-16") not in unscheduled(desk)
    days = [s["day"] for s in desk.sessions("2026-11-16", "2026-11-16") if s["kind"] == "induction"]
    assert days == ["2026-11-16"]


def test_r_trn_3_people_who_have_left_are_not_listed(desk: Desk, directory: LiveDirectory) -> None:
    hire(desk, directory, "left.a", "20261012")
    directory.set("left.a", "governDepartureDate", "20261215000000Z")
    desk.agency.sync()
    assert ("1011", "2026-10-12") in unscheduled(desk)  # still with the company today
    desk.at("2026-12-16 09:00")
    assert ("1011", "2026-10-12") not in unscheduled(desk)
    assert ("1010", "2026-11-02") in unscheduled(desk)


def test_r_trn_3_only_the_office_and_hr_see_the_list_and_a_bad_range_is_refused(
    desk: Desk,
) -> None:
    for who in ("col.a1", "trainer", "gm", "it", "auditor"):
        status, body = desk.call("GET", PATH, who, query_string=RANGE)
        assert (status, body["error"]["code"]) == (403, "role.action_denied"), who
    status, body = desk.call(
        "GET", PATH, "office", query_string={"from": "2027-01-31", "to": "2026-10-01"}
    )
    assert (status, body["error"]["code"]) == (400, "range.invalid")
    status, body = desk.call("GET", PATH, "office", query_string={"from": "2026-10-01"})
    assert (status, body["error"]["code"]) == (422, "request.invalid")


def govern(desk: Desk, *args: str) -> Result:
    return desk.agency.app.test_cli_runner().invoke(cli, list(args))


def test_r_trn_3_the_console_lists_them_and_exits_3_when_there_are_any(desk: Desk) -> None:
    result = govern(
        desk, "training", "unscheduled-induction", "--from", "2026-11-01", "--to", "2026-11-30"
    )
    assert result.exit_code == 3, result.output
    assert result.output.splitlines() == [
        "2026-11-02  1010  dept-a  intern",
        "1 new staff without a scheduled induction",
    ]
    assert "罗娟" not in result.output
    desk.approved_plan()
    result = govern(
        desk, "training", "unscheduled-induction", "--from", "2026-11-01", "--to", "2026-11-30"
    )
    assert (result.exit_code, result.output) == (0, "0 new staff without a scheduled induction\n")
    result = govern(
        desk, "training", "unscheduled-induction", "--from", "2026-11-30", "--to", "2026-11-01"
    )
    assert (result.exit_code, "[range.invalid]" in result.output) == (1, True)
