"""Collection notes through HTTP (R-NTE-1): every call has its note, with the call's time,
never edited or deleted (the database itself refuses), a correction a new note; read only by
those who reach the debtor, each read recorded before anything leaves."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from govern.notes.models import Note
from tests.support.agency import bearer
from tests.support.calls import record_call
from tests.support.floor import Floor
from tests.support.notes import TEXT, note, notes


def count_notes(floor: Floor) -> int:
    with floor.agency.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(Note))


def test_r_nte_1_a_call_note_takes_its_time_from_the_call_and_its_text_stays_sealed(
    floor: Floor,
) -> None:
    started = floor.clock.now() - timedelta(minutes=30)
    call = record_call(floor, "C-001", started_at=started)
    floor.clock.advance(minutes=1)
    status, body = note(floor, "col.a1", "C-001", call_id=call)
    assert status == 201, body
    assert datetime.fromisoformat(body["occurred_at"]) == started
    assert datetime.fromisoformat(body["recorded_at"]) == floor.clock.now()
    assert (body["call_id"], body["account_id"], body["text"]) == (call, floor.ids["col.a1"], TEXT)

    status, listed = notes(floor, "sup.a1", "C-001")
    assert status == 200
    assert [(n["id"], n["text"]) for n in listed["notes"]] == [(body["id"], TEXT)]
    with floor.agency.services.sessions() as db:
        assert TEXT.encode() not in db.get(Note, body["id"]).text  # sealed
    added = floor.events("note.added")[-1]
    assert (added["actor"], added["object"]) == (floor.ids["col.a1"], floor.debtors["C-001"])
    assert added["details"]["note"] == body["id"] and added["details"]["call"] == call
    viewed = floor.events("notes.viewed")[-1]
    assert (viewed["actor"], viewed["details"]["notes"]) == (floor.ids["sup.a1"], [body["id"]])
    assert "还款" not in str(floor.events("note.added")) + str(floor.events("notes.viewed"))


def test_r_nte_1_a_note_without_a_call_takes_the_server_clock(floor: Floor) -> None:
    status, body = note(floor, "col.a1", "C-001", direction="none", outcome="none")
    assert status == 201, body
    assert datetime.fromisoformat(body["occurred_at"]) == floor.clock.now()


@pytest.mark.parametrize("field", ["occurred_at", "recorded_at"])
def test_r_nte_1_a_time_sent_by_the_client_is_refused(floor: Floor, field: str) -> None:
    """No back-dating: the client never sets a note's time."""
    call = record_call(floor, "C-001")
    status, body = note(floor, "col.a1", "C-001", call_id=call, **{field: "2026-11-01T09:00:00Z"})
    assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert "call record or the server clock" in str(body["error"]["fields"][field])
    assert count_notes(floor) == 0


def test_r_nte_1_a_call_note_names_an_existing_call_of_its_debtor_and_party(
    floor: Floor,
) -> None:
    status, body = note(floor, "col.a1", "C-001")
    assert (status, body["error"]["code"]) == (400, "note.call_required")
    status, body = note(floor, "col.a1", "C-001", call_id="CL-0000-0000")
    assert (status, body["error"]["code"]) == (404, "call.unknown")
    other = record_call(floor, "C-002")
    status, body = note(floor, "col.a1", "C-001", call_id=other)
    assert (status, body["error"]["code"]) == (400, "note.call_other_debtor")
    with_contact = record_call(floor, "C-001", party="contact:1")
    status, body = note(floor, "col.a1", "C-001", call_id=with_contact)
    assert (status, body["error"]["code"]) == (400, "note.call_other_party")
    inbound = record_call(floor, "C-001", direction="inbound")
    status, body = note(floor, "col.a1", "C-001", call_id=inbound)
    assert (status, body["error"]["code"]) == (400, "note.call_direction")
    assert count_notes(floor) == 0


def test_r_nte_1_a_noted_call_takes_a_correction_not_a_second_note(floor: Floor) -> None:
    call = record_call(floor, "C-001")
    first = note(floor, "col.a1", "C-001", call_id=call)[1]
    status, body = note(floor, "col.a1", "C-001", call_id=call, text="再记一次")
    assert (status, body["error"]["code"]) == (409, "note.call_noted")

    floor.clock.advance(minutes=10)
    fix = "更正：客户说下月初还款。"
    status, fixed = note(floor, "col.a1", "C-001", call_id=call, corrects=first["id"], text=fix)
    assert status == 201, fixed
    assert (fixed["corrects"], fixed["occurred_at"]) == (first["id"], first["occurred_at"])
    listed = notes(floor, "col.a1", "C-001")[1]["notes"]
    assert [(n["id"], n["text"]) for n in listed] == [
        (first["id"], TEXT),  # the corrected note stands as it was
        (fixed["id"], fix),
    ]


