"""`govern directory …`: sync identities from the directory."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.command_line import echo_json
from govern.deprovision.reconcile import ReconcileReport, reconcile
from govern.directory.sync import SyncReport, sync_directory
from govern.web import db, services

HELD_EXIT = 3
TRACK_UNKNOWN = {
    "absent": "the entry has no track attribute",
    "unmapped": "the track attribute's value is not in policies/directory/tracks.toml",
    "ambiguous": "the track attribute's values name more than one track",
}


@click.group()
def directory() -> None:
    """Staff identities from the company directory."""


@directory.command("sync")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--confirm", is_flag=True, help="Apply a run the safety guard would hold.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def sync(dry_run: bool, confirm: bool, as_json: bool) -> None:
    """Bring identities up to date; report what was added, changed and gone."""
    s = services()
    report = sync_directory(
        db(), s.directory, s.clock, s.settings, s.trail, dry_run=dry_run, confirm=confirm
    )
    if as_json:
        echo_json(report.as_dict())
    else:
        _print(report)
    if report.outcome == "held":
        raise click.exceptions.Exit(HELD_EXIT)


@directory.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Show what would be revoked; change nothing.")
@click.option("--confirm", is_flag=True, help="Apply a run the safety guard would hold.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@with_appcontext
def reconcile_command(dry_run: bool, confirm: bool, as_json: bool) -> None:
    """Revoke accounts of people gone from or disabled in the directory, or past their
    departure; report
    accounts without an identity. Exit 3 when the guard holds the run."""
    s = services()
    report = reconcile(
        db(), s.directory, s.clock, s.settings, s.trail, dry_run=dry_run, confirm=confirm
    )
    if as_json:
        echo_json(report.as_dict())
    else:
        _print_reconcile(report)
    if report.outcome == "held":
        raise click.exceptions.Exit(HELD_EXIT)


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


def _print(report: SyncReport) -> None:
    for number in report.added:
        click.echo(f"added    {number}")
    for number, attributes in report.changed.items():
        click.echo(f"changed  {number}: {', '.join(attributes)}")
    for number in report.gone:
        click.echo(f"gone     {number}")
    for number in report.departed:
        click.echo(f"departed {number}: the new departure date has passed")
    for number, reason in sorted(report.track_unknown.items()):
        click.echo(f"track?   {number}: {TRACK_UNKNOWN[reason]}; on the track unknown", err=True)
    summary = (
        f"{len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.gone)} gone, {len(report.departed)} departed"
    )
    if report.outcome == "held":
        click.echo(f"HELD, nothing applied ({summary}): {report.guard.explain()}", err=True)
    elif report.outcome == "dry-run":
        click.echo(f"dry run, nothing applied: {summary}")
    else:
        click.echo(f"sync {report.run} applied: {summary}")
