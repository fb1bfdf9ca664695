"""`govern directory …`: sync identities from the directory."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.command_line import echo_report, progress_bar
from govern.directory.sync import SyncReport, sync_directory
from govern.web import context, db, services

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
    with progress_bar("people applied") as bar:
        report = sync_directory(
            db(), s.directory, context(), dry_run=dry_run, confirm=confirm, tally=bar
        )
    echo_report(report, as_json, _print)


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
    for number, roles in sorted(report.withheld.items()):
        click.echo(f"withheld {number}: {', '.join(roles)} (separation of duties)", err=True)
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
