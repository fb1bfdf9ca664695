"""A collector's caseload, reveal with a purpose, auditors inside investigations, break glass."""

from __future__ import annotations

from tests.support.floor import Floor


def test_r_acs_2_the_caseload_lists_the_own_groups_debtors_masked_one_event_each(
    floor: Floor,
) -> None:
    status, body = floor.call("GET", "/api/v1/debtors", "col.a1", query_string={"assigned": "me"})
    assert status == 200
    listed = {d["id"]: d for d in body["debtors"]}
    assert set(listed) == {floor.debtors["C-001"], floor.debtors["C-002"]}
    one = listed[floor.debtors["C-001"]]
    assert (one["fields"]["name"], one["levels"]["name"]) == ("张*", "masked")  # masked by default
    assert one["fields"]["amount_owed"] == "12800.50"
    assert sorted(e["object"] for e in floor.events("debtor.listed")) == sorted(listed)
    status, body = floor.call("GET", "/api/v1/debtors", "col.a1", query_string={"assigned": "all"})
    assert (status, body["error"]["code"]) == (422, "request.invalid")


def test_r_acs_3_reveal_needs_a_configured_purpose_and_an_on_purpose_field(floor: Floor) -> None:
    status, body = floor.reveal("col.a1", "C-001", ["phones"], "curiosity")
    assert (status, body["error"]["code"]) == (400, "purpose.unknown")
    status, body = floor.reveal("col.a1", "C-001", ["salary"])
    assert (status, body["error"]["code"]) == (400, "field.unknown")
    status, body = floor.reveal("col.a1", "C-001", ["id_number", "emergency_contacts"])
    assert status == 200
    assert body["fields"]["emergency_contacts"][0]["phone"] == "13700002222"
    assert {w["field"]: w["reason"] for w in body["withheld"]} == {
        "id_number": "role.field.masked_only"
    }
    assert floor.events("debtor.revealed")[0]["details"]["fields"] == {
        "emergency_contacts": "full",
        "id_number": "role.field.masked_only",
    }


def test_unknown_and_malformed_debtors_are_clear_refusals(floor: Floor) -> None:
    status, body = floor.call("GET", "/api/v1/debtors/DB-0000-0000", "col.a1")
    assert (status, body["error"]["code"]) == (404, "debtor.unknown")
    status, body = floor.call("GET", "/api/v1/debtors/1;DROP", "col.a1")
    assert (status, body["error"]["code"]) == (400, "debtor.id_malformed")


def test_r_acs_2_auditors_see_debtor_fields_only_inside_an_approved_investigation(
    floor: Floor,
) -> None:
    status, body = floor.view("auditor", "C-001")
    assert (status, body["error"]["code"]) == (403, "audit.investigation_required")
    status, opened = floor.call(
        "POST",
        "/api/v1/audit/investigations",
        "auditor",
        json={
            "debtor_ids": [floor.debtors["C-001"]],
            "fields": ["phones"],
            "open_fields": True,
            "case_reference": "CASE-1",
            "justification": "the client reported this debtor's phone leaked",
        },
    )
    assert status == 201
    status, body = floor.view("auditor", "C-001", investigation=opened["id"])
    assert (status, body["error"]["code"]) == (403, "investigation.not_approved")
    floor.call("POST", f"/api/v1/audit/investigations/{opened['id']}/approve", "gm", json={})
    status, body = floor.view("auditor", "C-001", investigation=opened["id"])
    assert (status, body["fields"]["phones"], body["reach"]) == (
        200,
        ["13812345678"],
        "investigation",
    )
    status, body = floor.view("auditor", "C-002", investigation=opened["id"])
    assert (status, body["error"]["code"]) == (403, "investigation.not_covering")
    floor.call("POST", f"/api/v1/audit/investigations/{opened['id']}/close", "auditor")
    status, body = floor.view("auditor", "C-001", investigation=opened["id"])
    assert (status, body["error"]["code"]) == (403, "investigation.not_covering")


