"""The `govern` console command: every operator task, one group per capability.

Errors print one line (`govern: MESSAGE [code]`) and exit non-zero; nothing is half-done.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from govern.auditing.trail import RequestContext, new_request_id, request_context
from govern.config import database_urls
from govern.errors import GovernError


class GovernGroup(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        """Govern's commands live on this group, not on the app: `govern --help` lists them
        without building the app, so it works before anything is configured."""
        return click.Group.list_commands(self, ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A command by its name, without building the app (an unknown one is said to be
        unknown, not a configuration to fix)."""
        return click.Group.get_command(self, ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        request_context.set(RequestContext(f"console-{new_request_id()}", "console"))
        try:
            return super().invoke(ctx)
        except GovernError as error:
            refusal = click.ClickException(describe_error(error))
            refusal.exit_code = getattr(error, "exit_code", refusal.exit_code)
            raise refusal from None


def describe_error(error: GovernError) -> str:
    """The one line an operator sees: message, code and, at the console only, the detail."""
    detail = error.details.get("detail")
    return f"{error.message} [{error.code}]" + (f" ({detail})" if detail else "")


def _app() -> Flask:
    try:
        from govern.app import create_app  # here: `govern --help` imports nothing of it

        return create_app()
    except GovernError as error:
        raise click.ClickException(describe_error(error)) from None


cli = GovernGroup(
    create_app=_app,
    add_default_commands=False,  # Flask's run, shell and routes: `scripts/demo` serves it
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Operate Govern: database, directory, accounts. Settings come from the environment "
    "(the README's Configuration).",
)
# Flask's --app, --debug and --env-file would only confuse: Govern is one app, configured by
# its environment (and NAME_FILE secrets).
cli.params = [param for param in cli.params if param.name not in ("app", "debug", "env_file")]
cli = click.version_option(package_name="govern", prog_name="Govern")(cli)


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade", with_appcontext=False)
def db_upgrade() -> None:
    """Create the schema in an empty database, or migrate it to the newest revision (as
    GOVERN_MIGRATION_DATABASE_URL); say which it did."""
    from govern.migrate import upgrade

    owner, service = database_urls()
    click.echo(upgrade(owner, service).describe())


@db.command("current", with_appcontext=False)
def db_current() -> None:
    """Say the database schema's revision (as GOVERN_MIGRATION_DATABASE_URL) and the newest
    this Govern carries; exit 1 when they differ (run `govern db upgrade`)."""
    from govern.migrate import describe_revision, schema_head

    line, at_head = describe_revision(database_urls()[0], schema_head())
    click.echo(line)
    if not at_head:
        raise SystemExit(1)


@cli.command("worker")
def worker() -> None:
    """Run the background jobs until SIGTERM: audit checkpoints, the periodic directory sync,
    deprovisioning's scheduler. Served processes then only answer requests
    (GOVERN_BACKGROUND_JOBS=worker; docs/deploy.md)."""
    from flask import current_app

    from govern.operations.worker import run_worker

    run_worker(current_app._get_current_object())  # type: ignore[attr-defined]


def _register() -> None:
    from govern.accounts.cli import accounts
    from govern.auditing.cli import audit
    from govern.backup.cli import backup
    from govern.contact.cli import calls
    from govern.creditors.cli import creditors
    from govern.debtors.cli import debtors, keys
    from govern.demo.cli import demo
    from govern.deprovision.cli import deprovision, reconcile_alias
    from govern.directory.cli import directory
    from govern.investigations.cli import COMMANDS as investigation_commands
    from govern.training.cli import training

    groups = (
        accounts,
        audit,
        backup,
        calls,
        creditors,
        directory,
        demo,
        debtors,
        keys,
        deprovision,
        training,
    )
    for group in groups:
        cli.add_command(group)
    directory.add_command(reconcile_alias(), "reconcile")  # deprovisioning's, by its older name
    for command in investigation_commands:
        audit.add_command(command)


_register()


def main() -> None:
    cli.main(prog_name="govern")
