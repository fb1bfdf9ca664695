"""Looking accounts up: own account, own department, company-wide roles."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from flask import Flask

from govern.config import REPO_POLICIES, Settings
from tests.support.agency import Agency, bearer


def get(agency: Agency, path: str, username: str) -> tuple[int, dict]:
    response = agency.client.get(path, headers=bearer(agency.login(username)))
    return response.status_code, response.get_json()


def test_everyone_sees_their_own_account_with_its_history(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    status, body = get(agency, f"/api/v1/accounts/{ids['col.a1']}", "col.a1")
    assert status == 200
    assert body["history"] == [
        {
            "from_state": None,
            "to_state": "active",
            "actor": ids["head.a"],
            "reason": "issued by department head",
            "at": body["issued_at"],
            "suspension_kind": None,
        }
    ]
    assert body["suspension"] is None


def test_a_collector_cannot_see_a_colleagues_account(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1", "col.a2")
    status, body = get(agency, f"/api/v1/accounts/{ids['col.a2']}", "col.a1")
    assert (status, body["error"]["code"]) == (403, "account.not_visible")


def test_heads_list_their_department_and_no_other(agency: Agency) -> None:
    agency.with_accounts("col.a1", "col.b1")
    status, body = get(agency, "/api/v1/accounts", "head.a")
    assert status == 200
    assert {a["employee_number"] for a in body["accounts"]} == {"1002", "1004"}
    status, body = get(agency, "/api/v1/accounts?department=dept-b", "head.a")
    assert (status, body["error"]["code"]) == (403, "account.department_not_visible")


def test_company_wide_roles_list_any_department(agency: Agency) -> None:
    agency.with_accounts("col.a1", "col.b1", "it")
    status, body = get(agency, "/api/v1/accounts?department=dept-b", "it")
    assert status == 200
    assert {a["employee_number"] for a in body["accounts"]} == {"1003", "1006"}
    status, body = get(agency, "/api/v1/accounts", "gm")
    assert len(body["accounts"]) == 6


def test_unknown_account_is_not_found(agency: Agency) -> None:
    agency.with_accounts()
    status, body = get(agency, "/api/v1/accounts/GV-0000-0000", "gm")
    assert (status, body["error"]["code"]) == (404, "account.unknown")


def test_collectors_may_not_list_accounts(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    status, body = get(agency, "/api/v1/accounts?department=dept-a", "col.a1")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")


def test_the_company_wide_roles_are_those_of_the_roles_policy(
    agency: Agency, another_app: Callable[[Settings], Flask], tmp_path: Path
) -> None:
    """roles.toml [company_wide] accounts: IT taken off it lists only its own department."""
    agency.with_accounts("col.a1", "col.b1", "it")
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    roles = policies / "roles.toml"
    text = roles.read_text(encoding="utf-8")
    roles.write_text(
        text.replace(
            'accounts = ["general_manager", "hr", "it",', 'accounts = ["general_manager", "hr",'
        )
    )
    app = another_app(replace(agency.services.settings, policies_dir=policies))
    narrower = Agency(app, app.test_client())
    status, body = get(narrower, "/api/v1/accounts?department=dept-b", "it")
    assert (status, body["error"]["code"]) == (403, "account.department_not_visible")
    assert get(agency, "/api/v1/accounts?department=dept-b", "it")[0] == 200
