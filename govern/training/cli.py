"""`govern training …`: the training office's questions at the server console."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from govern.command_line import HELD_EXIT
from govern.training.plans import unscheduled_inductions
from govern.web import context, db


@click.group()
def training() -> None:
    """Training plans and sessions."""


@training.command("unscheduled-induction")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def unscheduled_induction(start: datetime, end: datetime) -> None:
    """New staff hired from --from to --to whose induction on the hire date (§10, R-TRN-3) no
    approved plan schedules. Exits 3 when there are any, so a cron job can warn."""
    people = unscheduled_inductions(db(), context(), start.date(), end.date())
    for person in people:
        click.echo(
            f"{person.hire_date}  {person.employee_number}  {person.department}  "
            f"{person.track or '-'}"
        )
    click.echo(f"{len(people)} new staff without a scheduled induction")
    if people:
        raise SystemExit(HELD_EXIT)
