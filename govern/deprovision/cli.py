"""`govern deprovision run|revoke`: IT's hands on departures at the server console."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.accounts.service import revoke_account
from govern.command_line import operator
from govern.deprovision.service import due_accounts, revoke_due, suspend_inactive
from govern.web import db, services


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
    pending = len(due_accounts(db(), s.clock.now(), s.settings))
    db().rollback()
    with click.progressbar(length=pending, label="departures") as bar:
        report = revoke_due(
            db(),
            s.clock,
            s.settings,
            s.trail,
            directory=s.directory,
            dry_run=dry_run,
            progress=bar.update,
        )
    if dry_run:
        click.echo(f"{len(report.due)} due (dry run, nothing changed): {' '.join(report.due)}")
        return
    idle = suspend_inactive(db(), s.clock, s.settings, s.trail)
    click.echo(
        f"{len(report.revoked)} revoked, {len(report.failed)} failed; "
        f"{len(idle)} accounts unused for {s.settings.inactive_days} days suspended"
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
