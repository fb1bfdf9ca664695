"""`govern audit query|who-saw|seen|investigate|unusual`: the auditors' investigations of the
trail from the console, each audited like its HTTP twin (added to the `govern audit` group)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from audit.retention import Plan
from govern.auditing import retention
from govern.command_line import counted, echo_json, operator
from govern.errors import BadRequest
from govern.investigations import holds, questions
from govern.investigations import service as inv
from govern.investigations.limits import audited_time_limit
from govern.investigations.unusual import unusual_access
from govern.web import context, db, services


class Instant(click.ParamType):
    """An ISO 8601 time with its zone, e.g. 2026-11-01T00:00:00+08:00."""

    name = "time"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time", param, ctx)
        if parsed.tzinfo is None:
            self.fail(f"{value!r} needs a zone, e.g. +08:00", param, ctx)
        return parsed


def window_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--to", "end", type=Instant(), help="End (default: now).")(command)
    return click.option("--from", "start", type=Instant(), help="Start (default: 90 days ago).")(
        command
    )


@click.command("query")
@click.option("--debtor")
@click.option("--actor", help="The account that acted.")
@click.option("--subject", help="The account acted upon (the event's object).")
@click.option("--account", hidden=True, help="Deprecated: the same as --actor.")
@click.option("--action")
@click.option("--field")
@click.option("--after", type=click.IntRange(min=0), default=0, help="Page after this event.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000)
@click.option("--format", "form", type=click.Choice(["json", "csv"]), default="json")
@window_options
@with_appcontext
def query(
    debtor: str | None,
    actor: str | None,
    subject: str | None,
    account: str | None,
    action: str | None,
    field: str | None,
    after: int,
    limit: int,
    form: str,
    start: datetime | None,
    end: datetime | None,
) -> None:
    """Events by debtor, actor, subject, action, field and time (audited)."""
    if account is not None and actor not in (None, account):
        raise click.UsageError("use --actor alone (--account is its old name)")
    window = questions.Window.of(start, end, services().clock)
    wanted = questions.EventFilter(
        debtor, actor or account, action, field, *window.us, after, limit, subject=subject
    )
    filters = {"debtor": debtor, "actor": wanted.actor, "subject": subject}
    s, asked = services(), {**filters, "action": action, "field": field}
    with audited_time_limit(db(), context(), operator(), "events", **asked):
        found, _ = questions.find_events(db(), s.trail, operator(), wanted)
    if form == "csv":
        click.echo(questions.events_csv(found), nl=False)
    else:
        echo_json(found)


@click.command("who-saw")
@click.argument("debtor")
@click.argument("field")
@click.option(
    "--level",
    type=click.Choice(sorted(questions.SHOWN_AT)),
    default="full",
    show_default=True,
    help="full: revealed in full; masked: shown masked only; any: shown at all.",
)
@window_options
@with_appcontext
def who_saw(
    debtor: str, field: str, level: str, start: datetime | None, end: datetime | None
) -> None:
    """Every account shown FIELD of DEBTOR at --level, with times and levels (audited)."""
    s, asked = services(), {"debtor": debtor, "field": field, "level": level}
    window = questions.Window.of(start, end, s.clock)
    with audited_time_limit(db(), context(), operator(), "who_saw", **asked):
        found = questions.who_saw(db(), s.trail, operator(), questions.Sighting(**asked), window)
    echo_json(found)


@click.command("seen")
@click.argument("account")
@window_options
@with_appcontext
def seen(account: str, start: datetime | None, end: datetime | None) -> None:
    """What ACCOUNT revealed: per debtor, the fields and first and last time (audited)."""
    s = services()
    window = questions.Window.of(start, end, s.clock)
    with audited_time_limit(db(), context(), operator(), "what_seen", account=account):
        found = questions.what_seen(db(), s.trail, operator(), account, window)
    echo_json(found)


@click.command("investigate")
@click.option(
    "--debtors",
    "debtor_file",
    type=click.File("r"),
    required=True,
    help="The leaked debtor ids, one per line ('-' for standard input).",
)
@click.option("--field", "fields", multiple=True, help="A leaked field (repeat; default: any).")
@window_options
@with_appcontext
def investigate(
    debtor_file: Any, fields: tuple[str, ...], start: datetime | None, end: datetime | None
) -> None:
    """Open a leak investigation and rank who revealed most of the leaked records."""
    debtors = [line.strip() for line in debtor_file if line.strip()]
    if not debtors:
        raise BadRequest("investigation.empty", "The debtors file names no debtor.")
    s = services()
    window = questions.Window.of(start, end, s.clock)
    with click.progressbar(length=len(debtors), label="debtors checked", file=sys.stderr) as bar:
        scope = inv.Scope(debtors, fields, window)
        opened, ranking = inv.open_investigation(db(), context(), operator(), scope, bar.update)
    echo_json({"investigation": opened.id, "ranking": ranking})


@click.command("unusual")
@window_options
@with_appcontext
def unusual(start: datetime | None, end: datetime | None) -> None:
    """Bulk viewing, off-hours views, views outside the viewer's group, pre-departure spikes."""
    s = services()
    window = questions.Window.of(start, end, s.clock)
    with audited_time_limit(db(), context(), operator(), "unusual"):
        found = unusual_access(db(), context(), operator(), window)
    echo_json(found)


