"""`govern demo seed`: fill an empty demo database (only with GOVERN_DEMO=1)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from govern.clock import SystemClock
from govern.command_line import counted
from govern.contact.telephony import load_key
from govern.demo import seed
from govern.demo.telephone import demo_calls, report
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
    click.echo(f"demo ready: {counted(issued, 'account')} newly issued")


@demo.command("calls")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="Govern's address")
@click.option(
    "--key-file",
    envvar="GOVERN_TELEPHONY_KEY_FILE",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the telephony key (default: GOVERN_TELEPHONY_KEY_FILE)",
)
@click.option("--count", default=6, show_default=True, type=click.IntRange(1, 100))
def calls_command(url: str, key_file: Path, count: int) -> None:
    """Report a few calls to a running Govern as the telephone system would (signed)."""
    key, clock = load_key(key_file), SystemClock()
    for record in demo_calls(clock.now(), count):
        status, answer = report(url, key, record, clock.now())
        if status >= 400:
            raise click.ClickException(f"{record['system_call_id']}: {status} {answer}")
        flag = " (unregistered line)" if answer["unregistered_line"] else ""
        debtor = answer["debtor_id"] or "no debtor"
        click.echo(f"{answer['id']} {answer['direction']} {debtor}{flag}: {status}")