def test_r_nte_1_a_correction_points_at_a_note_of_the_same_debtor(floor: Floor) -> None:
    elsewhere = note(floor, "col.a1", "C-002", direction="none", outcome="none")[1]
    status, body = note(
        floor, "col.a1", "C-001", direction="none", outcome="none", corrects=elsewhere["id"]
    )
    assert (status, body["error"]["code"]) == (400, "note.corrects_unknown")
    call = record_call(floor, "C-001")
    noted = note(floor, "col.a1", "C-001", call_id=call)[1]
    status, body = note(
        floor, "col.a1", "C-001", direction="none", outcome="none", corrects=noted["id"]
    )
    assert (status, body["error"]["code"]) == (400, "note.corrects_other_call")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_r_nte_1_no_route_edits_or_deletes_a_note(floor: Floor, method: str) -> None:
    made = note(floor, "col.a1", "C-001", direction="none", outcome="none")[1]
    path = f"/api/v1/debtors/{floor.debtors['C-001']}/notes"
    for target in (path, f"{path}/{made['id']}"):
        status, _ = floor.call(method, target, "gm", json={"text": "改"})
        assert status in (404, 405)
    assert [n["text"] for n in notes(floor, "col.a1", "C-001")[1]["notes"]] == [TEXT]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE collection_notes SET outcome = 'busy'",
        "UPDATE collection_notes SET occurred_at = recorded_at",
        "DELETE FROM collection_notes",
    ],
)
def test_r_nte_1_the_database_itself_refuses_to_change_or_delete_a_note(
    floor: Floor, owner_engine: Engine, statement: str
) -> None:
    """The triggers bind whoever asks, the tables' owner included."""
    made = note(floor, "col.a1", "C-001", direction="none", outcome="none")[1]
    with owner_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text(statement))
    assert "append-only" in str(refused.value)
    listed = notes(floor, "col.a1", "C-001")[1]["notes"]
    assert [(n["id"], n["outcome"]) for n in listed] == [(made["id"], "none")]


@pytest.mark.postgresql_only
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE collection_notes SET outcome = 'busy'",
        "DELETE FROM collection_notes",
        "TRUNCATE collection_notes",
    ],
)
def test_r_nte_1_the_service_role_may_not_change_or_delete_a_note(
    floor: Floor, service_engine: Engine, statement: str
) -> None:
    made = note(floor, "col.a1", "C-001", direction="none", outcome="none")[1]
    with service_engine.connect() as connection, pytest.raises(DBAPIError) as refused:
        connection.execute(text(statement))
    assert "permission denied" in str(refused.value)
    listed = notes(floor, "col.a1", "C-001")[1]["notes"]
    assert [(n["id"], n["outcome"]) for n in listed] == [(made["id"], "none")]


def test_r_nte_1_only_those_who_reach_the_debtor_add_or_read_its_notes(floor: Floor) -> None:
    status, body = note(floor, "col.a2", "C-001", direction="none", outcome="none")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    status, body = notes(floor, "col.a2", "C-001")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")
    assert count_notes(floor) == 0
    denied = floor.events("access.denied")[-1]
    assert (denied["actor"], denied["object"]) == (floor.ids["col.a2"], floor.debtors["C-001"])


def test_r_nte_1_bad_input_gets_a_clear_4xx_and_records_nothing(floor: Floor) -> None:
    cases = [
        ({"text": "长" * 2001}, 422, "request.invalid"),
        ({"text": "   "}, 422, "request.invalid"),
        ({"party": "contact:2"}, 400, "note.party_unknown"),  # C-001 has one contact
        ({"party": "neighbour"}, 400, "note.party_unknown"),
        ({"outcome": "promised"}, 422, "request.invalid"),
        ({"direction": "none", "outcome": "connected"}, 400, "note.call_not_expected"),
    ]
    for body, status, code in cases:
        got, answer = note(floor, "col.a1", "C-001", **body)
        assert (got, answer["error"]["code"]) == (status, code), body
    unknown = floor.call(
        "POST",
        "/api/v1/debtors/DB-0000-0000/notes",
        "col.a1",
        json={"party": "debtor", "direction": "none", "outcome": "none", "text": TEXT},
    )
    assert (unknown[0], unknown[1]["error"]["code"]) == (404, "debtor.unknown")
    assert count_notes(floor) == 0


