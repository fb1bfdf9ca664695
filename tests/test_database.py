"""`govern db upgrade` says what it did; least privilege on PostgreSQL: the service's role
reads and writes rows, nothing more."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from govern.cli import cli
from govern.config import Settings
from govern.db import make_engine
from govern.migrate import schema_head
from tests.audit.test_migration import migrate


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