@click.command("archive")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder the archive bundle is written in.",
)
@click.option(
    "--apply", is_flag=True, help="Archive, then remove the archived events (else: a dry run)."
)
@click.option("--write", is_flag=True, help="Only write and verify the bundle; remove nothing.")
@click.option(
    "--remove",
    "bundle",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Remove the events of this bundle (written before, kept elsewhere).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be archived (the default).")
@click.option(
    "--trust-clock",
    is_flag=True,
    help="Write or remove although the database's clock differs from Govern's by over an hour.",
)
@with_appcontext
def archive(
    folder: Path | None,
    apply: bool,
    write: bool,
    bundle: Path | None,
    dry_run: bool,
    trust_clock: bool,
) -> None:
    """Archive the trail's windows past retention (none under a legal hold) as a signed
    bundle that scripts/verify_bundle.py checks offline (--write), then, once it is kept
    elsewhere, remove its events (--remove BUNDLE); --apply does both at once."""
    if sum((apply, write, bundle is not None, dry_run)) > 1:
        raise click.UsageError("--apply, --write, --remove and --dry-run exclude each other")
    if bundle is None and folder is None:
        raise click.UsageError("--to FOLDER is needed (unless --remove BUNDLE)")
    if not (apply or write or bundle is not None):
        cutoff, plan = holds.retention_plan(db(), context())
        _say_plan(cutoff, plan, "would archive")
        click.echo("dry run: nothing written or removed; --apply archives, then removes")
        return
    if not trust_clock:
        holds.check_clock(db(), context())
    with retention.one_run(context().trail):
        _run(folder, apply, bundle)


def _run(folder: Path | None, apply: bool, bundle: Path | None) -> None:
    """A retention run (its lock held): remove `bundle`'s events, or write the windows past
    retention under `folder` and, with `apply`, remove them."""
    if bundle is not None:
        _say_removed(bundle)
        return
    assert folder is not None  # the command asks for it
    cutoff, plan, written = holds.archive(db(), context(), folder)
    _say_plan(cutoff, plan, "archived")
    if written is not None:
        click.echo(f"OK: {written} verifies with the service's public key")
        if apply:
            _say_removed(written)


def _say_removed(bundle: Path) -> None:
    removed = holds.remove(db(), context(), operator(), bundle)
    click.echo(f"removed {counted(removed, 'archived event')} from the database")


def _say_plan(cutoff: datetime, plan: Plan, verb: str) -> None:
    click.echo(f"retention: events before {cutoff.isoformat()} may be archived")
    if plan.archive:
        first, last = plan.archive[0].first, plan.archive[-1].last
        click.echo(
            f"{verb} events {first}..{last} ({counted(plan.events, 'event')} in "
            f"{counted(len(plan.archive), 'window')})"
        )
    else:
        click.echo(f"{verb} nothing: no window from event {plan.kept_from} on is old enough")
    for window in plan.held:
        click.echo(f"kept under a legal hold: events {window.first}..{window.last}")


#: Added to `govern audit` by govern/cli.py; the group and the trail keeper's own commands live
#: with the trail (govern/auditing/cli.py).
COMMANDS = (query, who_saw, seen, investigate, unusual, archive)
