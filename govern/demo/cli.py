"""`govern demo seed`: fill an empty demo database (only with GOVERN_DEMO=1)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from govern.demo import seed
from govern.errors import ConfigError
from govern.web import context, db, services


@click.group()
def demo() -> None:
    """The demo's data."""


@demo.command("seed")
@with_appcontext
def seed_command() -> None:
    """Sync the demo directory and issue the demo accounts (idempotent)."""
    s = services()
    if not s.settings.demo:
        raise ConfigError("config.not_demo", "Seeding demo data needs GOVERN_DEMO=1.")
    issued = seed(db(), s.directory, context())
    click.echo(f"demo ready: {issued} accounts newly issued")
