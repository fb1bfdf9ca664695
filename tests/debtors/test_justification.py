"""A justification is what is left once its surrounding whitespace is trimmed: break glass needs
GOVERN_JUSTIFICATION_MIN_CHARS of it, a reveal a purpose code; spaces alone are refused (422)
and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from govern.access.models import BreakGlassGrant
from govern.config import Settings
from govern.errors import Unprocessable
from govern.justification import justification
from tests.support.agency import Agency
from tests.support.floor import Floor

WHY = "covering pg-a1 while its collector is on sick leave"
BLANKS = [" " * 40, "\t\n \r\n" * 10, "\u3000" * 25, "   too short, padded    "]


def grant(
    floor: Floor, why: str, who: str = "sup.a1", to: str = "col.a2", case: str = "C-001"
) -> tuple[int, dict]:
    body = {
        "account_id": floor.ids[to],
        "debtor_id": floor.debtors[case],
        "hours": 2,
        "justification": why,
    }
    return floor.call("POST", "/api/v1/access/break-glass", who, json=body)


def grants(floor: Floor) -> list[str]:
    with floor.agency.services.sessions() as db:
        return list(db.scalars(select(BreakGlassGrant.justification)))


@pytest.mark.parametrize("blank", BLANKS)
def test_break_glass_refuses_whitespace_for_a_justification(floor: Floor, blank: str) -> None:
    status, body = grant(floor, blank)
    assert (status, body["error"]["code"]) == (422, "justification.too_short")
    assert "20" in body["error"]["message"]
    assert grants(floor) == [] and floor.events("access.break_glass.granted") == []
    assert floor.view("col.a2", "C-001")[0] == 403


@pytest.mark.parametrize(
    ("who", "to", "case", "code"),
    [
        ("col.a1", "col.a2", "C-001", "role.action_denied"),  # a collector grants nothing
        ("sup.a1", "col.b1", "C-001", "break_glass.other_department"),
        ("sup.a1", "col.a2", "C-004", "break_glass.outside_your_reach"),
    ],
)
def test_r_aud_1_a_refused_grantor_is_a_denial_whatever_the_justification(
    floor: Floor, who: str, to: str, case: str, code: str
) -> None:
    """Who may grant what is decided before the justification is read: a grant refused for
    either reason is a 403, audited as a denial, never a 422 that leaves no trace."""
    for why in (BLANKS[0], ""):
        status, body = grant(floor, why, who=who, to=to, case=case)
        assert (status, body["error"]["code"]) == (403, code)
    denied = [e for e in floor.events("access.denied") if e["actor"] == floor.ids[who]]
    assert [e["details"]["code"] for e in denied] == [code, code]
    assert grants(floor) == [] and floor.events("access.break_glass.granted") == []


def test_break_glass_keeps_the_justification_trimmed(floor: Floor) -> None:
    assert grant(floor, f"\n  {WHY}\t ")[0] == 201
    assert grants(floor) == [WHY]


def test_the_minimum_is_a_setting(floor: Floor, another_app: Callable[[Settings], Flask]) -> None:
    why = "  cover calls  "  # 11 characters once trimmed
    assert grant(floor, why)[1]["error"]["code"] == "justification.too_short"
    lenient = another_app(replace(floor.agency.services.settings, justification_min_chars=10))
    elsewhere = Floor(Agency(lenient, lenient.test_client()), floor.clock, floor.ids, floor.debtors)
    assert grant(elsewhere, why)[0] == 201
    assert grants(floor) == ["cover calls"]


@pytest.mark.parametrize("blank", [" ", "\t\n", "\u3000\u3000"])
def test_a_reveal_refuses_whitespace_for_a_purpose(floor: Floor, blank: str) -> None:
    status, body = floor.reveal("col.a1", "C-001", ["phones"], blank)
    assert (status, body["error"]["code"]) == (422, "justification.too_short")
    assert floor.events("debtor.revealed") == []


def test_a_reveal_takes_its_purpose_trimmed(floor: Floor) -> None:
    status, body = floor.reveal("col.a1", "C-001", ["phones"], "  debtor_request \n")
    assert (status, body["purpose"]) == (200, "debtor_request")
    assert floor.events("debtor.revealed")[0]["details"]["purpose"] == "debtor_request"


@pytest.mark.parametrize(
    ("text", "minimum", "kept"),
    [
        (" why  ", 3, "why"),
        ("\u3000因为回访\n", 4, "因为回访"),
        ("x", 0, "x"),
        ("\u200b\ufeff why\u200d ", 3, "why"),
        ("a b\u200bc", 3, "a b\u200bc"),  # kept inside, not counted
    ],
)
def test_justification_trims(text: str, minimum: int, kept: str) -> None:
    assert justification(text, minimum) == kept


@pytest.mark.parametrize(
    ("text", "minimum"),
    [
        ("", 0),
        ("   ", 1),
        (" ab ", 3),
        ("\u00a0" * 9, 1),
        ("\u200b" * 25, 20),  # zero-width spaces show nothing
        ("\u200d\u2060\u200e\ufeff" * 10, 1),  # joiners, word joiners, marks, BOMs
        ("a\u200b" * 19, 20),  # 19 visible characters, padded invisibly
    ],
)
def test_justification_refuses_too_little(text: str, minimum: int) -> None:
    with pytest.raises(Unprocessable) as refused:
        justification(text, minimum, "reason")
    assert refused.value.code == "justification.too_short" and "reason" in refused.value.message
