"""The investigation rules as plain functions: which reason refuses, in which order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from govern.errors import GovernError
from govern.investigations import rules

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Asked:
    id: str = "INV-1"
    opened_by: str = "GV-AUDITOR"
    debtor_ids: tuple[str, ...] = ("DB-1",)
    closed_at: datetime | None = None
    field_access: str | None = rules.APPROVED
    justification: str | None = "a leaked phone, complaint 4411"
    expires_at: datetime | None = NOW + timedelta(hours=1)


def refusal(call, *args) -> str:
    with pytest.raises(GovernError) as refused:
        call(*args)
    return refused.value.code


def test_r_acs_3_an_approved_unexpired_request_opens_to_its_requester_only() -> None:
    asked = Asked()
    assert rules.check_opens(asked, "GV-AUDITOR", "DB-1", NOW, {}) is asked
    refused = refusal(rules.check_opens, asked, "GV-OTHER", "DB-1", NOW, {})
    assert refused == "investigation.not_yours"


def test_r_acs_3_an_investigation_opens_to_its_requester_under_any_of_their_accounts() -> None:
    """People, not account ids: re-hired, the requester has a new account id."""
    asked = Asked()
    people = {"GV-AUDITOR": "1009", "GV-REHIRED": "1009", "GV-OTHER": "1017"}
    assert rules.check_opens(asked, "GV-REHIRED", "DB-1", NOW, people) is asked
    refused = refusal(rules.check_opens, asked, "GV-OTHER", "DB-1", NOW, people)
    assert refused == "investigation.not_yours"


@pytest.mark.parametrize(
    ("change", "viewer", "debtor", "code"),
    [
        ({}, "GV-AUDITOR", "DB-2", "investigation.not_covering"),
        ({"closed_at": NOW}, "GV-AUDITOR", "DB-1", "investigation.not_covering"),
        ({"field_access": None}, "GV-AUDITOR", "DB-1", "investigation.query_only"),
        ({"field_access": rules.PENDING}, "GV-AUDITOR", "DB-1", "investigation.not_approved"),
        ({"field_access": rules.REFUSED}, "GV-AUDITOR", "DB-1", "investigation.not_approved"),
        ({"expires_at": NOW}, "GV-AUDITOR", "DB-1", "investigation.expired"),
    ],
)
def test_r_acs_3_what_keeps_an_investigation_shut(
    change: dict, viewer: str, debtor: str, code: str
) -> None:
    assert refusal(rules.check_opens, replace(Asked(), **change), viewer, debtor, NOW, {}) == code
    refused = refusal(rules.check_opens, None, viewer, debtor, NOW, {})
    assert refused == "investigation.not_covering"


def test_r_acs_3_four_eyes_scope_and_hours() -> None:
    pending = Asked(field_access=rules.PENDING, expires_at=None)
    assert refusal(rules.check_decider, pending, "GV-AUDITOR", {}) == "investigation.own_request"
    rules.check_decider(pending, "GV-GM", {})
    assert refusal(rules.check_decider, Asked(), "GV-GM", {}) == "investigation.not_pending"
    # Four eyes are two people: the requester re-hired under a new account id is still one.
    people = {"GV-AUDITOR": "1009", "GV-REHIRED": "1009", "GV-GM": "1001"}
    refused = refusal(rules.check_decider, pending, "GV-REHIRED", people)
    assert refused == "investigation.own_request"
    rules.check_decider(pending, "GV-GM", people)
    unjustified = replace(pending, justification=None)
    assert refusal(rules.check_approvable, unjustified) == "investigation.request_incomplete"
    rules.check_scope(["DB-1", "DB-2", "DB-1"], 2)
    assert refusal(rules.check_scope, ["DB-1", "DB-2", "DB-3"], 2) == (
        "investigation.too_many_debtors"
    )
    rules.check_hours(None, 1)
    assert refusal(rules.check_hours, 2, 1) == "investigation.too_long"
    assert rules.expiry(NOW, 3) == NOW + timedelta(hours=3)
