"""`govern deprovision reconcile` (also `govern directory reconcile`, its older name): accounts
brought in line with what the directory says now."""

from __future__ import annotations

import json

from click.testing import Result
from flask import Flask

from govern.cli import cli
from tests.support.agency import Agency


def govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def test_r_acc_4_people_gone_from_the_directory_lose_their_accounts(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2")
    directory.remove("col.a1")  # type: ignore[attr-defined]
    dry = govern(agency.app, "directory", "reconcile", "--dry-run", "--json")
    assert dry.exit_code == 0
    assert json.loads(dry.output)["gone"] == [
        {"account_id": ids["col.a1"], "employee_number": "1004", "why": "gone"}
    ]
    assert agency.account(ids["col.a1"]).state == "active"  # a dry run changes nothing
    held = govern(agency.app, "directory", "reconcile")  # 1 of 5 accounts: above the 5 % guard
    assert held.exit_code == 3 and "gone from or disabled in the directory (held): 1" in held.output
    assert agency.account(ids["col.a1"]).state == "active"
    result = govern(agency.app, "directory", "reconcile", "--confirm")
    assert result.exit_code == 0, result.output
    assert "gone from or disabled in the directory (revoked): 1" in result.output
    assert agency.account(ids["col.a1"]).state == "revoked"
    assert agency.account(ids["col.a2"]).state == "active"


def test_an_empty_directory_answer_never_wipes_out_the_agency_but_departures_still_end(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2", "col.b1")
    directory.set("col.a2", "governDepartureDate", "20261120000000Z")  # type: ignore[attr-defined]
    agency.sync(confirm=True)
    everyone = ("gm", "head.a", "head.b", "col.a1", "col.a2", "col.b1")
    for who in everyone:
        directory.remove(who)  # type: ignore[attr-defined]
    result = govern(agency.app, "directory", "reconcile", "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert (report["outcome"], report["guard"]["held"]) == ("held", True)
    assert report["past_departure"] == [{"account_id": ids["col.a2"], "employee_number": "1005"}]
    assert agency.account(ids["col.a2"]).state == "revoked"  # scheduled by its date: not held
    assert agency.account(ids["col.a1"]).state == "active"
    confirmed = govern(agency.app, "directory", "reconcile", "--confirm")
    assert confirmed.exit_code == 0
    assert agency.account(ids["col.a1"]).state == "revoked"


def test_r_acc_4_people_the_directory_has_locked_lose_their_accounts_too(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1")
    directory.set("col.a1", "pwdAccountLockedTime", "000001010000Z")  # type: ignore[attr-defined]
    result = govern(agency.app, "directory", "reconcile", "--confirm", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["gone"] == [
        {"account_id": ids["col.a1"], "employee_number": "1004", "why": "disabled"}
    ]
    assert agency.account(ids["col.a1"]).state == "revoked"


def test_deprovision_reconcile_revokes_and_directory_reconcile_is_the_same_command(
    agency: Agency, directory: object
) -> None:
    ids = agency.with_accounts("col.a1", "col.a2")
    directory.remove("col.a1")  # type: ignore[attr-defined]
    older = govern(agency.app, "directory", "reconcile", "--dry-run", "--json")
    dry = govern(agency.app, "deprovision", "reconcile", "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.output) == json.loads(older.output)
    result = govern(agency.app, "deprovision", "reconcile", "--confirm")
    assert result.exit_code == 0, result.output
    assert "gone from or disabled in the directory (revoked): 1" in result.output
    assert agency.account(ids["col.a1"]).state == "revoked"
    listed = govern(agency.app, "directory", "--help")
    assert "reconcile" in listed.output and "deprovision reconcile" in listed.output