def test_r_nte_1_notes_are_not_served_when_their_read_cannot_be_recorded(
    floor: Floor, owner_engine: Engine
) -> None:
    note(floor, "col.a1", "C-001", direction="none", outcome="none")
    token = floor.agency.login("col.a1")
    with owner_engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
    try:
        response = floor.agency.client.get(
            f"/api/v1/debtors/{floor.debtors['C-001']}/notes", headers=bearer(token)
        )
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        503,
        "audit.unavailable",
    )
    assert "还款" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "said", ["再不还钱就让律 师上门", "ＸＸ律师函已寄出", "我們的律師會聯繫你"]
)
def test_r_nte_3_a_note_hinting_at_lawyers_is_refused_and_nothing_is_recorded(
    floor: Floor, said: str
) -> None:
    status, body = note(floor, "col.a1", "C-001", direction="none", outcome="none", text=said)
    assert (status, body["error"]["code"]) == (400, "note.forbidden_language")
    assert "R-NTE-3" in body["error"]["message"]
    assert count_notes(floor) == 0


def test_r_nte_1_an_inbound_call_from_the_debtors_own_phone_takes_its_note(floor: Floor) -> None:
    """The customer called: no permit, the call knows its debtor by their own phone."""
    call = record_call(floor, "C-001", who=None, direction="inbound")
    status, body = note(floor, "col.a1", "C-001", call_id=call, direction="inbound")
    assert (status, body["direction"], body["call_id"]) == (201, "inbound", call)
    status, body = note(floor, "col.a1", "C-002", call_id=call, direction="inbound")
    assert (status, body["error"]["code"]) == (400, "note.call_other_debtor")


def test_r_nte_1_a_call_no_party_is_known_for_is_noted_only_for_a_party_whose_number_it_was(
    floor: Floor,
) -> None:
    stranger = record_call(floor, None, who=None, direction="inbound", number="13900001111")
    for case in ("C-001", "C-002"):
        status, body = note(floor, "col.a1", case, call_id=stranger, direction="inbound")
        assert (status, body["error"]["code"]) == (400, "note.call_other_number")
    friend = record_call(floor, None, who=None, direction="inbound", number="13700002222")
    sent = {"call_id": friend, "direction": "inbound", "purpose": "pass_message"}
    status, body = note(floor, "col.a1", "C-002", **sent)  # the debtor's own phone is another
    assert (status, body["error"]["code"]) == (400, "note.call_other_number")
    status, body = note(floor, "col.a1", "C-001", party="contact:1", **sent)
    assert (status, body["party"], body["call_id"]) == (201, "contact:1", friend)
    assert count_notes(floor) == 1


def test_r_nte_1_a_note_says_what_became_of_the_call_as_the_call_record_does(
    floor: Floor,
) -> None:
    unanswered = record_call(floor, "C-001", connected=False)
    status, body = note(floor, "col.a1", "C-001", call_id=unanswered, outcome="connected")
    assert (status, body["error"]["code"]) == (400, "note.outcome_call")
    answered = record_call(floor, "C-002", number="13987654321")
    status, body = note(floor, "col.a1", "C-002", call_id=answered, outcome="no_answer")
    assert (status, body["error"]["code"]) == (400, "note.outcome_call")
    assert note(floor, "col.a1", "C-001", call_id=unanswered, outcome="no_answer")[0] == 201
    assert note(floor, "col.a1", "C-002", call_id=answered)[0] == 201


def test_r_nte_1_a_collectors_call_is_theirs_to_note_and_their_supervisors_to_correct(
    floor: Floor,
) -> None:
    call = record_call(floor, "C-001")
    for who in ("intern.a", "sup.a1"):  # same project group, not their call
        status, body = note(floor, who, "C-001", call_id=call)
        assert (status, body["error"]["code"]) == (403, "note.call_other_collector"), who
    status, made = note(floor, "col.a1", "C-001", call_id=call)
    assert status == 201, made
    status, body = note(floor, "intern.a", "C-001", call_id=call, corrects=made["id"])
    assert (status, body["error"]["code"]) == (403, "note.call_other_collector")
    status, body = note(floor, "sup.a1", "C-001", call_id=call, corrects=made["id"])
    assert (status, body["corrects"], body["account_id"]) == (201, made["id"], floor.ids["sup.a1"])
