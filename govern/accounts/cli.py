"""`govern accounts …`: bootstrap, issue, show, list and revoke accounts from the console."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext

from govern.accounts.models import Account
from govern.accounts.rules import Staff
from govern.accounts.service import (
    bootstrap_general_manager,
    list_accounts,
    reinstate_account,
    revoke_account,
    suspend_account,
    view_account,
)
from govern.accounts.views import AccountSchema, AccountSummarySchema, describe
from govern.console import echo_json, operator
from govern.web import db, services

StateChange = Callable[..., Account]

#: The server console sees every account, as IT does; it acts in its own name (`operator:…`).
CONSOLE = Staff("console", "", frozenset({"it"}))


@click.group()
def accounts() -> None:
    """Personal accounts."""


@accounts.command("bootstrap")
@click.argument("employee_number")
@with_appcontext
def bootstrap(employee_number: str) -> None:
    """Issue the first account: the general manager's (once, before any other)."""
    s = services()
    account = bootstrap_general_manager(
        db(), s.clock, s.settings, s.trail, employee_number, operator()
    )
    click.echo(f"issued {account.id} to general manager {employee_number}")


@accounts.command("show")
@click.argument("account_id")
@with_appcontext
def show(account_id: str) -> None:
    """One account, with every change of its state."""
    echo_json(AccountSchema().dump(describe(view_account(db(), CONSOLE, account_id))))


@accounts.command("list")
@click.option("--department", help="Only this department.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def list_(department: str | None, as_json: bool) -> None:
    """Accounts, by department."""
    views = list_accounts(db(), CONSOLE, department)
    if as_json:
        echo_json(AccountSummarySchema(many=True).dump([describe(view) for view in views]))
        return
    for view in views:
        a, i = view.account, view.identity
        click.echo(f"{a.id}  {a.state:<9}  {i.employee_number:<8}  {i.department:<16}  {i.name}")
    click.echo(f"{len(views)} accounts")


def _state_command(name: str, change: StateChange, summary: str) -> None:
    @accounts.command(name, help=summary)
    @click.argument("account_id")
    @click.option("--reason", required=True, help="Why; kept in the account's history.")
    @with_appcontext
    def command(account_id: str, reason: str) -> None:
        s = services()
        account = change(db(), s.clock, s.trail, account_id, operator(), reason)
        click.echo(f"{account.id} is {account.state}")


_state_command("revoke", revoke_account, "Revoke an account for good; its sessions end at once.")
_state_command("suspend", suspend_account, "Suspend an account; its sessions end. Undo: reinstate.")
_state_command(
    "reinstate", reinstate_account, "Make a suspended account active again (never a revoked one)."
)
