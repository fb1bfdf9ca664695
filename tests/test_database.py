"""`govern db upgrade` says what it did; least privilege on PostgreSQL: the service's role
reads and writes rows, nothing more."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import (
    Engine,
    Integer,
    String,
    bindparam,
    cast,
    column,
    func,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from govern.cli import cli
from govern.config import Settings
from govern.db import HotStatement, UTCDateTime, make_engine, unavailable
from govern.migrate import schema_head
from tests.audit.test_migration import migrate
from tests.support.statements import statements_sent


@pytest.mark.postgresql_only
def test_the_service_role_cannot_change_the_schema(base_settings: Settings) -> None:
    engine = make_engine(base_settings.database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() >= 0
            for statement in (
                "CREATE TABLE intruder (id int)",
                "DROP TABLE accounts",
                "ALTER TABLE accounts ADD COLUMN note text",
            ):
                with pytest.raises(ProgrammingError):
                    connection.execute(text(statement))
                connection.rollback()
    finally:
        engine.dispose()


def db_upgrade(settings: Settings) -> tuple[int, str]:
    """`govern db upgrade` as an operator runs it: exit code and what it says."""
    return govern_db(settings, "upgrade")


def govern_db(settings: Settings, command: str) -> tuple[int, str]:
    """`govern db COMMAND` as an operator runs it before anything else is configured: only the
    database's URLs in the environment. Exit code and what it says."""
    environment = {name: None for name in os.environ if name.startswith("GOVERN_")}
    environment |= {
        "DATABASE_URL": settings.database_url,
        "GOVERN_MIGRATION_DATABASE_URL": settings.migration_database_url,
    }
    result = CliRunner().invoke(cli, ["db", command], env=environment)
    return result.exit_code, result.output.strip()


def on_empty(base: Settings, service: str, owner: str, tmp_path: Path) -> Settings:
    """The settings of a Govern on a database of its own (the service's and the owner's URL)."""
    return replace(
        base,
        database_url=service,
        migration_database_url=owner,
        checkpoint_dir=tmp_path / "checkpoints",
    )


