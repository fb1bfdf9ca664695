"""Emptying and tampering with the test database as its owner, triggers and all."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

from sqlalchemy import Connection, Engine

from audit.store import drop_append_only_ddl, guard_ddl
from audit.store import metadata as audit_metadata
from govern.models import Base

NOTES_MIGRATION = (
    Path(__file__).resolve().parents[2] / "govern/migrations/versions/0011_notes_and_contact.py"
)


def as_owner_without_triggers(owner: Engine, change: Callable[[Connection], None]) -> None:
    """Run `change` as someone who may drop the trail's triggers (and the collection notes'):
    an attacker with DDL rights."""
    with owner.begin() as connection:
        dialect = connection.dialect.name
        for statement in drop_append_only_ddl(dialect) + drop_notes_triggers(dialect):
            connection.exec_driver_sql(statement)
        change(connection)
        for statement in guard_ddl(dialect) + _notes_migration()._append_only(dialect):
            connection.exec_driver_sql(statement)


def drop_notes_triggers(dialect: str) -> list[str]:
    """Undo the triggers that keep collection notes append-only (migration 0011)."""
    table = "collection_notes"
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}"
            for name in ("append_only", "no_truncate")
        ]
    return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]


@cache
def _notes_migration() -> ModuleType:
    """Migration 0011, whose `_append_only` is the one statement of the notes' triggers."""
    spec = importlib.util.spec_from_file_location("notes_migration_0011", NOTES_MIGRATION)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def wipe(owner: Engine) -> None:
    """Delete every row of every table, the append-only trail included."""

    def delete_all(connection: Connection) -> None:
        for table in [*audit_metadata.sorted_tables, *reversed(Base.metadata.sorted_tables)]:
            connection.execute(table.delete())

    as_owner_without_triggers(owner, delete_all)
