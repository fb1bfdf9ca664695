"""Emptying and tampering with the test database as its owner, triggers and all."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine

from audit.store import append_only_ddl, drop_append_only_ddl
from audit.store import metadata as audit_metadata
from govern.models import Base


def as_owner_without_triggers(owner: Engine, change: Callable[[Connection], None]) -> None:
    """Run `change` as someone who may drop the trail's triggers: an attacker with DDL rights."""
    with owner.begin() as connection:
        dialect = connection.dialect.name
        for statement in drop_append_only_ddl(dialect):
            connection.exec_driver_sql(statement)
        change(connection)
        for statement in append_only_ddl(dialect):
            connection.exec_driver_sql(statement)


def wipe(owner: Engine) -> None:
    """Delete every row of every table, the append-only trail included."""

    def delete_all(connection: Connection) -> None:
        for table in [*audit_metadata.sorted_tables, *reversed(Base.metadata.sorted_tables)]:
            connection.execute(table.delete())

    as_owner_without_triggers(owner, delete_all)
