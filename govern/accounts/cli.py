"""`govern accounts …`: bootstrap, issue, show, list and revoke accounts from the console."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.accounts.service import (
    bootstrap_general_manager,
    impose_suspension,
    list_accounts,
    reactivate_account,
    revoke_account,
    view_account,
)
from govern.accounts.views import AccountSchema, AccountSummarySchema, describe
from govern.actor import Actor, Staff
from govern.command_line import counted, echo_json, operator
from govern.web import context, db, services

#: The server console sees every account, as IT does, and imposes and lifts the suspensions IT
#: may (policies/suspensions.toml); it acts in its own name (`operator:…`).
CONSOLE = Staff("console", "", frozenset({"it"}))


@click.group()
def accounts() -> None:
    """Personal accounts."""


@accounts.command("bootstrap")
@click.argument("employee_number")
@with_appcontext
def bootstrap(employee_number: str) -> None:
    """Issue the first account: the general manager's (once, before any other)."""
    account = bootstrap_general_manager(db(), context(), employee_number, operator())
    click.echo(f"issued {account.id} to general manager {employee_number}")


@accounts.command("show")
@click.argument("account_id")
@with_appcontext
def show(account_id: str) -> None:
    """One account, with every change of its state."""
    view = view_account(db(), CONSOLE, account_id, services().roles.account_readers)
    echo_json(AccountSchema().dump(describe(view)))


@accounts.command("list")
@click.option("--department", help="Only this department.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def list_(department: str | None, as_json: bool) -> None:
    """Accounts, by department."""
    views = list_accounts(db(), CONSOLE, department, services().roles.account_readers)
    if as_json:
        echo_json(AccountSummarySchema(many=True).dump([describe(view) for view in views]))
        return
    for view in views:
        a, i = view.account, view.identity
        click.echo(f"{a.id}  {a.state:<9}  {i.employee_number:<8}  {i.department:<16}  {i.name}")
    click.echo(counted(len(views), "account"))


@accounts.command("revoke")
@click.argument("account_id")
@click.option("--reason", required=True, help="Why; kept in the account's history.")
@with_appcontext
def revoke(account_id: str, reason: str) -> None:
    """Revoke an account for good; its sessions end at once."""
    s = services()
    account = revoke_account(db(), s.clock, s.trail, account_id, operator(), reason)
    click.echo(f"{account.id} is {account.state}")


@accounts.command("suspend")
@click.argument("account_id")
@click.option(
    "--kind",
    required=True,
    help="The kind of suspension (policies/suspensions.toml: inactivity, security, hr); "
    "it says who may lift it.",
)
@click.option("--reason", required=True, help="Why; kept in the account's history.")
@with_appcontext
def suspend(account_id: str, kind: str, reason: str) -> None:
    """Suspend an account, as IT; its sessions end. Undo: reinstate, by whom the kind allows."""
    account = impose_suspension(
        db(), context(), Actor(CONSOLE, operator()), account_id, kind, reason
    )
    click.echo(f"{account.id} is {account.state} ({account.suspension_kind})")


@accounts.command("reinstate")
@click.argument("account_id")
@click.option("--reason", required=True, help="Why; kept in the account's history.")
@with_appcontext
def reinstate(account_id: str, reason: str) -> None:
    """Lift a suspension, as IT, if IT may lift its kind (never a revoked account)."""
    account = reactivate_account(db(), context(), Actor(CONSOLE, operator()), account_id, reason)
    click.echo(f"{account.id} is {account.state}")
