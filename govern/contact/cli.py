"""`govern calls keygen PATH`: the key the telephone system signs its call records with."""

from __future__ import annotations

from pathlib import Path

import click

from govern.contact.telephony import new_key


@click.group()
def calls() -> None:
    """The calls the telephone system reports (R-NTE-2)."""


@calls.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keygen(path: Path) -> None:
    """Write a fresh telephony key to PATH (mode 0600; an existing file is left alone).

    Give the same file to the telephone system and to Govern as GOVERN_TELEPHONY_KEY_FILE."""
    new_key(path)
    click.echo(f"telephony key written to {path}")
