"""Call scripts through HTTP (R-CON-6, R-NTE-3): trainers and the office write them, everyone
reads them; a script must open with the agent statement and hold no forbidden language, and a
refused one changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from govern.clock import FixedClock
from tests.support.agency import Agency
from tests.training.conftest import Desk

PEOPLE = ("col.a1", "trainer", "office", "auditor")
OPENING = "您好，我是受工商银行委托的催收专员，"
SCRIPT = {"title": "首次提醒", "text": OPENING + "提醒您本期账单已到期，请按时还款。"}
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@pytest.fixture
def desk(agency: Agency, clock: FixedClock) -> Desk:
    return Desk(agency, clock, agency.with_accounts(*PEOPLE))


def scripts(desk: Desk, who: str = "col.a1", **query: str) -> list[dict[str, Any]]:
    status, body = desk.call("GET", "/api/v1/scripts", who, query_string=query)
    assert status == 200, body
    return body["scripts"]


def written(desk: Desk, who: str = "trainer", **script: str) -> dict[str, Any]:
    status, body = desk.call("POST", "/api/v1/scripts", who, json={**SCRIPT, **script})
    assert status == 201, body
    return body


def test_r_con_6_a_trainer_writes_a_script_every_collector_reads(desk: Desk) -> None:
    script = written(desk)
    assert (script["version"], script["state"], script["changed_by"]) == (
        1,
        "active",
        desk.ids["trainer"],
    )
    assert scripts(desk) == [script]
    assert desk.call("GET", f"/api/v1/scripts/{script['id']}", "col.a1") == (200, script)
    events = desk.events("script.saved")
    assert [(e["actor"], e["object"], e["details"]) for e in events] == [
        (desk.ids["trainer"], script["id"], {"version": 1})
    ]
    assert OPENING not in str(events)  # ids only, never the script's words


def test_r_con_6_english_scripts_open_with_the_english_statement(desk: Desk) -> None:
    text = "Hello, I am calling on behalf of Example Bank. Your statement is due."
    assert written(desk, who="office", title="Reminder", text=text)["text"] == text


@pytest.mark.parametrize(
    "text",
    [
        "您好，请尽快还款。",
        "提醒您：您好，我是受工商银行委托的催收专员",
        "Hello, your statement is due.",
    ],
)
def test_r_con_6_a_script_without_the_agent_statement_first_is_refused(
    desk: Desk, text: str
) -> None:
    status, body = desk.call("POST", "/api/v1/scripts", "trainer", json={**SCRIPT, "text": text})
    assert (status, body["error"]["code"]) == (400, "script.no_agent_statement")
    assert "R-CON-6" in body["error"]["message"]
    assert scripts(desk, retired="true") == []
    assert desk.events("script.saved") == []


@pytest.mark.parametrize(
    "typed", ["律 师", "律-师", "律\u200b师", "律师".translate(FULL_WIDTH), "律師", "LAWYER"]
)
def test_r_nte_3_a_script_naming_a_lawyer_however_written_is_refused(
    desk: Desk, typed: str
) -> None:
    text = f"{OPENING}如不还款，{typed}会联系您。"
    status, body = desk.call("POST", "/api/v1/scripts", "trainer", json={**SCRIPT, "text": text})
    assert (status, body["error"]["code"]) == (400, "script.forbidden_language")
    message = body["error"]["message"]
    assert "R-NTE-3" in message
    assert ("律师" in message) or ("lawyer" in message)
    assert "如不还款" not in message  # the term and rule, never the script's other words
    assert scripts(desk, retired="true") == []


def test_r_nte_3_forbidden_language_in_the_title_is_refused(desk: Desk) -> None:
    status, body = desk.call(
        "POST", "/api/v1/scripts", "trainer", json={**SCRIPT, "title": "减免话术"}
    )
    assert (status, body["error"]["code"]) == (400, "script.forbidden_language")
    assert "“减免”（R-NTE-3）" in body["error"]["message"]


def test_r_nte_3_court_in_the_creditors_registered_name_is_allowed(desk: Desk) -> None:
    text = "您好，我是受工商银行法院街支行委托的催收专员，提醒您按时还款。"
    assert written(desk, text=text)["text"] == text


def test_r_con_6_revising_a_script_makes_its_next_version_and_a_bad_one_changes_nothing(
    desk: Desk,
) -> None:
    script = written(desk)
    path = f"/api/v1/scripts/{script['id']}"
    revised = {"title": "首次提醒（修订）", "text": OPENING + "本期账单已到期。"}
    status, body = desk.call("PUT", path, "office", json=revised)
    assert (status, body["version"], body["text"], body["changed_by"]) == (
        200,
        2,
        revised["text"],
        desk.ids["office"],
    )
    for bad, code in (
        ({**revised, "text": OPENING + "逾期将上征信。"}, "script.forbidden_language"),
        ({**revised, "text": "本期账单已到期。"}, "script.no_agent_statement"),
    ):
        status, body = desk.call("PUT", path, "trainer", json=bad)
        assert (status, body["error"]["code"]) == (400, code)
    assert desk.call("GET", path, "col.a1")[1]["version"] == 2
    assert [e["details"]["version"] for e in desk.events("script.saved")] == [1, 2]


def test_r_con_6_a_retired_script_leaves_the_list_and_cannot_be_revised(desk: Desk) -> None:
    script = written(desk)
    path = f"/api/v1/scripts/{script['id']}"
    for _ in range(2):  # retiring twice is retiring once
        status, body = desk.call("POST", f"{path}/retirement", "trainer")
        assert (status, body["state"], body["version"]) == (200, "retired", 1)
    assert scripts(desk) == []
    assert [s["id"] for s in scripts(desk, retired="true")] == [script["id"]]
    assert desk.call("GET", path, "col.a1")[1]["state"] == "retired"
    status, body = desk.call("PUT", path, "trainer", json=SCRIPT)
    assert (status, body["error"]["code"]) == (409, "script.retired")
    assert [e["object"] for e in desk.events("script.retired")] == [script["id"]]


def test_r_con_6_only_trainers_and_the_office_manage_scripts(desk: Desk) -> None:
    script = written(desk)
    path = f"/api/v1/scripts/{script['id']}"
    for method, where, body in (
        ("POST", "/api/v1/scripts", SCRIPT),
        ("PUT", path, SCRIPT),
        ("POST", f"{path}/retirement", None),
    ):
        status, answer = desk.call(method, where, "col.a1", json=body)
        assert (status, answer["error"]["code"]) == (403, "role.action_denied")
    assert scripts(desk) == [script]


def test_r_con_6_unknown_scripts_and_bad_fields_change_nothing(desk: Desk) -> None:
    for method, where in (("GET", ""), ("PUT", ""), ("POST", "/retirement")):
        status, body = desk.call(
            method, f"/api/v1/scripts/SC-0000-0000{where}", "trainer", json=SCRIPT
        )
        assert (status, body["error"]["code"]) == (404, "script.unknown")
    for bad in (
        {"title": "   ", "text": SCRIPT["text"]},
        {"title": "x" * 201, "text": SCRIPT["text"]},
        {"title": "x", "text": OPENING + "还" * 20_000},
        {"title": "x"},
        {**SCRIPT, "version": 7},
    ):
        status, body = desk.call("POST", "/api/v1/scripts", "trainer", json=bad)
        assert (status, body["error"]["code"]) == (422, "request.invalid")
    assert scripts(desk, retired="true") == []
