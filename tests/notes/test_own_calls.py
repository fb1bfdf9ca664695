"""A collector finds their own calls to note them (R-NTE-1): `GET /api/v1/calls/mine` lists
the calls whose account is theirs, with each one's id and whether a note records it; never
the number, never another collector's call."""

from __future__ import annotations

from datetime import timedelta

from tests.support.calls import record_call
from tests.support.floor import Floor
from tests.support.notes import note

MINE = "/api/v1/calls/mine"


def mine(floor: Floor, who: str, **query: str) -> list[dict]:
    status, body = floor.call("GET", MINE, who, query_string=query)
    assert status == 200, body
    return body["calls"]


def test_r_nte_1_a_collector_lists_their_own_calls_and_notes_one_by_its_id(floor: Floor) -> None:
    first = record_call(floor, "C-001", connected=False)
    floor.clock.advance(minutes=10)
    second = record_call(floor, "C-002", number="13987654321")
    record_call(floor, "C-003", who="col.a2", number="15011112222")  # another collector's

    listed = mine(floor, "col.a1")
    assert [call["id"] for call in listed] == [second, first]  # newest first
    assert (listed[0]["debtor_id"], listed[0]["party"], listed[0]["direction"]) == (
        floor.debtors["C-002"],
        "debtor",
        "outbound",
    )
    assert listed[0]["answered_at"] is not None and listed[1]["answered_at"] is None
    assert [call["noted"] for call in listed] == [False, False]
    body = floor.call("GET", MINE, "col.a1")[1]
    assert "13812345678" not in str(body) and "13987654321" not in str(body)

    assert note(floor, "col.a1", "C-002", call_id=listed[0]["id"])[0] == 201
    assert [call["noted"] for call in mine(floor, "col.a1")] == [True, False]
    assert mine(floor, "sup.a1") == []


def test_r_nte_1_own_calls_start_from_since(floor: Floor) -> None:
    old = record_call(floor, "C-001", started_at=floor.clock.now() - timedelta(days=3))
    assert mine(floor, "col.a1") == []  # by default from the start of yesterday
    since = (floor.clock.now() - timedelta(days=4)).isoformat()
    assert [call["id"] for call in mine(floor, "col.a1", since=since)] == [old]
    status, body = floor.call("GET", MINE, "col.a1", query_string={"since": "yesterday"})
    assert (status, body["error"]["code"]) == (422, "request.invalid")
