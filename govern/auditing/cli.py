"""`govern audit …`: keys, checkpoints, verification, proofs and export for auditors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection

from audit import store
from audit.proofs import consistency_proof, export_bundle, inclusion_proof
from audit.queries import SHOWN_AT, EventFilter
from audit.signing import Checkpoint, key_id, load_private_key, new_private_key_pem, public_pem
from audit.verify import Report, signed_checkpoints, verify_trail
from govern.auditing import investigations as inv
from govern.auditing.limits import audited_time_limit
from govern.console import echo_json, operator
from govern.errors import BadRequest, NotFound
from govern.web import db, services

PROBLEMS_EXIT = 1


@click.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen(path: Path) -> None:
    """Create the Ed25519 key that signs checkpoints (keep it outside the repository)."""
    if path.exists():
        raise click.ClickException(f"{path} exists; a signing key is never overwritten")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(new_private_key_pem())
    public = load_private_key(path).public_key()
    click.echo(f"signing key written to {path} (key id {key_id(public)}); its public key:")
    click.echo(public_pem(public).decode(), nl=False)


@audit.command("checkpoint")
@with_appcontext
def checkpoint() -> None:
    """Sign the trail as it stands now."""
    written = services().trail.checkpoint_now()
    click.echo(f"checkpoint at {written.tree_size} events" if written else "nothing new to sign")


@audit.command("verify")
@click.option("--from", "first", type=click.IntRange(min=1), default=1, help="First event.")
@click.option("--to", "last", type=click.IntRange(min=1), help="Last event (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--skip-index", is_flag=True, help="Leave out the cross-check of the searchable columns."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=True,
    help="Processes for long ranges.",
)
@with_appcontext
def verify(first: int, last: int | None, as_json: bool, skip_index: bool, workers: int) -> None:
    """Check the trail against its signed checkpoints; exit 1 on any problem."""
    trail = services().trail
    with trail.engine.connect().execution_options(read_only=True) as connection:
        report = verify_trail(
            connection,
            trail.signer.public_key,
            trail.copy.read(),
            first,
            last,
            check_index=not skip_index,
            workers=workers,
        )
    if as_json:
        echo_json(_report_dict(report))
    else:
        _print_report(report)
    if not report.ok:
        raise click.exceptions.Exit(PROBLEMS_EXIT)


@audit.command("prove")
@click.argument("seq", type=click.IntRange(min=1))
@click.option("--size", type=click.IntRange(min=1), help="Checkpoint size (default: newest).")
@with_appcontext
def prove(seq: int, size: int | None) -> None:
    """Print an inclusion proof of event SEQ (verify: scripts/verify_bundle.py --proof)."""
    trail = services().trail
    with trail.engine.connect().execution_options(read_only=True) as connection:
        target = _checkpoint(connection, size, at_least=seq)
        echo_json(inclusion_proof(connection, seq, target, public_pem(trail.signer.public_key)))


@audit.command("consistency")
@click.argument("old", type=click.IntRange(min=1))
@click.argument("new", type=click.IntRange(min=1))
@with_appcontext
def consistency(old: int, new: int) -> None:
    """Print a proof that checkpoint NEW extends checkpoint OLD (both tree sizes)."""
    trail = services().trail
    with trail.engine.connect().execution_options(read_only=True) as connection:
        older, newer = _checkpoint(connection, old), _checkpoint(connection, new)
        if older.tree_size > newer.tree_size:
            raise BadRequest("proof.order", "OLD must not be larger than NEW.")
        echo_json(consistency_proof(connection, older, newer, public_pem(trail.signer.public_key)))


@audit.command("export")
@click.option("--from", "first", type=click.IntRange(min=1), required=True)
@click.option("--to", "last", type=click.IntRange(min=1), required=True)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export(first: int, last: int, folder: Path) -> None:
    """Write events FROM..TO as a bundle that scripts/verify_bundle.py checks offline."""
    if last < first:
        raise BadRequest("export.range", "--to must not be before --from.")
    if folder.exists():
        raise BadRequest("export.exists", f"{folder} exists; choose a new folder.")
    trail = services().trail
    with trail.engine.connect().execution_options(read_only=True) as connection:
        if last > store.size(connection):
            raise NotFound("export.range", f"The trail has only {store.size(connection)} events.")
        checkpoints = signed_checkpoints(connection, trail.copy.read(), trail.signer.public_key)
        manifest = export_bundle(
            connection, checkpoints, first, last, public_pem(trail.signer.public_key), folder
        )
    click.echo(
        f"exported events {first}..{last} to {folder} "
        f"(anchored by the checkpoint at {manifest['anchored_by']})"
    )


def _checkpoint(connection: Connection, size: int | None, at_least: int = 1) -> Checkpoint:
    """The trusted checkpoint of `size`, or the newest; it must cover event `at_least`."""
    trail = services().trail
    checkpoints = signed_checkpoints(connection, trail.copy.read(), trail.signer.public_key)
    chosen = [c for c in checkpoints if size is None or c.tree_size == size]
    if not chosen or chosen[-1].tree_size < at_least:
        raise NotFound(
            "checkpoint.unknown",
            "No signed checkpoint covers that; run `govern audit checkpoint` first.",
        )
    return chosen[-1]


def _report_dict(report: Report) -> dict[str, object]:
    first = report.first_problem
    return {
        "ok": report.ok,
        "events": report.events,
        "checkpoints": report.checkpoints,
        "anchored_to": report.anchored_to,
        "unanchored": report.unanchored,
        "first_problem": None if first is None else asdict(first),
        "problems": [asdict(p) for p in report.problems],
        "windows": {
            "intact": len(report.windows_in("intact")),
            "tampered": [[w.first, w.last] for w in report.windows_in("tampered")],
            "unchecked": [[w.first, w.last] for w in report.windows_in("unchecked")],
        },
    }


def _print_report(report: Report) -> None:
    click.echo(
        f"checked {report.events} events against {report.checkpoints} signed checkpoints; "
        f"anchored up to {report.anchored_to}, {report.unanchored} unanchored"
    )
    if report.ok:
        click.echo("OK: the trail is intact")
        return
    first = report.first_problem
    click.echo(f"TAMPERED: first bad event {first.seq}: {first.kind}: {first.message}", err=True)
    for problem in report.problems:
        if problem is not first:
            click.echo(f"  also {problem.kind} at {problem.seq}: {problem.message}", err=True)
    click.echo(_windows_line(report), err=True)


def _windows_line(report: Report) -> str:
    """Which windows between checkpoints hold the damage; the others are intact."""
    named = [
        f"{state} {', '.join(f'{w.first}..{w.last}' for w in report.windows_in(state))}"
        for state in ("tampered", "unchecked")
        if report.windows_in(state)
    ]
    intact = len(report.windows_in("intact"))
    return f"windows: {'; '.join([*named, f'{intact} intact'])}"


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


@audit.command("query")
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
    window = inv.Window.of(start, end, services().clock)
    wanted = EventFilter(
        debtor, actor or account, action, field, *window.us, after, limit, subject=subject
    )
    filters = {"debtor": debtor, "actor": wanted.actor, "subject": subject}
    s, asked = services(), {**filters, "action": action, "field": field}
    with audited_time_limit(db(), s.trail, s.settings, operator(), "events", **asked):
        found, _ = inv.find_events(db(), s.trail, operator(), wanted)
    if form == "csv":
        click.echo(inv.events_csv(found), nl=False)
    else:
        echo_json(found)


@audit.command("who-saw")
@click.argument("debtor")
@click.argument("field")
@click.option(
    "--level",
    type=click.Choice(sorted(SHOWN_AT)),
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
    window = inv.Window.of(start, end, s.clock)
    with audited_time_limit(db(), s.trail, s.settings, operator(), "who_saw", **asked):
        found = inv.who_saw(db(), s.trail, operator(), debtor, field, window, level)
    echo_json(found)


@audit.command("seen")
@click.argument("account")
@window_options
@with_appcontext
def seen(account: str, start: datetime | None, end: datetime | None) -> None:
    """What ACCOUNT revealed: per debtor, the fields and first and last time (audited)."""
    s = services()
    window = inv.Window.of(start, end, s.clock)
    with audited_time_limit(db(), s.trail, s.settings, operator(), "what_seen", account=account):
        found = inv.what_seen(db(), s.trail, operator(), account, window)
    echo_json(found)


@audit.command("investigate")
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
    window = inv.Window.of(start, end, s.clock)
    with click.progressbar(length=len(debtors), label="debtors checked", file=sys.stderr) as bar:
        opened, ranking = inv.open_investigation(
            db(), s.trail, s.clock, s.settings, operator(), debtors, fields, window, bar.update
        )
    echo_json({"investigation": opened.id, "ranking": ranking})


@audit.command("unusual")
@window_options
@with_appcontext
def unusual(start: datetime | None, end: datetime | None) -> None:
    """Bulk viewing, off-hours views, views outside the viewer's group, pre-departure spikes."""
    s = services()
    window = inv.Window.of(start, end, s.clock)
    with audited_time_limit(db(), s.trail, s.settings, operator(), "unusual"):
        found = inv.unusual_access(db(), s.trail, operator(), window, s.settings)
    echo_json(found)
