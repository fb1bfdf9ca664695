"""Schema migrations (Alembic), run as the database owner, then least privilege for the service.

On PostgreSQL the service connects as its own role (DATABASE_URL) and migrations as the owner
(GOVERN_MIGRATION_DATABASE_URL). After upgrading, the service role is granted data access
only: no DDL, no ownership.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from audit.store import APPEND_ONLY_TABLES
from govern.db import make_engine
from govern.errors import GovernError
from govern.notes.models import APPEND_ONLY_NOTES
from govern.training.models import ARCHIVE_TABLES

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaRefused(GovernError):
    """The owner's database could not be reached, refused the owner, or holds a schema this
    Govern does not know: nothing was changed."""

    status = 503


@contextmanager
def _as_owner(owner_url: str) -> Iterator[Engine]:
    """An engine on the owner's database; its failures said in one line with a code (the
    database named without its password). The migrations' transaction rolls back whole."""
    shown = make_url(owner_url).render_as_string(hide_password=True)
    engine = make_engine(owner_url)
    try:
        yield engine
    except OperationalError as error:
        raise SchemaRefused(
            "db.unreachable",
            f"Cannot reach the database {shown}: {_first_line(error)}; check "
            "GOVERN_MIGRATION_DATABASE_URL (else DATABASE_URL).",
        ) from None
    except ProgrammingError as error:
        raise SchemaRefused(
            "db.refused",
            f"The database {shown} refused: {_first_line(error)}; the schema's commands run "
            "as its owner (GOVERN_MIGRATION_DATABASE_URL).",
        ) from None
    except CommandError as error:
        raise SchemaRefused(
            "db.revision_unknown",
            f"{error}: the database's schema is newer than this Govern; install the Govern "
            "that made it, or restore a backup set (docs/deploy.md, rolling back).",
        ) from None
    finally:
        engine.dispose()


def _first_line(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: the revision before (None: the database had no schema) and after."""

    before: str | None
    after: str | None

    def describe(self) -> str:
        """One line for the operator."""
        if self.before is None:
            return f"created the database schema at revision {self.after}"
        if self.before == self.after:
            return f"database schema is up to date (revision {self.after})"
        return f"upgraded the database schema from revision {self.before} to {self.after}"


def upgrade(owner_url: str, service_url: str) -> Upgrade:
    """Bring the schema to the newest revision (as the owner) and grant the service role its
    rights (GOVERN_MIGRATION_DATABASE_URL and DATABASE_URL). Returns the revisions before and
    after."""
    with _as_owner(owner_url) as engine, engine.begin() as connection:
        before = current_revision(connection)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        after = current_revision(connection)
        grant_service_role(connection, owner_url, service_url)
    return Upgrade(before, after)


def describe_revision(owner_url: str, head: str) -> tuple[str, bool]:
    """`govern db current`, as the owner (the service role reads the schema's revision only
    once `upgrade` granted it): one line naming the revision and `head`, and whether the
    schema is at `head`."""
    with _as_owner(owner_url) as engine, engine.connect() as connection:
        revision = current_revision(connection)
    if revision is None:
        return f"the database has no schema yet; this Govern needs revision {head}", False
    if revision != head:
        return f"database schema at revision {revision}; this Govern needs {head}", False
    return f"database schema at revision {revision}, the newest", True


def schema_head() -> str:
    """The newest revision of the migrations this code carries."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def known_revisions() -> set[str]:
    """Every schema revision this Govern's migrations know."""
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The schema's revision (None: no schema yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def grant_service_role(connection: object, owner_url: str, service_url: str) -> None:
    """Grant the service role (DATABASE_URL) data access only, as the owner: after migrating,
    and after a backup is restored (a dump carries no grants to roles it may not find)."""
    service = make_url(service_url)
    owner = make_url(owner_url)
    if service.get_backend_name() != "postgresql" or service.username == owner.username:
        return
    role = '"' + (service.username or "").replace('"', '""') + '"'
    append_only = ", ".join((*APPEND_ONLY_TABLES, *ARCHIVE_TABLES, *APPEND_ONLY_NOTES))
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Triggers do not bind the table owner, and a role that may UPDATE could disable
        # nothing but still try: the service may only read and append to the trail and to
        # the training archive (exam results, signatures: R-TRN-5) and to collection notes.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role}",
    ):
        connection.execute(text(statement))  # type: ignore[attr-defined]