def test_db_upgrade_on_an_empty_database_says_it_created_the_schema(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    settings = on_empty(base_settings, service, owner, tmp_path)
    head = schema_head()
    assert db_upgrade(settings) == (0, f"created the database schema at revision {head}")
    assert db_upgrade(settings) == (0, f"database schema is up to date (revision {head})")
    engine = make_engine(service)  # the service role may use what was created
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() == 0
    finally:
        engine.dispose()


def test_db_upgrade_from_an_older_revision_names_both(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    engine = make_engine(owner)
    try:
        migrate(engine, "0006")
    finally:
        engine.dispose()
    settings = on_empty(base_settings, service, owner, tmp_path)
    expected = f"upgraded the database schema from revision 0006 to {schema_head()}"
    assert db_upgrade(settings) == (0, expected)


def test_db_current_names_the_revision_and_fails_until_it_is_the_newest(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    settings = on_empty(base_settings, service, owner, tmp_path)
    head = schema_head()
    assert govern_db(settings, "current") == (
        1,
        f"the database has no schema yet; this Govern needs revision {head}",
    )
    engine = make_engine(owner)
    try:
        migrate(engine, "0006")
    finally:
        engine.dispose()
    assert govern_db(settings, "current") == (
        1,
        f"database schema at revision 0006; this Govern needs {head}",
    )
    assert db_upgrade(settings)[0] == 0
    assert govern_db(settings, "current") == (0, f"database schema at revision {head}, the newest")


@pytest.mark.postgresql_only
def test_r_nte_1_the_service_role_may_only_append_to_collection_notes(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    settings = on_empty(base_settings, service, owner, tmp_path)
    assert db_upgrade(settings)[0] == 0
    engine = make_engine(service)
    try:
        with engine.connect() as connection:
            held = {
                privilege: connection.execute(
                    text("SELECT has_table_privilege('collection_notes', :privilege)"),
                    {"privilege": privilege},
                ).scalar()
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            }
    finally:
        engine.dispose()
    assert held == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
    }


def test_db_commands_say_in_one_line_that_the_database_does_not_answer(
    base_settings: Settings, tmp_path: Path
) -> None:
    nowhere = "postgresql://govern_owner:secret@127.0.0.1:1/govern"
    settings = replace(base_settings, database_url=nowhere, migration_database_url=nowhere)
    for command in ("upgrade", "current"):
        code, said = govern_db(settings, command)
        assert code == 1 and len(said.splitlines()) == 1, said
        assert said.endswith("[db.unreachable]") and "127.0.0.1:1/govern" in said
        assert "secret" not in said


def test_a_schema_newer_than_this_govern_is_named_not_a_traceback(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    settings = on_empty(base_settings, service, owner, tmp_path)
    assert db_upgrade(settings)[0] == 0
    engine = make_engine(owner)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    assert govern_db(settings, "current") == (
        1,
        f"database schema at revision 0099; this Govern needs {schema_head()}",
    )
    code, said = db_upgrade(settings)
    assert code == 1 and len(said.splitlines()) == 1, said
    assert "0099" in said and said.endswith("[db.revision_unknown]")


@pytest.mark.postgresql_only
def test_db_upgrade_as_the_service_role_is_refused_in_one_line_and_changes_nothing(
    base_settings: Settings, empty_database: tuple[str, str], tmp_path: Path
) -> None:
    service, owner = empty_database
    as_service = replace(
        on_empty(base_settings, service, owner, tmp_path), migration_database_url=service
    )
    code, said = db_upgrade(as_service)
    assert code == 1 and said.endswith("[db.refused]"), said
    assert govern_db(on_empty(base_settings, service, owner, tmp_path), "current")[0] == 1


# ---- hot statements (govern/db.py `HotStatement`) ------------------------------------------


HOT = HotStatement(
    select(
        cast(bindparam("at_text", type_=String), UTCDateTime()).label("at"),
        literal(True).label("yes"),
        literal("words").label("words"),
        bindparam("number", type_=Integer).label("number"),
    )
)
MISSING = HotStatement(select(table("no_such_table", column("x"))))


@pytest.mark.postgresql_only
def test_a_hot_statement_reads_what_the_ordinary_way_reads(service_engine: Engine) -> None:
    """The statement's types hold on the driver's cursor: an instant comes back aware."""
    asked = {"at_text": "2026-03-01 08:00:00", "number": 7}
    with Session(service_engine) as db:
        hot = HOT.rows(db, asked)
        ordinary = [tuple(row) for row in db.execute(HOT.statement, asked)]
    assert hot == ordinary == [(datetime(2026, 3, 1, 8, tzinfo=UTC), True, "words", 7)]


@pytest.mark.postgresql_only
def test_a_hot_statement_fails_as_the_ordinary_way_fails(service_engine: Engine) -> None:
    """A statement the database refuses raises SQLAlchemy's class, not the driver's; the
    session rolls back and serves again."""
    with Session(service_engine) as db:
        with pytest.raises(ProgrammingError) as ordinary:
            db.execute(MISSING.statement)
        db.rollback()
        with pytest.raises(ProgrammingError) as hot:
            MISSING.rows(db, {})
        db.rollback()
        assert type(hot.value.orig) is type(ordinary.value.orig)
        assert not hot.value.connection_invalidated
        assert HOT.scalar(db, {"at_text": "2026-03-01 08:00:00", "number": 1}) is not None


@pytest.mark.postgresql_only
def test_a_hot_statement_on_a_lost_connection_is_the_database_unavailable(
    service_engine: Engine,
) -> None:
    """The database ending the connection under a hot statement: the error the 503
    `database.unavailable` answers (govern/db.py `unavailable`), the connection invalidated so
    that the pool never hands it out again, and the next session served."""
    with Session(service_engine) as db:
        pid = db.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with service_engine.begin() as connection:  # another of the service's connections
            connection.execute(select(func.pg_terminate_backend(pid)))
        with pytest.raises(OperationalError) as lost:
            HOT.rows(db, {"at_text": "2026-03-01 08:00:00", "number": 1})
        assert lost.value.connection_invalidated
        assert unavailable(lost.value)
    with Session(service_engine) as db:
        assert HOT.scalar(db, {"at_text": "2026-03-01 08:00:00", "number": 1}) is not None


@pytest.mark.postgresql_only  # on SQLite it runs the ordinary way
def test_a_hot_statement_is_counted_as_any_statement(service_engine: Engine) -> None:
    """Whoever counts the statements a piece of work sends (an N+1 test) counts these."""
    with Session(service_engine) as db, statements_sent(service_engine) as sent:
        HOT.rows(db, {"at_text": "2026-03-01 08:00:00", "number": 1})
    assert sent[0] == 1
