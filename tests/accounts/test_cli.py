"""`govern accounts …` at the operator's console."""

from __future__ import annotations

from click.testing import Result
from flask import Flask

from govern.cli import cli
from tests.support.agency import Agency, bearer


def govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def test_bootstrap_issues_the_general_managers_account_once(synced: Flask) -> None:
    first = govern(synced, "accounts", "bootstrap", "1001")
    assert first.exit_code == 0 and first.output.startswith("issued GV-")
    again = govern(synced, "accounts", "bootstrap", "1001")
    assert again.exit_code == 1
    assert "[accounts.bootstrapped]" in again.output


def test_bootstrap_refuses_anyone_but_a_general_manager(synced: Flask) -> None:
    result = govern(synced, "accounts", "bootstrap", "1004")
    assert (result.exit_code, "[bootstrap.not_general_manager]" in result.output) == (1, True)


def test_revoke_needs_a_reason_and_ends_every_session(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    refused = govern(agency.app, "accounts", "revoke", ids["col.a1"], "--reason", " ")
    assert (refused.exit_code, "[reason.missing]" in refused.output) == (1, True)
    assert agency.account(ids["col.a1"]).state == "active"
    result = govern(agency.app, "accounts", "revoke", ids["col.a1"], "--reason", "left early")
    assert result.exit_code == 0
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401
    shown = govern(agency.app, "accounts", "show", ids["col.a1"])
    assert '"state": "revoked"' in shown.output and "left early" in shown.output


def test_issue_from_the_console_follows_the_same_rules(agency: Agency) -> None:
    ids = agency.with_accounts()
    assert govern(agency.app, "accounts", "issue", "1004", "--by", ids["head.a"]).exit_code == 0
    other = govern(agency.app, "accounts", "issue", "1006", "--by", ids["head.a"])
    assert (other.exit_code, "[issuer.not_department_head]" in other.output) == (1, True)


def test_list_by_department(agency: Agency) -> None:
    agency.with_accounts("col.a1", "col.b1")
    result = govern(agency.app, "accounts", "list", "--department", "dept-a")
    assert result.exit_code == 0
    assert "1004" in result.output and "1006" not in result.output
    assert result.output.rstrip().endswith("2 accounts")


def test_unknown_account_is_one_clear_line(agency: Agency) -> None:
    result = govern(agency.app, "accounts", "show", "GV-NOPE-NOPE")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: No account GV-NOPE-NOPE. [account.unknown]"
