"""`govern creditors end-due | end ID | verify FILE`: ending contracts at the server, and the
offline check of a deletion certificate (no setting, no database: the public key alone)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from govern.command_line import counted, operator
from govern.creditors import service
from govern.creditors.certificate import verify
from govern.web import context, db


@click.group()
def creditors() -> None:
    """Creditors (甲方): contract ends and deletion certificates."""


@creditors.command("end-due")
@with_appcontext
def end_due() -> None:
    """End every contract whose last day has passed (what the worker runs)."""
    ctx = context()
    issued = service.end_due_contracts(db(), ctx, ctx.clock.now())
    for certificate in issued:
        click.echo(f"creditor {certificate.creditor_id}: certificate {certificate.id}")
    click.echo(f"{counted(len(issued), 'contract')} ended")


@creditors.command("end")
@click.argument("creditor_id")
@with_appcontext
def end(creditor_id: str) -> None:
    """End CREDITOR_ID's contract now and print its signed deletion certificate (JSON)."""
    ctx = context()
    service.end_contract(db(), ctx, operator(), creditor_id)
    click.echo(json.dumps(service.certificate_of(db(), ctx, creditor_id), ensure_ascii=False))


@creditors.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The audit public key (PEM) kept apart from Govern: never the one the file carries,"
    " which a forger would have put there with their own signature.",
)
def verify_command(file: Path, public_key: Path) -> None:
    """Check the signature of the deletion certificate in FILE (as the API returns it) with
    the audit public key kept apart; exit 1 when it does not verify."""
    certificate = json.loads(file.read_text(encoding="utf-8"))
    pem = public_key.read_bytes()
    try:
        good = verify(certificate, pem)
    except (ValueError, KeyError) as error:
        raise click.ClickException(f"{file} is not a certificate ({error})") from None
    if not good:
        raise click.ClickException("the signature does not verify: the certificate was changed")
    document = certificate["document"]
    click.echo(
        f"certificate {document['id']} verifies: creditor {document['creditor']['name']}, "
        f"{counted(document['destroyed']['debtors'], 'debtor')}, keys "
        f"{', '.join(document['destroyed']['key_ids'])}, trail signed up to "
        f"{counted(document['trail']['signed_size'], 'event')}"
    )
