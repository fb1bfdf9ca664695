"""`govern debtors import FILE` and `govern keys new|rotate`: the operator's side of debtor data."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from govern.command_line import counted, operator, progress_bar
from govern.debtors import repository as repo
from govern.debtors.importer import ImportRefused
from govern.debtors.sealing import import_debtors, rotate_keys
from govern.debtors.service import WIRING, DebtorWiring
from govern.debtors.vault import add_key, add_lookup_keys, load_vault
from govern.web import context, db, services


@click.group()
def debtors() -> None:
    """Debtor cases."""


@debtors.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(file: Path) -> None:
    """Import debtor cases from a CSV file: every row, or none when any row is bad or names a
    creditor whose contract has ended."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text; nothing was imported") from None
    try:
        with progress_bar("debtors sealed") as bar:
            batch, count = import_debtors(
                db(), context(), text, operator(), bar, _wiring().entrustments
            )
    except ImportRefused as refused:
        for error in refused.errors:
            click.echo(f"{file}:{error.line}: {error.column}: {error.message}", err=True)
        raise click.ClickException(
            f"{counted(len(refused.errors), 'problem')}; nothing of {file.name} was imported"
        ) from None
    click.echo(f"imported {counted(count, 'debtor')} (batch {batch})")


def _wiring() -> DebtorWiring:
    """What start-up handed the debtor reads (govern/app.py): the creditors' contracts, and
    contact's re-keying of a debtor's numbers."""
    return current_app.extensions[WIRING]


@click.group()
def keys() -> None:
    """The keys that seal debtors' personal fields (GOVERN_DATA_KEYS_FILE)."""


@keys.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_key(path: Path) -> None:
    """Add a fresh key to PATH (created if missing) and make it the one new values use.

    Restart every instance so they seal with it, then run `govern keys rotate`."""
    key_id = add_key(path)
    click.echo(f"key {key_id} added to {path} and made current")


@keys.command("rotate")
@click.option("--batch", default=500, show_default=True, help="debtors per transaction")
@with_appcontext
def rotate(batch: int) -> None:
    """Re-seal every debtor under its client's key (its creditor's, or the current key), and
    move its lookup digests (and contact's of its numbers) under its creditor's lookup key,
    while the service keeps serving. A creditor without a lookup key of its own (a keys file
    from before they had them) is given one first."""
    s = services()
    added = add_lookup_keys(s.settings.data_keys_file)
    if added:
        click.echo(f"lookup keys {', '.join(added)} added for creditors that had none")
    vault = load_vault(s.settings.data_keys_file)  # the file as it is now, not at start-up
    pending = repo.count_under_other_keys(db(), vault)
    with click.progressbar(length=pending, label="re-sealing") as bar:
        done = rotate_keys(db(), vault, batch, bar.update, _wiring().rekeyed)
    click.echo(f"{counted(done, 'debtor')} re-sealed (new values: key {vault.current})")
