"""`govern deprovision run|revoke|reconcile`: IT's hands on departures at the server console."""

from __future__ import annotations

import copy

import click
from flask.cli import with_appcontext

from govern.accounts.service import revoke_account
from govern.command_line import counted, echo_report, operator, progress_bar
from govern.deprovision.reconcile import ReconcileReport, reconcile
from govern.deprovision.service import due_accounts, revoke_due, suspend_inactive
from govern.web import context, db, services


@click.group()
def deprovision() -> None:
    """Departures: revoke what is due."""


@deprovision.command("run")
@click.option("--dry-run", is_flag=True, help="list what is due, change nothing")
@with_appcontext
def run(dry_run: bool) -> None:
    """Revoke every account past its departure instant and suspend unused ones (the daily
    sweep, by hand)."""
    s = services()
    pending = len(due_accounts(db(), s.clock.now(), s.settings.departures))
    db().rollback()
    with progress_bar("departures") as bar:
        bar.count(pending)
        report = revoke_due(
            db(), context(), directory=s.directory, dry_run=dry_run, progress=bar.advance
        )
    if dry_run:
        click.echo(f"{len(report.due)} due (dry run, nothing changed)")
        for account_id in report.due:
            click.echo(f"  {account_id}")
        return
    idle = suspend_inactive(db(), context())
    click.echo(
        f"{len(report.revoked)} revoked, {len(report.failed)} failed; "
        f"{counted(len(idle), 'account')} unused for "
        f"{counted(s.settings.inactive_days, 'day')} suspended"
    )
    for account_id, error in report.failed.items():
        click.echo(f"  {account_id}: {error} (recorded; the next sweep retries)", err=True)
    if report.failed:
        raise SystemExit(1)


@deprovision.command("revoke")
@click.argument("account_id")
@click.option("--reason", required=True, help="kept in the account's history")
@with_appcontext
def revoke(account_id: str, reason: str) -> None:
    """Revoke one account now, for good (IT at the console)."""
    s = services()
    account = revoke_account(db(), s.clock, s.trail, account_id, operator(), reason)
    click.echo(f"{account.id} revoked at {account.revoked_at.isoformat()}")  # type: ignore[union-attr]


@deprovision.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Show what would be revoked; change nothing.")
@click.option("--confirm", is_flag=True, help="Apply a run the safety guard would hold.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def reconcile_command(dry_run: bool, confirm: bool, as_json: bool) -> None:
    """Revoke accounts of people gone from or disabled in the directory, or past their
    departure; report accounts without an identity. Exit 3 when the guard holds the run."""
    s = services()
    report = reconcile(db(), s.directory, context(), dry_run=dry_run, confirm=confirm)
    echo_report(report, as_json, _print_reconcile)


def _print_reconcile(report: ReconcileReport) -> None:
    click.echo(f"reconcile: {report.outcome}")
    done = " (revoked)" if report.outcome != "dry_run" else " (would be revoked)"
    for title, rows in (
        (
            "gone from or disabled in the directory"
            + (done if report.outcome != "held" else " (held)"),
            report.gone,
        ),
        ("past their departure, flagged" + done, report.past_departure),
    ):
        click.echo(f"  {title}: {len(rows)}")
        for row in rows:
            click.echo(f"    {row['account_id']}  {row['employee_number']}")
    click.echo(f"  accounts without an identity: {len(report.orphans)}")
    for account_id in report.orphans:
        click.echo(f"    {account_id}")
    if report.outcome == "held":
        click.echo(f"  held: {report.guard.explain()}")


def reconcile_alias() -> click.Command:
    """`govern directory reconcile`, the name operators' scripts know: the same command."""
    alias = copy.copy(reconcile_command)
    alias.help = "The same as `govern deprovision reconcile` (its older name). " + (
        reconcile_command.help or ""
    )
    return alias
