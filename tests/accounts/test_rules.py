"""Issuance rules as plain functions (R-ACC-1, R-ACC-2, R-ACC-3)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from govern.accounts.rules import (
    PastAccount,
    check_issuer,
    check_usable,
    needs_new_account,
    new_account_id,
)
from govern.actor import Staff
from govern.errors import Conflict, Forbidden

SHANGHAI = ZoneInfo("Asia/Shanghai")
GM = Staff("1", "operations", frozenset({"general_manager"}))
HEAD_A = Staff("2", "dept-a", frozenset({"department_head"}))
COLLECTOR_A = Staff("3", "dept-a", frozenset({"collector"}))


def refusal(issuer: Staff, person: Staff, has_head: bool = True) -> str:
    with pytest.raises(Forbidden) as refused:
        check_issuer(issuer, person, has_head)
    return refused.value.code


def test_r_acc_1_who_issues_whom() -> None:
    check_issuer(HEAD_A, COLLECTOR_A, department_has_head=True)
    check_issuer(GM, HEAD_A, department_has_head=True)
    check_issuer(GM, COLLECTOR_A, department_has_head=False)
    assert refusal(GM, COLLECTOR_A) == "issuer.not_department_head"
    assert refusal(HEAD_A, COLLECTOR_A, has_head=False) == "issuer.not_general_manager"
    assert refusal(HEAD_A, Staff("4", "dept-b", frozenset())) == "issuer.not_department_head"
    assert refusal(GM, GM) == "self.approval"


def test_r_acc_3_a_live_account_is_returned_not_doubled() -> None:
    assert needs_new_account([], None, SHANGHAI)
    assert not needs_new_account([PastAccount("active", None)], None, SHANGHAI)
    assert not needs_new_account([PastAccount("suspended", None)], None, SHANGHAI)


def test_r_acc_2_only_a_later_hire_date_earns_a_new_account() -> None:
    revoked = [PastAccount("revoked", datetime(2026, 3, 1, 12, tzinfo=UTC))]
    with pytest.raises(Conflict) as refused:
        needs_new_account(revoked, date(2025, 1, 1), SHANGHAI)
    assert refused.value.code == "account.revoked"
    with pytest.raises(Conflict):
        needs_new_account(revoked, date(2026, 3, 1), SHANGHAI)
    assert needs_new_account(revoked, date(2026, 3, 2), SHANGHAI)


def test_r_acc_2_account_ids_are_fresh_and_readable() -> None:
    ids = {new_account_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"GV-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", i) for i in ids)


@pytest.mark.parametrize(
    ("state", "gone", "departed", "told"),
    [
        ("revoked", False, True, "account.departed"),  # revoked by the departure: told they left
        ("revoked", True, False, "identity.gone"),
        ("revoked", False, False, "account.revoked"),
        ("suspended", False, False, "account.suspended"),
    ],
)
def test_r_acc_4_whoever_may_not_act_is_told_the_first_reason_that_is_theirs(
    state: str, gone: bool, departed: bool, told: str
) -> None:
    with pytest.raises(Forbidden) as refused:
        check_usable(state, gone, departed)
    assert refused.value.code == told


def test_an_active_account_of_someone_present_may_act() -> None:
    check_usable("active", gone=False, departed=False)
