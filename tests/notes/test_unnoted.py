"""Every call has its note (R-NTE-1): a call no note records by the end of the working day
(GOVERN_NOTE_DUE_TIME, 18:00 company time) is listed for the collector's supervisor and
department head."""

from __future__ import annotations

from datetime import datetime, timedelta

from govern.contact.models import Call
from govern.ids import new_id
from govern.notes.complaints import UNNOTED_LIMIT
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


def test_r_nte_1_a_calls_no_collector_is_known_for_are_listed_for_the_debtors_supervisor_and_it(
    floor: Floor,
) -> None:
    inbound = record_call(floor, "C-001", who=None, direction="inbound", started_at=at(9, 0))
    stranger = record_call(
        floor, None, who=None, direction="inbound", started_at=at(9, 5), number="13900001111"
    )
    floor.clock.set(at(18, 0))
    assert unnoted(floor, "sup.a1") == [inbound]  # C-001 is of pg-a1
    assert unnoted(floor, "it") == [inbound, stranger]
    assert unnoted(floor, "head.a") == []
    [listed, _] = floor.call("GET", UNNOTED, "it")[1]["calls"]
    assert (listed["collector"], listed["collector_name"]) == (None, None)


def test_r_nte_1_another_groups_backlog_does_not_crowd_out_your_own(floor: Floor) -> None:
    s = floor.agency.services
    with s.sessions() as db:
        db.add_all(backlog(floor.ids["col.b1"], at(8, 0), UNNOTED_LIMIT + 1))
        db.commit()
    mine = record_call(floor, "C-001", started_at=at(9, 0))
    floor.clock.set(at(18, 0))
    assert unnoted(floor, "sup.a1") == [mine]
    assert unnoted(floor, "head.a") == [mine]
    assert len(unnoted(floor, "head.b")) == UNNOTED_LIMIT


def backlog(account_id: str, start: datetime, count: int) -> list[Call]:
    """`count` calls of one collector no note records, one a second from `start`."""
    return [
        Call(
            id=new_id("CL"),
            system_call_id=f"BACKLOG-{n}",
            line_number="0571-8690 1001",
            direction="outbound",
            number_digest=bytes(32),
            number=b"sealed",
            key_id="k1",
            account_id=account_id,
            started_at=start + timedelta(seconds=n),
            ended_at=start + timedelta(seconds=n + 30),
            received_at=start + timedelta(seconds=n + 31),
        )
        for n in range(count)
    ]
