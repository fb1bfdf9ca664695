"""Every call has its note (R-NTE-1): a call no note records by the end of the working day
(GOVERN_NOTE_DUE_TIME, 18:00 company time) is listed for the collector's supervisor and
department head."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.calls import record_call
from tests.support.clock import SHANGHAI
from tests.support.floor import Floor
from tests.support.notes import note

UNNOTED = "/api/v1/calls/unnoted"


def unnoted(floor: Floor, who: str) -> list[str]:
    status, body = floor.call("GET", UNNOTED, who)
    assert status == 200, body
    return [call["call_id"] for call in body["calls"]]


def at(hour: int, minute: int = 0, day: int = 28) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_r_nte_1_a_call_without_a_note_at_the_end_of_the_day_is_listed_for_its_supervisor(
    floor: Floor,
) -> None:
    call = record_call(floor, "C-001", started_at=at(9, 30))
    floor.clock.set(at(17, 59))
    assert unnoted(floor, "sup.a1") == []
    floor.clock.set(at(18, 0))
    assert unnoted(floor, "sup.a1") == [call]
    assert unnoted(floor, "head.a") == [call]
    assert unnoted(floor, "head.b") == []  # another department's collector
    body = floor.call("GET", UNNOTED, "sup.a1")[1]
    [listed] = body["calls"]
    assert (listed["collector"], listed["collector_name"], listed["debtor_id"]) == (
        floor.ids["col.a1"],
        "马超",
        floor.debtors["C-001"],
    )
    assert datetime.fromisoformat(listed["due"]) == at(18, 0)
    assert "13812345678" not in str(body)

    assert note(floor, "col.a1", "C-001", call_id=call)[0] == 201
    assert unnoted(floor, "sup.a1") == []


def test_r_nte_1_a_call_after_the_due_time_is_due_the_next_day(floor: Floor) -> None:
    floor.clock.set(at(19, 5))
    call = record_call(floor, "C-001", started_at=at(19, 0))
    floor.clock.set(at(23, 0))
    assert unnoted(floor, "sup.a1") == []
    floor.clock.set(at(18, 0, day=29))
    assert unnoted(floor, "sup.a1") == [call]


def test_r_nte_1_a_supervisor_watches_their_project_group_a_head_their_department(
    floor: Floor,
) -> None:
    other_group = record_call(
        floor, "C-003", who="col.a2", started_at=at(9, 0), number="15011112222"
    )
    floor.clock.set(at(18, 0))
    assert unnoted(floor, "sup.a1") == []  # col.a2 is in pg-a2
    assert unnoted(floor, "head.a") == [other_group]


def test_r_nte_1_collectors_do_not_see_the_unnoted_list(floor: Floor) -> None:
    status, body = floor.call("GET", UNNOTED, "col.a1")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    floor.clock.advance(hours=1)
    record_call(floor, None, who=None, started_at=floor.clock.now() - timedelta(days=1))
    assert unnoted(floor, "head.a") == []  # a call no collector made or took: not theirs