def test_break_glass_opens_one_debtor_for_a_while_and_every_use_is_flagged(floor: Floor) -> None:
    grant = {
        "account_id": floor.ids["col.a2"],
        "debtor_id": floor.debtors["C-001"],
        "hours": 2,
        "justification": "covering pg-a1 while its collector is on sick leave",
    }
    status, body = floor.call("POST", "/api/v1/access/break-glass", "col.a1", json=grant)
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = floor.call(
        "POST", "/api/v1/access/break-glass", "sup.a1", json={**grant, "justification": "short"}
    )
    assert (status, body["error"]["code"]) == (422, "justification.too_short")
    status, body = floor.call(
        "POST", "/api/v1/access/break-glass", "sup.a1", json={**grant, "hours": 48}
    )
    assert (status, body["error"]["code"]) == (400, "break_glass.too_long")
    status, granted = floor.call("POST", "/api/v1/access/break-glass", "sup.a1", json=grant)
    assert status == 201

    status, body = floor.view("col.a2", "C-001")
    assert (status, body["reach"], body["break_glass"]) == (200, "break_glass", granted["id"])
    assert floor.view("col.a2", "C-002")[0] == 403  # one debtor, not the group
    status, unusual = floor.call(
        "GET",
        "/api/v1/audit/unusual",
        "auditor",
        query_string={"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    )
    assert [(e["actor"], e["details"]["break_glass"]) for e in unusual["break_glass"]] == [
        (floor.ids["col.a2"], granted["id"])
    ]
    floor.clock.advance(hours=2)
    status, body = floor.view("col.a2", "C-001")
    assert (status, body["error"]["code"]) == (403, "debtor.not_assigned")


def test_break_glass_lends_only_what_the_grantor_reaches_to_their_own_department(
    floor: Floor,
) -> None:
    def grant(who: str, **scope: str) -> tuple[int, dict]:
        body = {"hours": 1, "justification": "covering a colleague's calls this afternoon"}
        return floor.call("POST", "/api/v1/access/break-glass", who, json={**body, **scope})

    c003 = floor.debtors["C-003"]  # pg-a2: not sup.a1's group
    status, body = grant("sup.a1", account_id=floor.ids["sup.a1"], debtor_id=c003)
    assert (status, body["error"]["code"]) == (403, "break_glass.own")
    status, body = grant("sup.a1", account_id=floor.ids["col.b1"], debtor_id=floor.debtors["C-001"])
    assert (status, body["error"]["code"]) == (403, "break_glass.other_department")
    status, body = grant("sup.a1", account_id=floor.ids["col.a2"], debtor_id=c003)
    assert (status, body["error"]["code"]) == (403, "break_glass.outside_your_reach")
    status, body = grant("sup.a1", account_id=floor.ids["col.a2"], project_group="pg-b1")
    assert (status, body["error"]["code"]) == (403, "break_glass.outside_your_reach")
    status, body = grant("head.a", account_id=floor.ids["col.a2"], debtor_id=floor.debtors["C-001"])
    assert status == 201  # the head reaches the whole department
    assert floor.view("col.a2", "C-001")[1]["reach"] == "break_glass"
    assert [e["details"]["grant"] for e in floor.events("access.break_glass.granted")] == [
        body["id"]
    ]


def test_r_acs_2_an_investigation_shows_an_auditor_only_its_fields(floor: Floor) -> None:
    opened = floor.investigation(["C-002"], ["phones", "name"])
    status, body = floor.view("auditor", "C-002", investigation=opened)
    assert status == 200
    assert set(body["fields"]) == {"phones", "name"}
    assert {w["field"]: w["reason"] for w in body["withheld"]}["address"] == (
        "investigation.field_not_covered"
    )


def test_r_acs_3_every_search_is_recorded_even_when_it_finds_nothing_in_reach(
    floor: Floor,
) -> None:
    status, body = floor.call(
        "POST", "/api/v1/debtors/search", "col.b1", json={"phone": "138-1234-5678"}
    )
    assert (status, body["debtors"]) == (200, [])
    searched = floor.events("debtor.searched")
    assert [(e["actor"], e["details"]) for e in searched] == [
        (floor.ids["col.b1"], {"kind": "phone", "shown": 0, "out_of_reach": 1})
    ]
    assert "13812345678" not in str(searched)
    status, body = floor.call(
        "POST", "/api/v1/debtors/search", "col.a1", json={"phone": "138 1234 5678"}
    )
    assert [d["id"] for d in body["debtors"]] == [floor.debtors["C-001"]]  # typed either way
