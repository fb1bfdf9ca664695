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
    assert (refused.exit_code, "[justification.too_short]" in refused.output) == (1, True)
    assert agency.account(ids["col.a1"]).state == "active"
    result = govern(agency.app, "accounts", "revoke", ids["col.a1"], "--reason", "left early")
    assert result.exit_code == 0
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401
    shown = govern(agency.app, "accounts", "show", ids["col.a1"])
    assert '"state": "revoked"' in shown.output and "left early" in shown.output


def test_a_revoked_general_manager_is_not_bootstrapped_again(synced: Flask) -> None:
    account_id = govern(synced, "accounts", "bootstrap", "1001").output.split()[1]
    assert govern(synced, "accounts", "revoke", account_id, "--reason", "dismissed").exit_code == 0
    again = govern(synced, "accounts", "bootstrap", "1001")
    assert (again.exit_code, "[account.revoked]" in again.output) == (1, True)


def test_bootstrap_records_the_operator_once(synced: Flask) -> None:
    account_id = govern(synced, "accounts", "bootstrap", "1001").output.split()[1]
    shown = govern(synced, "accounts", "show", account_id).output
    assert '"issued_by": "operator:' in shown and "operator:operator:" not in shown


def test_r_acc_2_a_suspension_is_undone_on_the_same_account(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    suspend = ("accounts", "suspend", ids["col.a1"], "--reason", "leak")
    assert govern(agency.app, *suspend, "--kind", "security").exit_code == 0
    assert agency.client.get("/api/v1/sessions/current", headers=bearer(token)).status_code == 401
    refused = agency.client.post(
        "/api/v1/sessions", json={"username": "col.a1", "password": "col.a1-secret"}
    )
    assert refused.get_json()["error"]["code"] == "account.suspended"
    reinstate = ("accounts", "reinstate", ids["col.a1"], "--reason", "cleared")
    assert govern(agency.app, *reinstate).exit_code == 0
    again = agency.client.post(
        "/api/v1/sessions", json={"username": "col.a1", "password": "col.a1-secret"}
    )
    assert (again.status_code, again.get_json()["account_id"]) == (201, ids["col.a1"])
    shown = govern(agency.app, "accounts", "show", ids["col.a1"]).output
    assert shown.count('"to_state"') == 3 and "leak" in shown and "cleared" in shown
    assert '"suspension_kind": "security"' in shown


def test_the_console_suspends_and_lifts_only_the_kinds_it_may(agency: Agency) -> None:
    """The console acts as IT: an HR suspension is HR's to impose and to lift."""
    ids = agency.with_accounts("col.a1")
    suspend = ("accounts", "suspend", ids["col.a1"], "--reason", "case")
    refused = govern(agency.app, *suspend, "--kind", "hr")
    assert (refused.exit_code, "[suspension.impose_denied]" in refused.output) == (1, True)
    unknown = govern(agency.app, *suspend, "--kind", "holiday")
    assert (unknown.exit_code, "[suspension.kind_unknown]" in unknown.output) == (1, True)
    assert agency.account(ids["col.a1"]).state == "active"


def test_r_acc_2_a_revoked_account_is_never_reinstated(agency: Agency) -> None:
    ids = agency.with_accounts("col.a1")
    govern(agency.app, "accounts", "revoke", ids["col.a1"], "--reason", "left")
    result = govern(agency.app, "accounts", "reinstate", ids["col.a1"], "--reason", "oops")
    assert (result.exit_code, "[account.revoked]" in result.output) == (1, True)
    assert agency.account(ids["col.a1"]).state == "revoked"


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
